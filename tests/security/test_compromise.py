"""Art. 6(3): reporting stolen credentials, from the account page, the API and the e-mailed
link (which works without signing in). Every entry point ends the sessions, kills the API
tokens, makes the password unusable, sends a reset, opens one incident and one notice."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import AuditEntry, Incident, User
from notices.models import Notice
from security.services import credentials as services
from tests.conftest import viewing_staff_client
from tests.factories import TEST_PASSWORD, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase for the yard"


def _token(user: User) -> str:
    _instance, secret = AuthToken.objects.create(user=user)
    return secret


def _report(channel: str, user: User) -> None:
    """Reports ``user``'s credentials through ``channel`` the way a person would."""
    if channel == "web":
        client = sign_in(user.email, ip="192.0.2.99")
        assert client.get("/account/compromised/").status_code == 200
        response = client.post("/account/compromised/", {"confirm": "on"})
        assert response["Location"] == "/account/compromised/done/"
        # The reporting browser is signed out with everyone else, and sees the result.
        done = client.get("/account/compromised/done/")
        assert 'data-testid="compromised-done"' in done.content.decode()
        assert "_auth_user_id" not in client.session
    elif channel == "api":
        api = Client(HTTP_AUTHORIZATION=f"Token {_token(user)}")
        response = api.post("/api/v1/account/compromised", {}, "application/json")
        assert response.status_code == 202
        assert response.json()["state"] == "open"
    else:
        link = services.compromise_url(user).split("://", 1)[1].split("/", 1)[1]
        anonymous = Client()
        page = anonymous.get(f"/{link}")
        assert page.status_code == 200
        assert user.email in page.content.decode()
        response = anonymous.post(f"/{link}", {"confirm": "on"})
        assert response["Location"] == "/account/compromised/done/"


CHANNELS = ["web", "api", "email_link"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_report_neutralises_the_login(
    channel, bob, alice, customer_a, django_capture_on_commit_callbacks
):
    laptop = sign_in(bob.email, ip="198.51.100.7")
    phone = sign_in(bob.email, ip="203.0.113.9", user_agent="Mozilla/5.0 (iPhone) Safari/604")
    old_token = _token(bob)
    assert Client(HTTP_AUTHORIZATION=f"Token {old_token}").get("/api/v1/me").status_code == 200
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _report(channel, bob)

    # Sessions gone, tokens dead, password unusable.
    for client in (laptop, phone):
        assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(user=bob).exists()
    assert Client(HTTP_AUTHORIZATION=f"Token {old_token}").get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=bob).exists()
    bob.refresh_from_db()
    assert not bob.has_usable_password()
    assert (
        Client()
        .post("/accounts/login/", {"login": bob.email, "password": TEST_PASSWORD})
        .status_code
        == 200
    )  # the stolen password no longer signs in

    # One incident, one notice to bob and the owner, audited on Art. 6(3).
    incident = Incident.objects.get()
    assert (incident.user, incident.customer, incident.channel, incident.state) == (
        bob,
        customer_a,
        channel,
        "open",
    )
    notice = Notice.objects.get(kind="credentials_compromised")
    assert notice.recipients == [bob.email, alice.email]
    assert (notice.clause, notice.period) == ("art6.3", f"incident-{incident.pk}")
    entry = AuditEntry.objects.get(action="accounts.credentials.reported_compromised")
    assert entry.clause == "art6.3"
    assert entry.extra["channel"] == channel

    # The reset e-mail goes to bob alone; the notice says what to do next.
    resets = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert [m.to for m in resets] == [[bob.email]]
    [notice_mail] = [m for m in mail.outbox if m.subject == notice.mail_subject]
    assert "二要素認証" in notice_mail.body


def test_the_reset_link_sets_a_new_password(bob, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_report_compromised(user=bob, reporter=bob, channel="web")
    [reset] = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", reset.body).group(1)
    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)
    sign_in(bob.email, NEW_PASSWORD)


