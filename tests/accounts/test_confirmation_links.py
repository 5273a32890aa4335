"""A verification link that cannot confirm anything answers 404 (broken) or 410 (expired or
already used) with a page saying what to do, not 200."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import SIGNUP_NAMES

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase for the site office"


def _link(client: Client) -> str:
    client.post(
        "/accounts/signup/",
        {
            "email": "taro@yamada.example.jp",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **SIGNUP_NAMES,
        },
    )
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_a_valid_link_still_shows_the_confirmation_page(client: Client) -> None:
    assert Client().get(_link(client)).status_code == 200


def test_a_broken_link_is_a_404_with_help(client: Client) -> None:
    link = _link(client)
    response = Client().get(link[:-8] + "tampered/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "/accounts/login/" in body and "support@cts.example.jp" in body


def test_an_expired_link_is_a_410(client: Client) -> None:
    link = _link(client)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        response = Client().get(link)
    assert response.status_code == 410
    assert "/accounts/login/" in response.content.decode()


def test_a_used_link_is_a_410(client: Client) -> None:
    link = _link(client)
    Client().post(link)
    assert Client().get(link).status_code == 410
