"""API: the versions in force, a version's articles, accepting (Art. 15)."""

from __future__ import annotations

import pytest
from django.test import Client
from knox.models import AuthToken

from accounts.models import User
from terms.models import Acceptance
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.terms.helpers import seed_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db: None) -> User:
    user = UserFactory(email="newcomer@c.example.jp")
    MembershipFactory(user=user, customer=CustomerFactory(), role="owner")
    return user


def test_it_lists_the_versions_in_force_publicly(client: Client) -> None:
    data = client.get("/api/v1/terms").json()
    assert [(v["document"], v["label"]) for v in data] == [("terms-of-use", "2023-04-01")]
    assert data[0]["accepted"] is None
    assert data[0]["sha256"] == seed_version().sha256


def test_it_says_whether_the_user_accepted(alice_client: Client) -> None:
    assert alice_client.get("/api/v1/terms").json()[0]["accepted"] is True


def test_it_serves_a_version_with_its_articles(client: Client) -> None:
    data = client.get("/api/v1/terms/terms-of-use/versions/2023-04-01").json()
    assert len(data["articles"]) == 20
    art12 = data["articles"][11]
    assert art12["number"] == 12 and art12["title"] == "登録取消等"
    assert len(art12["paragraphs"][0]["items"]) == 7
    assert [e["number"] for e in data["annex"]["entries"]] == [1, 2]
    assert client.get("/api/v1/terms/terms-of-use/versions/nope").status_code == 404


def test_a_token_client_accepts_all_pending_and_is_let_through(newcomer: User) -> None:
    _, secret = AuthToken.objects.create(user=newcomer)
    auth = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    client = Client()
    assert client.get("/api/v1/me", **auth).json()["code"] == "terms_not_accepted"
    response = client.post(
        "/api/v1/terms/accept",
        {"all_pending": True},
        content_type="application/json",
        HTTP_USER_AGENT="cts-client/1.0",
        REMOTE_ADDR="198.51.100.4",
        **auth,
    )
    assert response.status_code == 200
    assert response.json()["pending"] == []
    acceptance = Acceptance.objects.get(user=newcomer)
    assert acceptance.method == "api"
    assert acceptance.user_agent == "cts-client/1.0"
    assert acceptance.ip_address == "198.51.100.4"
    assert acceptance.sha256 == seed_version().sha256
    assert client.get("/api/v1/me", **auth).status_code == 200


def test_it_accepts_given_version_ids(newcomer: User) -> None:
    client = Client()
    client.force_login(newcomer)
    version = seed_version()
    response = client.post(
        "/api/v1/terms/accept", {"versions": [version.pk]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["accepted"][0]["label"] == "2023-04-01"


def test_it_refuses_unknown_or_empty_requests(newcomer: User) -> None:
    client = Client()
    client.force_login(newcomer)
    bad = client.post(
        "/api/v1/terms/accept", {"versions": [999999]}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    empty = client.post("/api/v1/terms/accept", {}, content_type="application/json")
    assert empty.status_code == 400
    assert not Acceptance.objects.filter(user=newcomer).exists()


def test_accepting_needs_a_sign_in(client: Client) -> None:
    response = client.post(
        "/api/v1/terms/accept", {"all_pending": True}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
