"""Sessions: each user lists and ends their own (page and API); sessions end after the
absolute lifetime and after idling (settings); sensitive actions ask for the password."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import AuditEntry
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def _api(user) -> Client:
    _token, secret = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def test_the_sessions_page_is_linked_from_the_account_page(alice_client):
    page = alice_client.get("/account/").content.decode()
    assert 'href="/accounts/sessions/"' in page
    assert 'href="/account/compromised/"' in page
    assert 'href="/account/members/"' in page
    assert alice_client.get("/accounts/sessions/").status_code == 200


def test_the_api_lists_own_sessions_only(alice, bob):
    sign_in(alice.email, ip="198.51.100.7")
    sign_in(alice.email, ip="203.0.113.9", user_agent="Mozilla/5.0 (iPhone) Safari/604")
    sign_in(bob.email)
    response = _api(alice).get("/api/v1/sessions")
    assert response.status_code == 200
    rows = response.json()
    assert {row["ip"] for row in rows} == {"198.51.100.7", "203.0.113.9"}
    assert {"id", "user_agent", "created_at", "last_seen_at", "current"} <= set(rows[0])


def test_the_api_ends_one_session(alice):
    laptop = sign_in(alice.email, ip="198.51.100.7")
    phone = sign_in(alice.email, ip="203.0.113.9")
    target = UserSession.objects.get(user=alice, ip="203.0.113.9")
    assert _api(alice).delete(f"/api/v1/sessions/{target.pk}").status_code == 204
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.session.ended").exists()


def test_the_api_ends_all_sessions(alice):
    laptop = sign_in(alice.email, ip="198.51.100.7")
    phone = sign_in(alice.email, ip="203.0.113.9")
    assert _api(alice).delete("/api/v1/sessions").status_code == 204
    assert laptop.get("/dashboard/").status_code == 302
    assert phone.get("/dashboard/").status_code == 302


def test_ending_the_current_session_through_the_api_signs_out(alice):
    browser = sign_in(alice.email)
    current = UserSession.objects.get(user=alice)
    assert browser.get("/api/v1/sessions").json()[0]["current"] is True
    assert browser.delete(f"/api/v1/sessions/{current.pk}").status_code == 204
    assert "_auth_user_id" not in browser.session


def test_a_session_ends_after_idling(alice, settings):
    settings.SESSION_IDLE_MINUTES = 60
    settings.SESSION_COOKIE_AGE = 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        browser = sign_in(alice.email)
        traveller.shift(timedelta(minutes=59))
        assert browser.get("/dashboard/").status_code == 200
        traveller.shift(timedelta(minutes=59))
        assert browser.get("/dashboard/").status_code == 200
        traveller.shift(timedelta(minutes=61))
        response = browser.get("/dashboard/")
        assert response["Location"].startswith("/accounts/login/")
        assert "_auth_user_id" not in browser.session


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy(alice, settings):
    settings.SESSION_IDLE_MINUTES = 60
    settings.SESSION_COOKIE_AGE = 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        browser = sign_in(alice.email)
        for _ in range(14):  # 14 × 50 minutes = 11 h 40 min of steady use
            traveller.shift(timedelta(minutes=50))
            assert browser.get("/dashboard/").status_code == 200
        traveller.shift(timedelta(minutes=25))  # 12 h 05 min after signing in
        assert browser.get("/dashboard/")["Location"].startswith("/accounts/login/")


def test_creating_an_api_token_asks_for_the_password_again(alice):
    client = Client()
    client.force_login(alice)
    assert client.get("/account/tokens/").status_code == 200
    response = client.post("/account/tokens/", {"days": "90"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not AuthToken.objects.filter(user=alice).exists()

    # After entering the password, the suspended request is carried out.
    response = client.post(
        response["Location"], {"password": "correct horse battery staple 2026"}, follow=True
    )
    assert AuthToken.objects.filter(user=alice).count() == 1
