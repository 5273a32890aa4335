"""Art. 15 gating: no use of the portal before accepting the terms in force, the accept page,
the evidence recorded, exemptions, and the cost of the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import resolve
from knox.models import AuthToken

from accounts.models import User
from ctsportal.policy import _terms_pending, access_of
from terms.models import Acceptance
from terms.selectors import versions_pending_acceptance
from terms.services import acceptance_record
from tests.factories import CustomerFactory, MembershipFactory, StaffFactory, UserFactory
from tests.terms.helpers import ART12_NEW, import_revision, seed_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db: None) -> User:
    """A member of an approved company who has not accepted anything yet."""
    user = UserFactory(email="newcomer@c.example.jp")
    MembershipFactory(user=user, customer=CustomerFactory(), role="owner")
    return user


@pytest.fixture
def applicant(db: None) -> User:
    """Signed up, no company yet."""
    return UserFactory(email="applicant@d.example.jp")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_redirects_html_requests_to_the_accept_page(newcomer: User) -> None:
    response = signed_in(newcomer).get("/dashboard/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/terms/accept/?next=%2Fdashboard%2F%3Ftab%3D1"


def test_it_refuses_api_requests_with_a_code(newcomer: User) -> None:
    response = signed_in(newcomer).get("/api/v1/me")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "terms_not_accepted"
    assert body["detail"]
    assert body["accept_url"].endswith("/terms/accept/")


def test_it_refuses_api_token_requests_with_a_code(newcomer: User) -> None:
    _, secret = AuthToken.objects.create(user=newcomer)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 403
    assert response.json()["code"] == "terms_not_accepted"
    assert response.json()["accept_url"].endswith("/terms/accept/")
    # The terms routes stay open so the client can accept.
    listing = Client().get("/api/v1/terms", HTTP_AUTHORIZATION=f"Token {secret}")
    assert listing.status_code == 200


def test_it_lets_users_who_accepted_through(alice_client: Client) -> None:
    assert alice_client.get("/dashboard/").status_code == 200
    assert alice_client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/terms/",
        "/terms/terms-of-use/",
        "/terms/accept/",
        "/accounts/password/change/",
        "/accounts/password/reset/",
        "/account/compromised/",
        "/static/css/portal.css",
        "/healthz",
        "/api/v1/terms",
        "/api/schema/",
    ],
)
def test_it_exempts_routes_needed_before_accepting(newcomer: User, path: str) -> None:
    response = signed_in(newcomer).get(path)
    assert not (response.status_code == 302 and "/terms/accept/" in response["Location"])
    assert response.status_code != 403


def test_it_lets_the_user_sign_out(newcomer: User) -> None:
    client = signed_in(newcomer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "/terms/accept/" not in response["Location"]
    assert "_auth_user_id" not in client.session


def test_it_does_not_gate_staff(db: None) -> None:
    staff = StaffFactory(is_superuser=True)
    client = signed_in(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/terms/acceptance/").status_code == 200


def test_the_exemptions_are_declared_on_the_views_not_as_path_prefixes(settings: object) -> None:
    assert not hasattr(settings, "TERMS_GATING_EXEMPT_PREFIXES")
    for path in ("/account/compromised/", "/api/v1/account/compromised", "/terms/accept/"):
        match = resolve(path)
        declared = access_of(match.func, match)
        assert declared.terms_exempt and declared.reason, path
    dashboard = resolve("/dashboard/")
    assert not access_of(dashboard.func, dashboard).terms_exempt


def test_an_applicant_sees_the_full_text_and_accepts(applicant: User) -> None:
    client = signed_in(applicant)
    # The onboarding gate (contracts) sends an applicant to the application, which records
    # its own acceptance; the accept page must still work for someone without a company.
    assert versions_pending_acceptance(user=applicant) == [seed_version()]
    page = client.get("/terms/accept/?next=/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "第 12 条（登録取消等）" in body
    assert 'name="agree"' in body
    version = seed_version()
    response = client.post(
        "/terms/accept/",
        {"agree": "on", "versions": str(version.pk), "next": "/dashboard/"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 (Test)",
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    acceptance = Acceptance.objects.get(user=applicant)
    # The evidence (Art. 4(1), 15).
    assert acceptance.version == version
    assert acceptance.customer is None
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.user_agent == "Mozilla/5.0 (Test)"
    assert acceptance.sha256 == version.sha256
    assert acceptance.method == Acceptance.Method.SIGNUP
    assert versions_pending_acceptance(user=applicant) == []
    assert client.get("/account/").status_code == 200


def test_a_first_acceptance_shows_the_full_text_not_a_comparison(newcomer: User) -> None:
    """Someone who never accepted a version reads the whole text: no "what changed" section
    (there is no earlier version of theirs), and no Python object printed in its place."""
    body = signed_in(newcomer).get("/terms/accept/?next=/dashboard/").content.decode()
    assert 'class="terms-text"' in body
    assert "第 12 条（登録取消等）" in body
    assert "ParsedLine(" not in body
    assert 'class="terms-diff"' not in body


def test_it_requires_the_checkbox(newcomer: User) -> None:
    client = signed_in(newcomer)
    response = client.post("/terms/accept/", {"versions": str(seed_version().pk)})
    assert response.status_code == 200
    assert not Acceptance.objects.filter(user=newcomer).exists()


def test_it_refuses_an_acceptance_of_versions_not_shown(newcomer: User) -> None:
    response = signed_in(newcomer).post("/terms/accept/", {"agree": "on", "versions": "999999"})
    assert response.status_code == 200
    assert not Acceptance.objects.filter(user=newcomer).exists()


def test_it_refuses_an_unsafe_next(newcomer: User) -> None:
    response = signed_in(newcomer).post(
        "/terms/accept/",
        {"agree": "on", "versions": str(seed_version().pk), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/dashboard/"


def test_a_new_version_in_force_asks_again_showing_the_changes(
    alice: User, alice_client: Client
) -> None:
    with time_machine.travel(datetime(2026, 10, 25, 3, 0, tzinfo=UTC)):
        new = import_revision(effective=date(2026, 12, 1))
        # Published, but binding only from its date (Asia/Tokyo).
        assert alice_client.get("/dashboard/").status_code == 200
        assert versions_pending_acceptance(user=alice) == []
    with time_machine.travel(datetime(2026, 11, 30, 14, 59, tzinfo=UTC)):
        assert alice_client.get("/dashboard/").status_code == 200
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)):  # 00:00 JST Dec 1
        assert versions_pending_acceptance(user=alice) == [new]
        assert alice_client.get("/dashboard/")["Location"].startswith("/terms/accept/")
        body = alice_client.get("/terms/accept/").content.decode()
        assert "2023-04-01" in body  # the version accepted before
        assert 'id="diff-art-12"' in body
        assert "<del>7</del>" in body and "<ins>14</ins>" in body
        assert 'id="diff-art-1"' not in body  # unchanged articles are not repeated
        alice_client.post("/terms/accept/", {"agree": "on", "versions": str(new.pk)})
        acceptance = Acceptance.objects.get(user=alice, version=new)
        assert acceptance.method == Acceptance.Method.REACCEPTANCE
        assert acceptance.customer == alice.membership.customer
        assert ART12_NEW in new.normalized_text
        assert alice_client.get("/dashboard/").status_code == 200


def test_accepting_twice_keeps_the_first_evidence(newcomer: User) -> None:
    version = seed_version()
    first = acceptance_record(user=newcomer, versions=[version], method="application")
    second = acceptance_record(user=newcomer, versions=[version], method="api")
    assert first[0].pk == second[0].pk
    assert Acceptance.objects.get(user=newcomer).method == "application"


def test_the_terms_check_costs_at_most_two_queries_cold_and_none_warm(
    alice: User, django_assert_max_num_queries: object, django_assert_num_queries: object
) -> None:
    cache.clear()
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        assert not _terms_pending(alice)  # cold: versions in force + acceptances
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert not _terms_pending(alice)


def test_the_cached_state_follows_a_new_version(alice: User) -> None:
    assert versions_pending_acceptance(user=alice) == []
    with time_machine.travel(datetime(2019, 10, 1, tzinfo=UTC)):  # published with notice
        new = import_revision(label="now", effective=date(2020, 1, 1))
        new_in_force = import_revision(label="later", effective=date(2024, 1, 1))
    assert new.pk not in [v.pk for v in versions_pending_acceptance(user=alice)]
    assert versions_pending_acceptance(user=alice) == [new_in_force]


def test_a_whole_page_is_not_made_much_dearer_by_the_gate(
    alice_client: Client, django_assert_max_num_queries: object, settings: object
) -> None:
    # What rendering the page costs (a page served from the cache costs none).
    settings.PAGE_CACHE = False
    alice_client.get("/terms/")  # warms the cache of the versions in force
    with django_assert_max_num_queries(12) as gated:  # type: ignore[operator]
        alice_client.get("/dashboard/")
    # Counted now: the captured list is a window on the query log, which a request resets.
    gated_queries = len(gated.captured_queries)
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "ctsportal.policy.PolicyMiddleware"
    ]
    with django_assert_max_num_queries(12) as ungated:  # type: ignore[operator]
        alice_client.get("/dashboard/")
    assert gated_queries - len(ungated.captured_queries) <= 1