@pytest.mark.parametrize("second_channel", CHANNELS)
def test_reporting_twice_opens_one_incident_and_one_notice(
    second_channel, bob, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_report_compromised(user=bob, reporter=bob, channel="web")
    # bob set a new password meanwhile; it is taken again by the second report.
    bob.set_password(TEST_PASSWORD)
    bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        _report(second_channel, bob)

    incident = Incident.objects.get()
    assert incident.reports == 2
    assert Notice.objects.filter(kind="credentials_compromised").count() == 1
    bob.refresh_from_db()
    assert not bob.has_usable_password()
    assert (
        AuditEntry.objects.filter(action="accounts.credentials.reported_compromised").count() == 2
    )
    # Staff were alerted once, with the admin link of the incident, through the ledger.
    [staff_alert] = [m for m in mail.outbox if m.to == ["support@cts.example.jp"]]
    assert f"/admin/accounts/incident/{incident.pk}/change/" in staff_alert.body
    staff_notice = Notice.objects.get(kind="incident_reported")
    assert staff_notice.customer is None
    assert staff_notice.recipients == ["support@cts.example.jp"]
    assert staff_alert.body == staff_notice.body_text


def test_after_resolution_a_new_report_opens_a_new_incident(bob, staff):
    first = services.credentials_report_compromised(user=bob, reporter=bob)
    services.incident_resolve(incident=first, actor=staff, note="password reset, no misuse")
    second = services.credentials_report_compromised(user=bob, reporter=bob)
    assert second.pk != first.pk
    assert Notice.objects.filter(kind="credentials_compromised").count() == 2


def test_the_owner_can_report_for_the_whole_company(
    alice, bob, customer_a, charlie, django_capture_on_commit_callbacks
):
    alice_browser = sign_in(alice.email)
    bob_browser = sign_in(bob.email)
    charlie_browser = sign_in(charlie.email)
    bob_token = _token(bob)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_browser.post(
            "/account/compromised/", {"scope": "company", "confirm": "on"}
        )
    assert response.status_code == 302
    for user in (alice, bob):
        user.refresh_from_db()
        assert not user.has_usable_password()
    assert bob_browser.get("/dashboard/").status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Token {bob_token}").get("/api/v1/me").status_code == 401
    # Another company is untouched.
    assert charlie_browser.get("/dashboard/").status_code == 200
    charlie.refresh_from_db()
    assert charlie.has_usable_password()

    incident = Incident.objects.get()
    assert incident.scope == "company"
    notice = Notice.objects.get(kind="credentials_compromised")
    assert notice.recipients == [alice.email, bob.email]
    resets = sorted(m.to[0] for m in mail.outbox if "/accounts/password/reset/key/" in m.body)
    assert resets == [alice.email, bob.email]


def test_a_member_cannot_report_for_the_whole_company(alice, bob, bob_client):
    page = bob_client.get("/account/compromised/").content.decode()
    assert 'name="scope"' not in page
    with pytest.raises(PermissionDenied):
        services.credentials_report_compromised(user=bob, reporter=bob, scope="company")
    alice.refresh_from_db()
    assert alice.has_usable_password()
    assert not Incident.objects.exists()


def test_the_web_report_needs_the_confirmation(bob_client, bob):
    response = bob_client.post("/account/compromised/", {})
    assert response.status_code == 200
    assert not Incident.objects.exists()
    bob.refresh_from_db()
    assert bob.has_usable_password()


@pytest.mark.parametrize("token", ["garbage", "1:abc:def"])
def test_a_forged_link_is_refused(bob, token):
    response = Client().post(f"/account/compromised/{token}/", {"confirm": "on"})
    assert response.status_code == 404
    assert not Incident.objects.exists()


def test_a_link_is_refused_after_its_lifetime(bob):
    url = services.compromise_url(bob)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert Client().post(path, {"confirm": "on"}).status_code == 404
    assert not Incident.objects.exists()


def test_a_link_report_works_for_someone_without_a_company(db):
    from tests.factories import UserFactory

    applicant = UserFactory(email="applicant@example.jp")
    path = "/" + services.compromise_url(applicant).split("://", 1)[1].split("/", 1)[1]
    assert Client().post(path, {"confirm": "on"}).status_code == 302
    incident = Incident.objects.get()
    assert (incident.user, incident.customer, incident.reported_by) == (applicant, None, None)
    applicant.refresh_from_db()
    assert not applicant.has_usable_password()


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_staff_who_may_only_view_incidents_cannot_act_on_them(bob, action):
    incident = services.credentials_report_compromised(user=bob, reporter=bob)
    client = viewing_staff_client(Incident)
    changelist = "/admin/accounts/incident/"
    assert f'value="{action}"' not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {"action": action, "_selected_action": [incident.pk], "apply": "1", "note": "x"},
    )
    incident.refresh_from_db()
    assert incident.state == "open"
    assert incident.notes == ""


def test_staff_acknowledge_and_resolve_incidents_in_the_admin(staff_client, staff, bob):
    incident = services.credentials_report_compromised(user=bob, reporter=bob)
    changelist = "/admin/accounts/incident/"
    assert bob.email in staff_client.get(changelist + "?state__exact=open").content.decode()

    ask = staff_client.post(
        changelist, {"action": "acknowledge", "_selected_action": [incident.pk]}
    )
    assert ask.status_code == 200
    assert 'name="note"' in ask.content.decode()
    done = staff_client.post(
        changelist,
        {
            "action": "acknowledge",
            "_selected_action": [incident.pk],
            "apply": "1",
            "note": "Called the customer.",
        },
    )
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    assert incident.acknowledged_by == staff
    assert "Called the customer." in incident.notes

    staff_client.post(
        changelist,
        {
            "action": "resolve",
            "_selected_action": [incident.pk],
            "apply": "1",
            "note": "New password set, no misuse found.",
        },
    )
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert incident.resolved_by == staff
    assert "no misuse found" in incident.notes
    assert AuditEntry.objects.filter(action="accounts.incident.resolved", actor=staff).exists()
    assert staff_client.get(f"{changelist}{incident.pk}/change/").status_code == 200


def test_outside_a_request_the_reset_link_uses_the_site_address(
    bob, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.cts.example.jp"
    settings.ALLOWED_HOSTS = ["portal.cts.example.jp"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_report_compromised(user=bob, reporter=None, channel="email_link")
    [reset] = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert "https://portal.cts.example.jp/accounts/password/reset/key/" in reset.body


def test_the_api_says_why_a_member_cannot_report_for_the_whole_company(alice, bob):
    """The service's reason reaches the API caller, in their language, not DRF's generic
    "You do not have permission"."""
    _token, secret = AuthToken.objects.create(user=bob)
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    for language, words in (("ja", "会社の管理者"), ("en", "owner")):
        response = client.post(
            "/api/v1/account/compromised",
            {"scope": "company"},
            "application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "permission_denied"
        assert words in body["detail"], body
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [("ja", "新しいパスワード"), ("en", "set a new password")],
)
def test_the_api_tells_the_reporter_what_to_do_next(alice: User, language: str, words: str):
    # Art. 6(3): the customer follows the provider's instructions; the page a report in the
    # browser ends on gives them, the API answered ids only.
    _token, secret = AuthToken.objects.create(user=alice)
    response = Client(HTTP_AUTHORIZATION=f"Token {secret}").post(
        "/api/v1/account/compromised", {}, "application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 202
    next_steps = response.json()["next_steps"]
    assert words in next_steps and "support@cts.example.jp" in next_steps
