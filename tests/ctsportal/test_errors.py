"""A page answered 405 without a body (an address only a button may use, opened by hand) gets
a page in the person's language instead of the browser's own error; the API keeps its JSON."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_button_address_opened_by_hand_says_so_in_japanese(alice_client: Client) -> None:
    response = alice_client.get("/account/members/mfa-required/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    body = response.content.decode()
    assert 'data-testid="method-not-allowed"' in body
    assert "このページは直接開くことができません" in body


def test_the_api_keeps_its_own_405(alice_client: Client) -> None:
    response = alice_client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert 'data-testid="method-not-allowed"' not in response.content.decode()
