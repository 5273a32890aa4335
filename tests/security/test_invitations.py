"""Invitations (Art. 6(1): each person gets their own login): create, e-mail, accept once,
expire, withdraw, and never join a second company."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, Invitation, Membership, User
from notices.models import Notice
from security.services import invitations as services
from tests.factories import SIGNUP_NAMES, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long passphrase for the site office"


def _invite(alice, customer_a, email="dan@a.example.jp"):
    return services.invitation_create(customer=customer_a, email=email, actor=alice)


def _link_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/account/invitations/[^\s/]+/)", body)
    assert match, body
    return match.group(1)


def test_it_stores_only_the_hash_and_mails_the_link(
    alice, customer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = _invite(alice, customer_a, email="Dan@A.example.jp")
    invitation.refresh_from_db()
    assert invitation.email == "dan@a.example.jp"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)

    notice = Notice.objects.get(kind="member_invitation")
    assert notice.recipients == ["dan@a.example.jp"]
    assert (notice.customer, notice.clause) == (customer_a, "art6.1")
    [message] = mail.outbox
    assert message.to == ["dan@a.example.jp"]
    assert _link_path(message.body) == f"/account/invitations/{token}/"
    assert customer_a.name in message.subject
    assert AuditEntry.objects.filter(action="accounts.invitation.created").exists()


def test_it_lets_only_the_owner_invite(bob, customer_a):
    with pytest.raises(PermissionDenied):
        services.invitation_create(customer=customer_a, email="x@a.example.jp", actor=bob)
    assert not Invitation.objects.exists()


def test_it_refuses_to_invite_a_member_of_any_company(alice, bob, customer_a, charlie):
    with pytest.raises(ValidationError) as exc:
        _invite(alice, customer_a, email="CHARLIE@b.example.jp")
    # Another company's member: nothing is revealed beyond "cannot invite this address".
    assert exc.value.code == "cannot_invite"
    assert charlie.membership.customer.name not in exc.value.messages[0]
    assert "member" not in exc.value.messages[0] and "メンバー" not in exc.value.messages[0]
    with pytest.raises(ValidationError) as own:
        _invite(alice, customer_a, email="bob@a.example.jp")
    assert own.value.code == "already_member"
    assert not Invitation.objects.exists()


def test_a_new_invitation_to_the_same_address_withdraws_the_old_link(alice, customer_a):
    first, first_token = _invite(alice, customer_a)
    second, second_token = _invite(alice, customer_a)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_open
    user = UserFactory(email="dan@a.example.jp")
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=first_token, user=user)
    assert exc.value.code == "revoked"
    services.invitation_accept(token=second_token, user=user)


def test_the_invitee_signs_up_with_the_address_prefilled_and_joins(
    alice, customer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, _token = _invite(alice, customer_a)
    path = _link_path(mail.outbox[0].body)
    mail.outbox.clear()

    client = Client()
    landing = client.get(path)
    assert landing.status_code == 200
    assert customer_a.name in landing.content.decode()
    signup = client.get(f"/accounts/signup/?email=dan%40a.example.jp&next={path}")
    assert 'value="dan@a.example.jp"' in signup.content.decode()

    response = client.post(
        f"/accounts/signup/?next={path}",
        {
            "email": "dan@a.example.jp",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **SIGNUP_NAMES,
        },
    )
    # The link proved the mailbox: no verification round trip, straight back to the invitation.
    assert response.status_code == 302
    assert response["Location"] == path
    assert not [m for m in mail.outbox if "confirm-email" in m.body]
    dan = User.objects.get(email="dan@a.example.jp")
    assert client.session["_auth_user_id"] == str(dan.pk)

    assert client.post(path).status_code == 302
    membership = Membership.objects.get(user=dan)
    assert (membership.customer, membership.role) == (customer_a, "member")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == dan
    assert invitation.accepted_at is not None


def test_a_closed_signup_stays_open_for_invitees(
    alice, customer_a, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_OPEN = False
    Client().post(
        "/accounts/signup/",
        {
            "email": "walk-in@example.jp",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **SIGNUP_NAMES,
        },
    )
    assert not User.objects.filter(email="walk-in@example.jp").exists()
    _invitation, token = _invite(alice, customer_a)
    client = Client()
    client.get(f"/account/invitations/{token}/")
    response = client.post(
        "/accounts/signup/",
        {
            "email": "dan@a.example.jp",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **SIGNUP_NAMES,
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="dan@a.example.jp").exists()


def test_a_link_opened_signed_in_with_another_address_says_so_at_once_and_offers_sign_out(
    alice, customer_a, charlie
):
    # Charlie (another company, another address) opens Dan's link: the page says whose it
    # is before any click, offers no "Join", and signing out leads back to the link.
    _invitation, token = _invite(alice, customer_a)
    path = f"/account/invitations/{token}/"
    client = Client()
    client.force_login(charlie)
    body = client.get(path, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "dan@a.example.jp" in body and 'data-testid="invitation-error"' in body
    assert "会社に参加する" not in body
    assert 'data-testid="invitation-sign-out"' in body
    signed_out = client.post("/accounts/logout/", {"next": path})
    assert signed_out["Location"] == path
    anonymous = client.get(path, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="invitation-error"' not in anonymous
    assert "/accounts/signup/" in anonymous
    assert not Membership.objects.filter(customer=customer_a, user=charlie).exists()


def test_a_link_opened_by_the_invited_address_of_a_member_says_why_it_cannot_join(
    alice, customer_a, charlie
):
    _invitation, token = _invite(alice, customer_a, email="dan@a.example.jp")
    dan = UserFactory(email="dan@a.example.jp")
    MembershipFactory(user=dan, customer=charlie.membership.customer)
    client = Client()
    client.force_login(dan)
    body = client.get(f"/account/invitations/{token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You already belong to" in body
    assert "Join the company" not in body and 'data-testid="invitation-sign-out"' not in body


def test_a_used_invitation_cannot_be_used_again(alice, customer_a):
    _invitation, token = _invite(alice, customer_a)
    dan = UserFactory(email="dan@a.example.jp")
    services.invitation_accept(token=token, user=dan)
    Membership.objects.filter(user=dan).delete()  # even after leaving the company again

    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "used"

    client = Client()
    client.force_login(dan)
    response = client.post(f"/account/invitations/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(user=dan).exists()


def test_an_expired_invitation_is_refused(alice, customer_a):
    _invitation, token = _invite(alice, customer_a)
    dan = UserFactory(email="dan@a.example.jp")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        with pytest.raises(ValidationError) as exc:
            services.invitation_accept(token=token, user=dan)
        assert exc.value.code == "expired"
        response = Client().get(f"/account/invitations/{token}/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user=dan).exists()


def test_a_withdrawn_invitation_is_refused(alice, customer_a):
    invitation, token = _invite(alice, customer_a)
    services.invitation_revoke(customer=customer_a, invitation=invitation, actor=alice)
    dan = UserFactory(email="dan@a.example.jp")
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "revoked"


def test_an_unknown_token_is_a_404(db):
    assert Client().get("/account/invitations/not-a-real-token/").status_code == 404


def test_it_refuses_a_user_signed_in_with_another_address(alice, customer_a):
    _invitation, token = _invite(alice, customer_a)
    eve = UserFactory(email="eve@elsewhere.example.jp")
    client = Client()
    client.force_login(eve)
    response = client.post(f"/account/invitations/{token}/")
    assert response.status_code == 409
    assert "dan@a.example.jp" in response.content.decode()
    assert not Membership.objects.filter(user=eve).exists()


def test_it_refuses_an_invitee_who_joined_another_company_meanwhile(
    alice, customer_a, customer_b, charlie
):
    _invitation, token = _invite(alice, customer_a)
    dan = UserFactory(email="dan@a.example.jp")
    MembershipFactory(user=dan, customer=customer_b)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "already_member"
    assert customer_b.name in exc.value.messages[0]
    assert Membership.objects.get(user=dan).customer == customer_b


def test_an_unverified_address_cannot_accept(alice, customer_a):
    _invitation, token = _invite(alice, customer_a)
    dan = UserFactory(email="dan@a.example.jp")
    dan.emailaddress_set.update(verified=False)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "wrong_email"


def test_the_owner_invites_and_withdraws_from_the_members_page(alice_client, customer_a):
    response = alice_client.post("/account/members/invite/", {"email": "dan@a.example.jp"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(customer=customer_a)
    page = alice_client.get("/account/members/").content.decode()
    assert "dan@a.example.jp" in page
    alice_client.post(f"/account/members/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_a_company_whose_registration_ended_takes_no_new_members(alice, customer_a):
    _invitation, token = _invite(alice, customer_a)
    customer_a.status = "revoked"
    customer_a.save(update_fields=["status"])
    dan = UserFactory(email="dan@a.example.jp")
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "closed"
    assert not Membership.objects.filter(user=dan).exists()


def test_an_invitation_waits_while_the_company_is_suspended(alice, customer_a, staff):
    """Art. 12(1): a suspended company changes nothing; the owner cannot invite then, but an
    invitation sent before the suspension still added a member."""
    from accounts.clauses import Clause
    from contracts.services import standing

    _invitation, token = _invite(alice, customer_a)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    dan = UserFactory(email="dan@a.example.jp")
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, user=dan)
    assert exc.value.code == "suspended"
    assert not Membership.objects.filter(user=dan).exists()
    standing.customer_unsuspend(customer=customer_a, actor=staff, note="x")
    assert services.invitation_accept(token=token, user=dan).customer == customer_a
