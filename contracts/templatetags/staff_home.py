"""``{% staff_home as home %}``: the queues and charts of the admin index (contracts.home_admin)."""

from __future__ import annotations

from django import template

from ..home_admin import StaffHome
from ..home_admin import staff_home as build

register = template.Library()


@register.simple_tag
def staff_home() -> StaffHome:
    return build()
