import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEntry, User
from tests.factories import SIGNUP_NAMES, TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long passphrase for the site office"


def _signup(client: Client, email: str) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **SIGNUP_NAMES},
    )
    assert response.status_code == 302, response.content.decode()


def test_signup_sends_a_verification_link_and_login_waits_for_it(client):
    _signup(client, "new@example.jp")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", body)
    assert link, body

    # Not verified yet: signing in does not get a session.
    fresh = Client()
    fresh.post("/accounts/login/", {"login": "new@example.jp", "password": NEW_PASSWORD})
    assert "_auth_user_id" not in fresh.session

    response = fresh.post(link.group(1))
    assert response.status_code == 302
    user = User.objects.get(email="new@example.jp")
    assert user.emailaddress_set.get().verified

    fresh.post("/accounts/logout/")
    response = fresh.post("/accounts/login/", {"login": "new@example.jp", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert fresh.session["_auth_user_id"] == str(user.pk)


def test_new_passwords_are_hashed_with_argon2(client):
    _signup(client, "hash@example.jp")
    assert User.objects.get(email="hash@example.jp").password.startswith("argon2")


@pytest.mark.parametrize("password", ["password1234", "short", "123456789012345"])
def test_signup_refuses_weak_passwords(client, password):
    response = client.post(
        "/accounts/signup/",
        {"email": "weak@example.jp", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.jp").exists()


def test_signup_refuses_an_address_longer_than_the_login_column(client):
    """Django's e-mail field takes 320 characters, the login at most 254: a longer address
    is refused on the form (it was a server error when saved), and nobody is created."""
    email = "x" * 250 + "@e.jp"
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **SIGNUP_NAMES},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert "254 文字以下" in response.content.decode()
    assert not User.objects.filter(email=email).exists()


def test_repeated_failed_logins_are_rate_limited(alice, bob):
    client = Client()
    for _ in range(6):
        client.post("/accounts/login/", {"login": alice.email, "password": "wrong guess"})
    # At most 5 failures per account within 5 minutes (ACCOUNT_RATE_LIMITS "login_failed",
    # counted in Redis): after that even the right password is refused for a while.
    response = client.post("/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    # The limit is per account: a colleague on the same network still signs in.
    client.post("/accounts/login/", {"login": bob.email, "password": TEST_PASSWORD})
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_logins_and_failures_are_audited_with_ip_and_user_agent(alice):
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0")
    client.post("/accounts/login/", {"login": alice.email, "password": "wrong guess"})
    client.post("/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD})
    failed = AuditEntry.objects.get(action="accounts.user.login_failed")
    ok = AuditEntry.objects.get(action="accounts.user.logged_in")
    assert failed.extra["email"] == alice.email
    assert failed.ip_address == "127.0.0.1"
    assert ok.actor == alice
    assert ok.user_agent == "pytest-browser/1.0"
    assert ok.customer == alice.membership.customer
