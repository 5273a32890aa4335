"""``{% staff_home as home %}``: the queues and charts of the admin index (contracts.home_admin)."""

from __future__ import annotations

from django import template

from ..home_admin import StaffHome, queues_for
from ..home_admin import staff_home as build

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_home(context: template.Context) -> StaffHome:
    home = build()
    return StaffHome(queues=queues_for(context["request"], home.queues), charts=home.charts)
