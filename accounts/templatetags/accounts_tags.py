"""``{{ session.user_agent|browser_and_os }}`` and ``{{ session.ip|network }}`` for the
sessions page."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from accounts.services.sharing import network_of
from accounts.useragents import describe_user_agent

register = template.Library()


@register.filter
def browser_and_os(user_agent: str | None) -> str:
    return describe_user_agent(user_agent or "")


@register.filter
def network(ip: str | None) -> str:
    """The network rather than the exact address: where a session comes from, in the terms
    a person can check against their office or mobile provider."""
    if not ip:
        return _("Unknown")
    try:
        return network_of(ip)
    except ValueError:
        return _("Unknown")
