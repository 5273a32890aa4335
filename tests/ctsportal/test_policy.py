"""The one request policy (ctsportal.policy): the six customer states on pages and API, the
declared exemptions (the URL walk), and identical outcomes on page and API twins."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls.resolvers import ResolverMatch
from knox.models import AuthToken

from accounts import services
from accounts.models import Customer, Incident, Invitation, User
from ctsportal.access import Access
from ctsportal.policy import THIRD_PARTY, PolicyPermission, access_of, is_declared
from notices.models import Notice
from notices.services import notice_create
from tests.conftest import accept_current_terms
from tests.factories import STAFF_TOTP_SECRET, CustomerFactory, MembershipFactory, UserFactory
from tests.isolation.routes import url_walk

pytestmark = pytest.mark.django_db

STATES = [s.value for s in Customer.Status]
EFFECTIVE = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)  # 2026-12-26 00:00 JST


def _owner_in(status: str, *, accept: bool = True, email: str = "") -> User:
    customer = CustomerFactory(
        status=status,
        status_changed_at=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
        cancellation_effective_at=EFFECTIVE if status == "cancellation_scheduled" else None,
    )
    user = UserFactory(email=email or f"owner-{status}@example.jp")
    MembershipFactory(user=user, customer=customer, role="owner")
    if accept:
        accept_current_terms(user)
    return user


def _page(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _token(user: User) -> Client:
    _t, secret = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", HTTP_ACCEPT_LANGUAGE="en")


# What each state gets: (page read, page write, API read, API write). A page outcome is the
# status code or the redirect target; an API outcome the status code and policy code.
EXPECTED = {
    "applicant": ("/apply/", "/apply/", (403, "onboarding_required"), (403, "onboarding_required")),
    "active": (200, "/account/members/", (200, None), (201, None)),
    "cancellation_scheduled": (200, "/account/members/", (200, None), (201, None)),
    "suspended": (200, "/dashboard/", (200, None), (403, "customer_suspended")),
    "cancelled": ("/ended/", "/ended/", (403, "customer_cancelled"), (403, "customer_cancelled")),
    "revoked": ("/ended/", "/ended/", (403, "customer_revoked"), (403, "customer_revoked")),
}


def _page_outcome(response) -> int | str:
    return response["Location"] if response.status_code == 302 else response.status_code


def _api_outcome(response) -> tuple[int, str | None]:
    code = response.json().get("code") if response.status_code == 403 else None
    return response.status_code, code


@pytest.mark.parametrize("state", STATES)
def test_the_state_matrix_on_pages_and_api(state: str) -> None:
    user = _owner_in(state)
    page, api = _page(user), _token(user)
    page_read, page_write, api_read, api_write = EXPECTED[state]

    assert _page_outcome(page.get("/dashboard/")) == page_read
    invite = page.post("/account/members/invite/", {"email": f"p-{state}@example.jp"})
    assert _page_outcome(invite) == page_write
    assert _api_outcome(api.get("/api/v1/members")) == api_read
    created = api.post(
        "/api/v1/members/invitations", {"email": f"a-{state}@example.jp"}, "application/json"
    )
    assert _api_outcome(created) == api_write
    invited = set(Invitation.objects.values_list("email", flat=True))
    if state in ("active", "cancellation_scheduled"):
        assert invited == {f"p-{state}@example.jp", f"a-{state}@example.jp"}
    else:
        assert invited == set()


def test_a_refused_page_write_says_why_in_the_users_language() -> None:
    user = _owner_in("suspended")
    page = _page(user)
    response = page.post("/account/members/invite/", {"email": "x@example.jp"}, follow=True)
    assert "suspended" in response.content.decode()
    ja = Client(HTTP_ACCEPT_LANGUAGE="ja")
    ja.force_login(user)
    response = ja.post("/account/members/invite/", {"email": "x@example.jp"}, follow=True)
    assert "停止" in response.content.decode()


def test_the_banner_shows_the_effective_date_of_a_scheduled_cancellation() -> None:
    body = _page(_owner_in("cancellation_scheduled")).get("/dashboard/").content.decode()
    assert 'data-testid="cancellation-banner"' in body
    assert "2026-12-26" in body
    assert (
        "cancellation-banner" not in _page(_owner_in("active")).get("/dashboard/").content.decode()
    )


def test_a_suspended_company_still_signs_out_reports_and_manages_its_own_security(
    django_capture_on_commit_callbacks,
) -> None:
    user = _owner_in("suspended")
    page = _page(user)
    assert page.get("/account/members/").status_code == 200
    assert page.get("/notices/").status_code == 200
    # The stolen-credentials report (Art. 6(3)) and own sessions (API) stay writable.
    with django_capture_on_commit_callbacks(execute=True):
        reported = page.post("/account/compromised/", {"scope": "user", "confirm": "on"})
    assert reported.status_code == 302
    assert reported["Location"] == "/account/compromised/done/"
    assert Incident.objects.filter(user=user).exists()
    assert _token(user).delete("/api/v1/sessions").status_code == 204
    signed_in = _page(_owner_in("suspended", email="other@example.jp"))
    assert signed_in.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in signed_in.session


def test_a_suspended_company_reports_stolen_credentials_through_the_api() -> None:
    api = _token(_owner_in("suspended"))
    response = api.post("/api/v1/account/compromised", {}, "application/json")
    assert response.status_code == 202


@pytest.mark.parametrize("state", ["cancelled", "revoked"])
def test_an_ended_company_sees_its_state_what_to_return_and_its_notices(state: str) -> None:
    user = _owner_in(state)
    customer = user.membership.customer
    notice = notice_create(
        customer=customer, kind="registration_approved", clause="art4.3", subject=customer
    )
    # A person's own invitation e-mail is theirs, not the company's (as on /notices/).
    Notice.objects.create(
        customer=customer,
        kind=Notice.Kind.MEMBER_INVITATION,
        clause="art6.1",
        period="invitation",
        dedupe_key=f"{customer.pk}/invitation",
        recipients=[user.email],
        language="en",
        mail_subject="Invitation to join",
        content_sha256="0" * 64,
    )
    page = _page(user)
    body = page.get("/ended/").content.decode()
    assert "Invitation to join" not in body
    assert "2026-11-20" in body
    assert "Art. 12(5)" in body
    assert "support@cts.example.jp" in body
    assert notice.mail_subject in body
    assert page.get(f"/notices/{notice.pk}/").status_code == 200
    for path in ("/account/members/", "/terms/company/", "/account/tokens/"):
        assert page.get(path)["Location"] == "/ended/", path
    me = _token(user).get("/api/v1/me").json()
    assert me["customer"]["status"] == state


@pytest.mark.parametrize("state", ["cancelled", "revoked"])
def test_an_ended_companys_menu_links_only_what_it_may_still_open(state: str) -> None:
    # The catalogue, contracts, units, charges, video data and account all sent it back to
    # /ended/.
    page = _page(_owner_in(state))
    menu = page.get("/ended/").content.decode().split('class="main-nav"')[1].split("</nav>")[0]
    links = re.findall(r'href="([^"]+)"', menu)
    assert links == ["/dashboard/", "/notices/"]
    assert page.get("/dashboard/")["Location"] == "/ended/"
    assert page.get("/notices/").status_code == 200


def test_the_ended_page_sends_a_live_company_to_its_dashboard(alice_client: Client) -> None:
    assert alice_client.get("/ended/")["Location"] == "/dashboard/"


def test_another_companys_notice_stays_a_404_for_an_ended_company(charlie: User) -> None:
    user = _owner_in("cancelled")
    other = charlie.membership.customer
    notice = notice_create(
        customer=other, kind="registration_approved", clause="art4.3", subject=other
    )
    assert _page(user).get(f"/notices/{notice.pk}/").status_code == 404
    assert _token(user).get(f"/api/v1/notices/{notice.pk}").status_code == 404


# --- Every route is declared (the one URL walk: tests/isolation/routes.py) ------------------------


def test_every_route_is_under_the_policy_or_exempt_with_a_reason() -> None:
    undeclared = []
    for route, match in url_walk():
        declared = access_of(match.func, match)
        if not is_declared(match.func, match):
            undeclared.append(route)
        if declared.public or declared.onboarding or declared.terms_exempt:
            assert declared.reason, route
        view_class = getattr(match.func, "cls", None)
        if view_class is not None and match.url_name not in THIRD_PARTY:
            # Every API operation runs the policy's permission and nothing else.
            assert list(view_class.permission_classes) == [PolicyPermission], route
    assert undeclared == []


def test_the_walk_sees_pages_api_allauth_and_admin() -> None:
    routes = {route for route, _ in url_walk()}
    assert {"/dashboard/", "/api/v1/members", "/accounts/login/", "/admin/"} <= routes
    names = {m.url_name for _, m in url_walk()}
    assert set(THIRD_PARTY) <= names


def test_a_third_party_view_without_a_declaration_fails_the_walk() -> None:
    from allauth.account.views import LoginView

    view = LoginView.as_view()
    match = ResolverMatch(view, (), {}, "some_new_allauth_page", namespaces=[])
    assert not is_declared(view, match)


def test_an_exemption_needs_a_reason() -> None:
    with pytest.raises(ValueError):
        Access(terms_exempt=True)


# --- Page and API twins: the same outcome ------------------------------------------------------

# A page and its API twin (method, path) each.
TWINS = [
    (("get", "/account/compromised/"), ("post", "/api/v1/account/compromised")),
    (("get", "/terms/accept/"), ("post", "/api/v1/terms/accept")),
    (("get", "/accounts/sessions/"), ("get", "/api/v1/sessions")),
    (("get", "/apply/"), ("get", "/api/v1/application/declaration")),
    (("get", "/notices/"), ("get", "/api/v1/notices")),
    (("get", "/account/tokens/"), ("get", "/api/v1/tokens")),
    (("get", "/account/members/"), ("get", "/api/v1/members")),
]


def _declared(path: str) -> Access:
    from django.urls import resolve

    match = resolve(path)
    return access_of(match.func, match)


@pytest.mark.parametrize(("page", "api"), TWINS)
def test_twins_declare_the_same_terms_and_two_factor_exemptions(page, api) -> None:
    a, b = _declared(page[1]), _declared(api[1])
    assert (a.terms_exempt, a.mfa_exempt) == (b.terms_exempt, b.mfa_exempt)


def _page_refusal(response) -> str | None:
    if response.status_code != 302:
        return None
    location = response["Location"]
    if location.startswith("/terms/accept/"):
        return "terms_not_accepted"
    if location == "/accounts/2fa/":
        return "mfa_required"
    return None


def _api_refusal(response) -> str | None:
    if response.status_code != 403:
        return None
    code = response.json()["code"]
    return code if code in ("terms_not_accepted", "mfa_required") else None


def _terms_pending_user() -> User:
    return _owner_in("active", accept=False)


def _mfa_missing_user() -> User:
    owner = _owner_in("active")
    TOTP.activate(owner, STAFF_TOTP_SECRET)
    customer = owner.membership.customer
    services.customer_set_mfa_required(customer=customer, required=True, actor=owner)
    member = UserFactory(email="member-no-mfa@example.jp")
    MembershipFactory(user=member, customer=customer, role="member")
    accept_current_terms(member)
    return member


@pytest.mark.parametrize("situation", ["terms_pending", "mfa_missing"])
@pytest.mark.parametrize(("page", "api"), TWINS)
def test_terms_and_two_factor_outcomes_are_the_same_on_page_and_api(situation, page, api) -> None:
    user = _terms_pending_user() if situation == "terms_pending" else _mfa_missing_user()
    page_client, token_client = _page(user), _token(user)
    if api[1] == "/api/v1/account/compromised":
        # The report itself ends the sessions and tokens; ask without committing to it.
        api = ("options", api[1])
    page_outcome = _page_refusal(getattr(page_client, page[0])(page[1]))
    api_outcome = _api_refusal(getattr(token_client, api[0])(api[1], {}, "application/json"))
    assert page_outcome == api_outcome, (page, api)
    expected = situation.replace("terms_pending", "terms_not_accepted").replace(
        "mfa_missing", "mfa_required"
    )
    declared = _declared(page[1])
    exempt = declared.terms_exempt if situation == "terms_pending" else declared.mfa_exempt
    assert page_outcome == (None if exempt else expected)


@pytest.mark.parametrize("channel", ["page", "api"])
def test_the_stolen_credentials_report_works_while_the_terms_are_pending(channel: str) -> None:
    user = _terms_pending_user()
    if channel == "page":
        response = _page(user).post("/account/compromised/", {"scope": "user", "confirm": "on"})
        assert response["Location"] == "/account/compromised/done/"
    else:
        response = _token(user).post("/api/v1/account/compromised", {}, "application/json")
        assert response.status_code == 202
    assert Incident.objects.filter(user=user).exists()


def test_an_api_refusal_has_a_stable_code_and_a_translated_detail() -> None:
    user = _owner_in("suspended")
    en = _token(user).post("/api/v1/members/invitations", {"email": "x@example.jp"})
    assert en.json()["code"] == "customer_suspended"
    _t, secret = AuthToken.objects.create(user=user)
    ja = Client(HTTP_AUTHORIZATION=f"Token {secret}", HTTP_ACCEPT_LANGUAGE="ja").post(
        "/api/v1/members/invitations", {"email": "x@example.jp"}
    )
    assert ja.json()["code"] == "customer_suspended"
    assert ja.json()["detail"] != en.json()["detail"]


def test_a_suspended_company_accepts_new_terms_and_goes_on_reading() -> None:
    from terms.models import Acceptance

    user = _owner_in("suspended", accept=False)
    page = _page(user)
    assert page.get("/dashboard/")["Location"].startswith("/terms/accept/")
    response = _token(user).post("/api/v1/terms/accept", {"all_pending": True}, "application/json")
    assert response.status_code == 200
    assert Acceptance.objects.filter(user=user).exists()
    assert page.get("/dashboard/").status_code == 200
