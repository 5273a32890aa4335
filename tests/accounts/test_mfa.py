"""Two-factor authentication: staff need it for the admin; the admin's login is allauth's
(so the second factor is asked) and repeated failures lock staff accounts (axes)."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from ctsportal.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.factories import STAFF_TOTP_SECRET, TEST_PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_without_mfa_are_sent_to_set_it_up(db):
    staff = StaffFactory(email="new-staff@cts.example.jp", mfa=False)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert client.get("/admin/accounts/customer/")["Location"] == "/accounts/2fa/"
    follow = client.get("/admin/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "two-factor" in follow.content.decode().lower()


def test_staff_with_mfa_use_the_admin(staff_client):
    assert staff_client.get("/admin/").status_code == 200


def test_the_admin_login_is_allauths(db):
    client = Client()
    response = client.get("/admin/", follow=False)
    assert response["Location"].startswith("/admin/login/")
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302
    assert login["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # The admin's own form cannot be used to skip the second factor.
    staff = StaffFactory(email="ops@cts.example.jp")
    posted = client.post("/admin/login/", {"username": staff.email, "password": TEST_PASSWORD})
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_sign_in_asks_for_the_second_factor(db):
    staff = StaffFactory(email="ops@cts.example.jp")
    client = Client()
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": TEST_PASSWORD}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    response = client.post("/accounts/2fa/authenticate/", {"code": _code(STAFF_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_repeated_failures_lock_a_staff_account_beyond_the_rate_limit(db):
    staff = StaffFactory(email="ops@cts.example.jp")
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"login": staff.email, "password": "wrong password 123"})
    assert AccessAttempt.objects.get(username=staff.email).failures_since_start == 5
    # allauth's rate limits live in the cache; axes' lockout does not depend on it.
    cache.clear()
    response = client.post("/accounts/login/", {"login": staff.email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_customer_failures_are_left_to_the_rate_limits(alice):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"login": alice.email, "password": "wrong password 123"})
    assert not AccessAttempt.objects.exists()
    cache.clear()
    response = client.post("/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_the_demo_staff_get_an_authenticator_with_the_printed_secret(capsys):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    out = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in out
    assert "otpauth://totp/" in out
    for staff in User.objects.filter(is_staff=True):
        assert Authenticator.objects.filter(user=staff, type="totp").count() == 1
    admin = User.objects.get(email="admin@cts.example.jp")
    client = Client()
    client.post("/accounts/login/", {"login": admin.email, "password": DEMO_PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": _code(DEMO_TOTP_SECRET)})
    assert client.get("/admin/").status_code == 200
