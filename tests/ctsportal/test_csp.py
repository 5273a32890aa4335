"""Content-Security-Policy: no inline script, style or event handler in any page template, and
every page carries the policy, Permissions-Policy and frame-ancestors 'none'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I
)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)


def _page_templates() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    # E-mail templates are read by mail clients, not under the portal's CSP.
    return sorted(
        p
        for p in found
        if ".venv" not in p.parts and "emails" not in p.parts and "email" not in p.parts
    )


def test_the_scan_sees_the_templates() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _page_templates()}
    assert "templates/base.html" in names
    assert "notices/templates/notices/notice_detail.html" in names
    assert not any("/emails/" in n for n in names)


@pytest.mark.parametrize("path", _page_templates(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_template_has_inline_script_style_or_event_handler(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("<style> element", STYLE_ELEMENT),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("on*= event handler", EVENT_HANDLER),
    ):
        match = pattern.search(text)
        assert match is None, f"{name} in {path}: {match.group(0)[:80] if match else ''}"


def test_the_scanner_would_catch_each_kind() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js" defer></script>')
    assert STYLE_ATTRIBUTE.search('<pre class="x" style="margin:0">')
    assert EVENT_HANDLER.search('<select name="l" onchange="this.form.submit()">')
    assert not EVENT_HANDLER.search('<select name="l" data-autosubmit>')


def _assert_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/terms/", "/accounts/signup/"])
def test_public_pages_carry_the_policy(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    _assert_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dashboard/", "/notices/", "/account/", "/account/members/"])
def test_signed_in_pages_carry_the_policy(alice_client: Client, path: str) -> None:
    response = alice_client.get(path)
    assert response.status_code == 200
    _assert_headers(response)


@pytest.mark.django_db
def test_the_api_and_its_refusals_carry_it_too(alice_client: Client) -> None:
    _assert_headers(alice_client.get("/api/v1/me"))
    _assert_headers(Client().get("/api/v1/me"))


def test_production_and_local_use_the_same_policy() -> None:
    # Defined once in settings.base; neither environment overrides it.
    for name in ("production.py", "local.py"):
        text = (ROOT / "ctsportal" / "settings" / name).read_text(encoding="utf-8")
        assert "CONTENT_SECURITY_POLICY" not in text, name
        assert "MIDDLEWARE" not in text, name
    assert "ctsportal.headers.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_the_policy_built_once_is_django_csps_own(settings) -> None:
    from csp.middleware import CSPMiddleware

    ours = Client().get("/terms/")["Content-Security-Policy"]
    theirs = CSPMiddleware(lambda request: HttpResponse("x"))(RequestFactory().get("/terms/"))
    assert isinstance(theirs, HttpResponse)
    assert ours == theirs["Content-Security-Policy"]
    # A change of the settings is seen (the header is built again).
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert Client().get("/terms/")["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_a_view_that_asks_for_its_own_policy_gets_it() -> None:
    # The API's documentation page loosens style-src for Swagger UI (ctsportal/urls.py).
    docs = Client().get("/api/docs/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs
    assert "'unsafe-inline'" not in Client().get("/terms/")["Content-Security-Policy"]
