"""``{% staff_home as home %}``: the queues and charts of the admin index (contracts.admin_home)."""

from __future__ import annotations

from django import template

from ..admin_home import StaffHome
from ..admin_home import staff_home as build

register = template.Library()


@register.simple_tag
def staff_home() -> StaffHome:
    return build()
