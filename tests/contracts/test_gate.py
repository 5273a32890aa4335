"""The onboarding gate: a user whose company is not approved reaches only the application,
the terms, their account and sign-out. Every other route of the URL resolver, whatever app
adds it, answers a redirect to /apply/ (pages) or 403 (API), never data."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import User
from contracts.models import RegistrationApplication
from ctsportal.policy import access_of
from terms.models import Acceptance
from terms.services import acceptance_record_pending
from tests.contracts.conftest import login, make_applicant, make_draft, make_submitted

pytestmark = pytest.mark.django_db

_CONVERTERS = {"int": "1", "str": "x", "slug": "x", "path": "x/y", "uuid": str(uuid.uuid4())}


def _route_to_path(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: _CONVERTERS.get(m.group(1) or "str", "x"), route)


def _regex_to_path(regex: str) -> str | None:
    """A sample path for simple regex routes; None for those without one (catch-alls)."""
    text = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)
    if re.search(r"[()\[\]*+?\\|{}]", text):
        return None
    return text


def customer_routes() -> Iterator[str]:
    def walk(patterns: list[object], prefix: str) -> Iterator[str]:
        for p in patterns:
            pattern = p.pattern
            raw = str(pattern)
            part = (
                _route_to_path(raw)
                if pattern.__class__.__name__ == "RoutePattern"
                else _regex_to_path(pattern.regex.pattern)
            )
            if part is None:
                continue
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + part)
            elif isinstance(p, URLPattern):
                yield prefix + part

    for path in walk(get_resolver().url_patterns, "/"):
        # The staff admin has its own login and is not customer-facing.
        if path.startswith("/admin/"):
            continue
        yield path


def _open_before_approval(path: str) -> bool:
    match = resolve(path)
    declared = access_of(match.func, match)
    return declared.public or declared.onboarding


def gated_paths() -> list[str]:
    return sorted({p for p in customer_routes() if not _open_before_approval(p)})


@pytest.fixture(params=["no_company", "draft", "submitted"])
def gated_user(request: pytest.FixtureRequest) -> User:
    user = make_applicant()
    if request.param == "submitted":
        make_submitted(user)
        return user
    if request.param == "draft":
        make_draft(user)
    # The terms gate (Art. 15) comes first; with the terms accepted only this gate is left.
    acceptance_record_pending(user=user, method=Acceptance.Method.SIGNUP)
    return user


def test_with_the_terms_not_yet_accepted_the_application_comes_first(applicant: User) -> None:
    client = login(applicant)
    for path in gated_paths():
        response = client.get(path)
        # The onboarding gate comes first: the application takes the terms' acceptance.
        if path.startswith("/api/"):
            assert response.status_code == 403, path
        else:
            assert (response.status_code, response.url) == (302, "/apply/"), path


def test_the_route_list_is_complete_enough_to_mean_something() -> None:
    paths = gated_paths()
    assert "/dashboard/" in paths
    assert "/api/v1/members" in paths
    every = set(customer_routes())
    assert {"/apply/", "/accounts/login/", "/api/v1/application", "/terms/"} <= every


def test_every_gated_page_redirects_to_the_application(gated_user: User) -> None:
    client = login(gated_user)
    for path in gated_paths():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if path.startswith("/api/"):
                assert response.status_code == 403, (method, path)
                assert response.json()["code"] == "onboarding_required", path
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert response.url == "/apply/", (method, path)


def test_token_clients_are_gated_too(gated_user: User) -> None:
    _token, secret = AuthToken.objects.create(user=gated_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    for path in (p for p in gated_paths() if p.startswith("/api/v1/")):
        response = api.get(path)
        assert response.status_code in (403, 404), path
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == gated_user.email


def test_the_allowed_routes_stay_open(gated_user: User) -> None:
    client = login(gated_user)
    assert client.get("/apply/").status_code == 200
    assert client.get("/terms/terms-of-use/").status_code == 200
    assert client.get("/account/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/accounts/password/change/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_approved_members_and_staff_are_not_gated(alice: User, staff: User) -> None:
    assert login(alice).get("/dashboard/").status_code == 200
    assert login(alice).get("/api/v1/tokens").status_code == 200
    assert login(staff).get("/dashboard/").status_code == 200


def test_anonymous_visitors_get_the_normal_login_redirect() -> None:
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_approval_opens_the_portal(reviewer: User) -> None:
    from contracts.services import registration_review

    user = make_applicant()
    app = make_submitted(user)
    client = login(user)
    assert client.get("/dashboard/").status_code == 302
    registration_review.application_approve(application=app, actor=reviewer)
    assert client.get("/dashboard/").status_code == 200
    assert RegistrationApplication.objects.get(pk=app.pk).state == "approved"


def test_a_refused_applicant_reads_its_own_refusal_notice_only(
    applicant: User, reviewer: User, charlie: User
) -> None:
    from contracts.services import registration_review
    from notices.models import Notice
    from notices.services import notice_create

    application = make_submitted(applicant)
    registration_review.application_refuse(
        application=application,
        actor=reviewer,
        grounds=["2"],
        note="登録情報に記載漏れ",
        message="登録情報に記載漏れがございました。",
    )
    own = Notice.objects.get(customer=application.customer, kind="registration_refused")
    other = notice_create(
        customer=charlie.membership.customer,
        kind="registration_approved",
        clause="art4.3",
        subject=charlie.membership.customer,
    )
    client = login(applicant)
    listing = client.get("/notices/")
    assert listing.status_code == 200
    assert own.mail_subject in listing.content.decode()
    assert client.get(f"/notices/{own.pk}/").status_code == 200
    assert client.get(f"/notices/{other.pk}/").status_code == 404
    api = client.get("/api/v1/notices").json()
    assert [n["id"] for n in api["results"]] == [own.pk]
