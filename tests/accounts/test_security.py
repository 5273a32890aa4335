"""Credential-sharing signal (Art. 6(1)), security e-mails with the "this wasn't me" link
(Art. 6(3)), Argon2 upgrades at sign-in and rate limits held in Redis."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.adapter import get_adapter
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import AuditEntry, Incident, NetworkSighting, SharingFlag
from notices.models import Notice
from tests.conftest import viewing_staff_client
from tests.factories import STAFF_TOTP_SECRET, TEST_PASSWORD, StaffFactory, sign_in

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1"


# --- Credential-sharing signal -----------------------------------------------------------------


def test_four_networks_within_the_window_raise_one_flag_with_evidence(alice, customer_a, staff):
    ips = ["198.51.100.7", "203.0.113.9", "192.0.2.44", "100.64.10.1"]
    for ip in ips[:3]:
        sign_in(alice.email, ip=ip)
    assert not SharingFlag.objects.exists()  # three networks: not more than the limit

    fourth = sign_in(alice.email, ip=ips[3], user_agent=IPHONE)
    flag = SharingFlag.objects.get()
    assert (flag.user, flag.customer, flag.network_count) == (alice, customer_a, 4)
    assert {e["ip"] for e in flag.evidence} == set(ips)
    assert {e["network"] for e in flag.evidence} >= {"198.51.100.0/24", "100.64.10.0/24"}
    assert any(e["user_agent"] == IPHONE for e in flag.evidence)
    assert all(e["seen_at"] for e in flag.evidence)
    assert AuditEntry.objects.filter(action="accounts.sharing.flagged", clause="art6.1").exists()

    # It locks nobody out, and more evidence goes to the same flag.
    assert fourth.get("/dashboard/").status_code == 200
    sign_in(alice.email, ip="172.16.5.5")
    flag.refresh_from_db()
    assert SharingFlag.objects.count() == 1
    assert flag.network_count == 5


def test_addresses_of_one_network_count_once(alice):
    for last in range(1, 8):
        sign_in(alice.email, ip=f"198.51.100.{last}")
    sign_in(alice.email, ip="203.0.113.9")
    assert not SharingFlag.objects.exists()


def test_networks_spread_beyond_the_window_raise_nothing(alice):
    start = timezone.now()
    for step, ip in enumerate(["198.51.100.7", "203.0.113.9", "192.0.2.44", "100.64.10.1"]):
        with time_machine.travel(start + timedelta(minutes=20 * step)):
            sign_in(alice.email, ip=ip)
    assert settings.SHARING_WINDOW_MINUTES == 30
    assert not SharingFlag.objects.exists()


def test_ipv6_addresses_are_grouped_by_48():
    assert services.network_of("2001:db8:1:ffff::1") == "2001:db8:1::/48"
    assert services.network_of("2001:db8:1::2") == "2001:db8:1::/48"
    assert services.network_of("198.51.100.200") == "198.51.100.0/24"


def test_a_session_moving_to_another_address_is_a_sighting(alice):
    browser = sign_in(alice.email, ip="198.51.100.7")
    browser.get("/dashboard/", REMOTE_ADDR="203.0.113.9")
    sightings = NetworkSighting.objects.filter(user=alice).order_by("seen_at")
    assert [(s.network, s.source) for s in sightings] == [
        ("198.51.100.0/24", "login"),
        ("203.0.113.0/24", "session"),
    ]


def test_staff_who_may_only_view_flags_cannot_review_them(alice):
    for ip in ["198.51.100.7", "203.0.113.9", "192.0.2.44", "100.64.10.1"]:
        sign_in(alice.email, ip=ip)
    flag = SharingFlag.objects.get()
    client = viewing_staff_client(SharingFlag)
    changelist = "/admin/accounts/sharingflag/"
    assert 'value="review"' not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {"action": "review", "_selected_action": [flag.pk], "apply": "1", "note": "x"},
    )
    flag.refresh_from_db()
    assert flag.reviewed_by is None


def test_staff_see_and_review_flags_in_the_admin(staff_client, staff, alice):
    for ip in ["198.51.100.7", "203.0.113.9", "192.0.2.44", "100.64.10.1"]:
        sign_in(alice.email, ip=ip)
    flag = SharingFlag.objects.get()
    changelist = "/admin/accounts/sharingflag/"
    assert alice.email in staff_client.get(changelist).content.decode()
    detail = staff_client.get(f"{changelist}{flag.pk}/change/").content.decode()
    assert "100.64.10.1" in detail
    staff_client.post(
        changelist,
        {
            "action": "review",
            "_selected_action": [flag.pk],
            "apply": "1",
            "note": "Site office shares one tablet; told the owner to invite each person.",
        },
    )
    flag.refresh_from_db()
    assert flag.reviewed_by == staff
    assert "tablet" in flag.review_note


# --- Security e-mails ------------------------------------------------------------------------


def _alerts(user) -> list[Notice]:
    return list(Notice.objects.filter(kind="security_alert", recipients=[user.email]))


def _report_link(body: str) -> str:
    for word in body.split():
        if "/account/compromised/" in word:
            return "/" + word.split("://", 1)[1].split("/", 1)[1]
    raise AssertionError(body)


def test_a_password_change_sends_one_alert_whose_link_reports_misuse(
    bob, django_capture_on_commit_callbacks
):
    browser = sign_in(bob.email)
    mail.outbox.clear()
    new = "a brand new passphrase for the office"
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/accounts/password/change/",
            {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
        )
    assert response.status_code == 302
    [notice] = _alerts(bob)
    assert notice.period.startswith("password_changed:")
    assert notice.clause == "art6.3"
    # One e-mail: ours, not allauth's plain notification besides it.
    [message] = mail.outbox
    assert message.to == [bob.email]
    assert "パスワードが変更されました" in message.subject

    # The link works without signing in.
    assert Client().post(_report_link(message.body), {"confirm": "on"}).status_code == 302
    assert Incident.objects.get().channel == "email_link"


def test_an_email_change_is_told_to_the_old_address(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        get_adapter().send_notification_mail(
            "account/email/email_changed",
            bob,
            {"from_email": bob.email, "to_email": "bob.new@a.example.jp"},
            email=bob.email,
        )
    [notice] = _alerts(bob)
    assert notice.period.startswith("email_changed:")
    assert "bob.new@a.example.jp" in notice.body_text
    assert "/account/compromised/" in notice.body_text


def test_turning_mfa_off_sends_an_alert(bob, bob_client, django_capture_on_commit_callbacks):
    TOTP.activate(bob, STAFF_TOTP_SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 302
    [notice] = _alerts(bob)
    assert notice.period.startswith("mfa_removed:")
    assert "二要素認証の認証手段が削除されました" in notice.mail_subject


def test_a_sign_in_from_an_unseen_device_sends_an_alert(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(alice.email, user_agent=FIREFOX)  # the very first sign-in: no alert
        sign_in(alice.email, user_agent=FIREFOX.replace("120.0", "121.0"))  # an update
    assert _alerts(alice) == []
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(alice.email, ip="203.0.113.9", user_agent=IPHONE)
    [notice] = _alerts(alice)
    assert notice.period.startswith("new_device:")
    assert "203.0.113.9" in notice.body_text
    assert "iPhone" in notice.body_text


def test_staff_without_a_company_get_the_alert_through_the_notice_ledger(
    db, django_capture_on_commit_callbacks
):
    staff = StaffFactory(email="ops@cts.example.jp", mfa=False)
    sign_in(staff.email, user_agent=FIREFOX)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(staff.email, user_agent=IPHONE)
    # A personal notice: in the ledger (Art. 16), filed under no customer.
    notice = Notice.objects.get(kind="security_alert")
    assert notice.customer is None
    assert notice.recipients == [staff.email]
    assert notice.state == Notice.State.SENT
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert message.body == notice.body_text
    assert "/account/compromised/" in message.body
    # There is no portal page of a personal notice to link to.
    assert "/notices/" not in message.body


# --- Hardening ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hasher", ["pbkdf2_sha256", "md5"])
def test_a_legacy_hash_is_upgraded_to_argon2_at_sign_in(alice, hasher):
    alice.password = make_password(TEST_PASSWORD, hasher=hasher)
    alice.save(update_fields=["password"])
    assert alice.password.startswith(hasher)
    sign_in(alice.email)
    alice.refresh_from_db()
    assert alice.password.startswith("argon2$argon2id$")


def _redis_keys(pattern: str) -> list[bytes]:
    """Keys in the Redis database behind the default cache (shared by every process)."""
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return list(client.scan_iter(match=pattern))


def test_failed_sign_ins_are_limited_per_account_until_the_limit_expires(alice):
    from django.core.cache.backends.redis import RedisCache
    from django.utils.module_loading import import_string

    # allauth's limits need the cache shared by every process: Redis (ctsportal.cache's).
    assert issubclass(import_string(settings.CACHES["default"]["BACKEND"]), RedisCache)
    client = Client()
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"login": alice.email, "password": "wrong password 123"}
        )
        assert response.status_code == 200
    assert _redis_keys("*allauth:rl:*login_failed*")
    response = client.post("/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    cache.clear()  # the window of ACCOUNT_RATE_LIMITS["login_failed"] has passed
    client.post("/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_password_reset_requests_are_limited(alice):
    client = Client()
    for _ in range(8):
        client.post("/accounts/password/reset/", {"email": alice.email})
    resets = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert len(resets) == 5  # ACCOUNT_RATE_LIMITS["reset_password"]: 5/m per address


def test_other_allauth_notifications_carry_the_report_link(bob, rf):
    from allauth.core import context

    with context.request_context(rf.get("/")):
        get_adapter().send_notification_mail("account/email/email_confirm", bob)
    [message] = mail.outbox
    assert message.to == [bob.email]
    assert "/account/compromised/" in message.body
