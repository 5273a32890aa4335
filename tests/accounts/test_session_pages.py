"""The sessions page names the browser and OS in words, the place as a network, and marks the
device the page is read on; the account pages share the portal's card layout."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import User
from accounts.useragents import describe_user_agent
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (CHROME_WINDOWS, "Chrome 120 on Windows 10"),
        (SAFARI_IPHONE, "Mobile Safari 17 on iOS 17.1"),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Firefox 120 on Linux",
        ),
        ("", "Unknown browser"),
        ("curl/8.4.0", "curl 8"),
    ],
)
def test_a_user_agent_is_described_in_words(user_agent: str, words: str) -> None:
    with translation.override("en"):
        assert describe_user_agent(user_agent) == words


def test_the_sessions_page_shows_browser_os_network_and_this_device(alice: User) -> None:
    sign_in(alice.email, ip="198.51.100.23", user_agent=SAFARI_IPHONE)
    client = sign_in(alice.email, ip="192.0.2.10", user_agent=CHROME_WINDOWS)
    with translation.override("en"):
        body = client.get("/accounts/sessions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = re.findall(r'<tr[^>]*data-testid="session-row">(.*?)</tr>', body, re.S)
    assert len(rows) == 2
    current = next(row for row in rows if "Chrome 120 on Windows 10" in row)
    other = next(row for row in rows if "Mobile Safari 17 on iOS 17.1" in row)
    assert "192.0.2.0/24" in current and "This device" in current
    assert "198.51.100.0/24" in other and "This device" not in other
    assert "Mozilla/5.0" not in re.sub(r'title="[^"]*"', "", body)
    assert 'class="card"' in body
    assert ' style="' not in body


def test_the_sessions_page_lists_only_ones_own_sessions(alice: User, charlie: User) -> None:
    sign_in(charlie.email, ip="203.0.113.9", user_agent=SAFARI_IPHONE)
    body = sign_in(alice.email, user_agent=CHROME_WINDOWS).get("/accounts/sessions/")
    assert "203.0.113.0/24" not in body.content.decode()


def test_two_factor_and_email_pages_use_the_card_layout(alice_client: Client) -> None:
    for url in ("/accounts/email/", "/accounts/2fa/"):
        response = alice_client.get(url, follow=True)
        assert response.status_code == 200
        assert 'class="card"' in response.content.decode(), url
