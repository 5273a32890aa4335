"""Re-authentication that holds (ctsportal.policy): tokens are created only after a recent
password confirmation, never by a token, within the per-person limit and the lifetime cap;
sensitive API calls look at the person's confirmation, not at the token."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from knox.models import AuthToken

from accounts import services
from accounts.current import person_confirmed_at, person_confirmed_note
from accounts.models import Membership, User
from tests.factories import TEST_PASSWORD, mark_reauthenticated

pytestmark = pytest.mark.django_db


def _session(user: User, *, confirmed: bool) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    if confirmed:
        mark_reauthenticated(client, user)
    return client


def test_creating_a_token_through_the_api_needs_a_recent_password(alice: User) -> None:
    response = _session(alice, confirmed=False).post(
        "/api/v1/tokens", {"days": 30}, "application/json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "reauthentication_required")
    assert not AuthToken.objects.filter(user=alice).exists()
    confirmed = _session(alice, confirmed=True).post(
        "/api/v1/tokens", {"days": 30}, "application/json"
    )
    assert confirmed.status_code == 201


def test_creating_a_token_on_the_page_asks_for_the_password_and_then_creates_it(
    alice: User,
) -> None:
    client = _session(alice, confirmed=False)
    assert client.get("/account/tokens/").status_code == 200
    response = client.post("/account/tokens/", {"days": "30"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not AuthToken.objects.filter(user=alice).exists()
    # The form posted is resumed once the password was entered again.
    resumed = client.post(response["Location"], {"password": TEST_PASSWORD})
    assert resumed.status_code == 200
    assert AuthToken.objects.filter(user=alice).count() == 1


def test_a_token_cannot_mint_tokens_even_when_the_person_confirmed(alice: User) -> None:
    _t, secret = AuthToken.objects.create(user=alice)
    person_confirmed_note(alice.pk, time.time())
    response = Client(HTTP_AUTHORIZATION=f"Token {secret}").post(
        "/api/v1/tokens", {"days": 30}, "application/json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "reauthentication_required")
    assert AuthToken.objects.filter(user=alice).count() == 1
    # Listing and revoking its own kind stay possible.
    listed = Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/tokens")
    assert listed.status_code == 200


def test_the_token_limit_per_person_applies_with_a_clear_error(alice: User, settings) -> None:
    settings.API_TOKEN_LIMIT_PER_USER = 2
    client = _session(alice, confirmed=True)
    for _ in range(2):
        assert client.post("/api/v1/tokens", {"days": 30}, "application/json").status_code == 201
    refused = client.post("/api/v1/tokens", {"days": 30}, "application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "token_limit"
    assert "Revoke one" in refused.json()["detail"]
    assert AuthToken.objects.filter(user=alice).count() == 2
    page = client.post("/account/tokens/", {"days": "30"}, follow=True)
    assert "the most allowed" in page.content.decode()
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_the_token_lifetime_is_capped_by_the_setting(alice: User, settings) -> None:
    settings.API_TOKEN_MAX_DAYS = 30
    client = _session(alice, confirmed=True)
    refused = client.post("/api/v1/tokens", {"days": 90}, "application/json")
    assert refused.status_code == 400
    assert "days" in refused.json()["errors"]
    with pytest.raises(ValidationError):
        services.api_token_create(user=alice, days=31)
    assert client.post("/api/v1/tokens", {"days": 30}, "application/json").status_code == 201
    # The page offers no lifetime beyond the cap.
    assert 'value="365"' not in client.get("/account/tokens/").content.decode()


def test_a_sensitive_api_call_with_a_token_needs_the_persons_recent_confirmation(
    alice: User, bob: User
) -> None:
    _t, secret = AuthToken.objects.create(user=alice)
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    refused = api.delete(f"/api/v1/members/{bob.membership.pk}")
    assert (refused.status_code, refused.json()["code"]) == (403, "reauthentication_required")
    # The person confirms the password in the portal; the token's calls count from then.
    browser = _session(alice, confirmed=False)
    browser.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert person_confirmed_at(alice.pk) is not None
    assert api.delete(f"/api/v1/members/{bob.membership.pk}").status_code == 204
    assert not Membership.objects.filter(user=bob).exists()
