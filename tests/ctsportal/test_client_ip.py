"""The client address behind the TLS proxy: one setting (TRUSTED_PROXY_COUNT) for the audit
log, allauth's rate limits, axes and the sharing signal; sign-in failures limited per account,
so that one account's failures never lock out others behind the same address."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from accounts.audit import client_ip
from accounts.models import AuditEntry, NetworkSighting, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

OFFICE = "198.51.100.20"
PROXY = "10.0.0.5"


def _request(remote: str = PROXY, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.9")) == PROXY


def test_forwarded_for_is_honoured_with_trusted_proxies(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # A client may send its own X-Forwarded-For; the proxy appends what it saw: the last entry.
    assert client_ip(_request(forwarded="203.0.113.9, " + OFFICE)) == OFFICE
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="203.0.113.9, " + OFFICE + ", 10.0.0.9")) == OFFICE
    # Garbage in the header falls back to the connection's address.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded="not-an-address")) == PROXY
    assert client_ip(_request(forwarded="[2001:db8::1]")) == "2001:db8::1"


def _sign_in(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_the_audit_log_sessions_and_sharing_signal_see_the_forwarded_client(
    settings, alice: User
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    assert _sign_in(client, alice.email).status_code == 302
    entry = AuditEntry.objects.filter(action="accounts.user.logged_in", actor=alice).get()
    assert entry.ip_address == OFFICE
    # The credential-sharing signal (Art. 6(1)) records the office, not the proxy.
    assert set(NetworkSighting.objects.filter(user=alice).values_list("ip_address", flat=True)) == {
        OFFICE
    }
    from allauth.usersessions.models import UserSession

    client.get("/dashboard/")
    assert UserSession.objects.get(user=alice).ip == OFFICE


def test_without_trusted_proxies_the_forwarded_header_is_not_logged(settings, alice) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    assert _sign_in(client, alice.email).status_code == 302
    entry = AuditEntry.objects.filter(action="accounts.user.logged_in", actor=alice).get()
    assert entry.ip_address == PROXY


def test_one_accounts_failures_do_not_block_another_behind_the_same_address(
    settings, alice: User, charlie: User
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    office = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    for _ in range(12):
        _sign_in(office, alice.email, "wrong password entirely")
    # Alice's account is now limited, from this address and any other ...
    limited = _sign_in(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE), alice.email)
    assert limited.status_code != 302
    # ... while Charlie, another customer behind the same office address, signs in.
    other = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    assert _sign_in(other, charlie.email).status_code == 302
    assert "_auth_user_id" in other.session


def test_allauth_rate_limits_tell_clients_behind_the_proxy_apart(settings, charlie) -> None:
    """With the proxy trusted, the per-address limit counts each client, not the proxy."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        _sign_in(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1"), "x@example.jp")
    blocked = _sign_in(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1"), charlie.email)
    assert blocked.status_code == 429
    elsewhere = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)
    assert _sign_in(elsewhere, charlie.email).status_code == 302


def test_axes_uses_the_same_client_address(settings) -> None:
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_client_ip_address(_request(forwarded=OFFICE)) == OFFICE
    settings.TRUSTED_PROXY_COUNT = 0
    assert get_client_ip_address(_request(forwarded=OFFICE)) == PROXY
