"""The browser and operating system of a session in words, from its User-Agent header, with
ua-parser (the maintained port of the uap-core rules)."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _
from ua_parser import parse


def _version(*parts: str | None) -> str:
    return ".".join(part for part in parts if part)


@lru_cache(maxsize=256)
def _parsed(user_agent: str) -> tuple[str, str]:
    result = parse(user_agent)
    browser = os = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = f"{result.user_agent.family} {result.user_agent.major or ''}".strip()
    if result.os is not None and result.os.family != "Other":
        os = f"{result.os.family} {_version(result.os.major, result.os.minor)}".strip()
    return browser, os


def describe_user_agent(user_agent: str) -> str:
    """ "Chrome 120 on Windows 10", or a plain "Unknown browser" when nothing is recognised."""
    browser, os = _parsed((user_agent or "")[:500])
    if browser and os:
        return _("%(browser)s on %(os)s") % {"browser": browser, "os": os}
    return browser or os or _("Unknown browser")
