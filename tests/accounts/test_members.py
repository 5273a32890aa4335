"""The members page: list, removal (sessions end at once), ownership hand-over, the company's
two-factor requirement, roles (403) and re-authentication before sensitive actions."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from knox.models import AuthToken

from accounts import services
from accounts.models import AuditEntry, Membership
from security.services import invitations
from tests.factories import STAFF_TOTP_SECRET, mark_reauthenticated, sign_in

pytestmark = pytest.mark.django_db


def _sessions_of(user) -> set[str]:
    """Keys of the Django sessions that authenticate ``user``."""
    return {
        s.session_key
        for s in Session.objects.all()
        if s.get_decoded().get("_auth_user_id") == str(user.pk)
    }


def test_every_member_sees_email_name_role_last_login_and_mfa(bob, alice, customer_a):
    TOTP.activate(alice, STAFF_TOTP_SECRET)
    client = sign_in(bob.email)
    page = client.get("/account/members/").content.decode()
    for text in ("alice@a.example.jp", "Alice", "bob@a.example.jp", "Bob"):
        assert text in page
    bob.refresh_from_db()
    assert bob.last_login.astimezone().strftime("%Y-%m-%d") in page
    alice_row = page[page.index('data-testid="member-' + str(alice.membership.pk)) :]
    assert "status-active" in alice_row.split("</tr>")[0]  # alice has two-factor on
    bob_row = page[page.index('data-testid="member-' + str(bob.membership.pk)) :]
    assert "status-pending" in bob_row.split("</tr>")[0]
    # A member sees no owner actions.
    assert "/remove/" not in page
    assert "/account/members/invite/" not in page


def test_the_members_page_needs_a_company(db):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    assert client.get("/account/members/").status_code in (302, 404)


def test_removing_a_member_ends_their_sessions_and_tokens_at_once(alice_client, alice, bob):
    laptop = sign_in(bob.email, ip="198.51.100.7")
    phone = sign_in(bob.email, ip="203.0.113.9", user_agent="Mozilla/5.0 (iPhone) Safari/604")
    assert laptop.get("/dashboard/").status_code == 200
    assert len(_sessions_of(bob)) == 2
    assert UserSession.objects.filter(user=bob).count() == 2
    _token, secret = AuthToken.objects.create(user=bob)

    response = alice_client.post(f"/account/members/{bob.membership.pk}/remove/")
    assert response.status_code == 302

    assert not Membership.objects.filter(user=bob).exists()
    assert _sessions_of(bob) == set()
    assert not UserSession.objects.filter(user=bob).exists()
    for client in (laptop, phone):
        assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/me").status_code == 401
    entry = AuditEntry.objects.get(action="accounts.member.removed")
    assert (entry.actor, entry.extra["sessions_ended"], entry.extra["tokens_revoked"]) == (
        alice,
        2,
        1,
    )
    # The owner's own session is untouched.
    assert alice_client.get("/account/members/").status_code == 200


def test_removal_asks_for_the_password_again(alice, bob):
    client = Client()
    client.force_login(alice)  # signed in, but has not re-entered the password
    response = client.post(f"/account/members/{bob.membership.pk}/remove/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert Membership.objects.filter(user=bob).exists()

    mark_reauthenticated(client, alice)
    client.post(f"/account/members/{bob.membership.pk}/remove/")
    assert not Membership.objects.filter(user=bob).exists()


def test_the_owner_cannot_be_removed(alice, bob, customer_a):
    with pytest.raises(ValidationError):
        services.member_remove(customer=customer_a, membership=alice.membership, actor=alice)
    assert Membership.objects.get(user=alice).is_owner


def test_ownership_hand_over_keeps_exactly_one_owner(alice_client, alice, bob, customer_a):
    response = alice_client.post(f"/account/members/{bob.membership.pk}/make-owner/")
    assert response.status_code == 302
    roles = dict(Membership.objects.filter(customer=customer_a).values_list("user__email", "role"))
    assert roles == {"alice@a.example.jp": "member", "bob@a.example.jp": "owner"}
    assert AuditEntry.objects.filter(action="accounts.customer.ownership_transferred").exists()
    # alice is now a member: owner actions are refused.
    assert alice_client.post(f"/account/members/{bob.membership.pk}/remove/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_ownership_hand_over_commits_past_the_owner_trigger(alice, bob, customer_a):
    with transaction.atomic():
        services.ownership_transfer(customer=customer_a, to_membership=bob.membership, actor=alice)
    owners = Membership.objects.filter(customer=customer_a, role="owner")
    assert list(owners.values_list("user__email", flat=True)) == ["bob@a.example.jp"]


def test_ownership_cannot_go_to_someone_outside_the_company(alice, customer_a, charlie):
    with pytest.raises(Membership.DoesNotExist):
        services.ownership_transfer(
            customer=customer_a, to_membership=charlie.membership, actor=alice
        )
    assert Membership.objects.get(user=charlie).is_owner
    assert Membership.objects.get(user=alice).is_owner


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/account/members/invite/"),
        ("post", "/account/members/mfa-required/"),
        ("get", "/account/members/{bob}/remove/"),
        ("post", "/account/members/{bob}/remove/"),
        ("get", "/account/members/{alice}/make-owner/"),
        ("post", "/account/members/{alice}/make-owner/"),
        ("post", "/account/members/invitations/{invitation}/revoke/"),
    ],
)
def test_a_member_gets_403_on_owner_actions(bob_client, alice, bob, customer_a, method, path):
    invitation, _ = invitations.invitation_create(
        customer=customer_a, email="dan@a.example.jp", actor=alice
    )
    url = path.format(bob=bob.membership.pk, alice=alice.membership.pk, invitation=invitation.pk)
    response = getattr(bob_client, method)(url, {"email": "x@a.example.jp", "required": "on"})
    assert response.status_code == 403
    assert Membership.objects.get(user=alice).is_owner
    assert Membership.objects.filter(user=bob).exists()
    invitation.refresh_from_db()
    assert invitation.is_open


def test_requiring_mfa_needs_the_owners_own_mfa_first(alice_client, alice, customer_a):
    response = alice_client.post(
        "/account/members/mfa-required/",
        {"required": "on"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "before requiring it" in response.content.decode()
    customer_a.refresh_from_db()
    assert not customer_a.mfa_required

    TOTP.activate(alice, STAFF_TOTP_SECRET)
    alice_client.post("/account/members/mfa-required/", {"required": "on"})
    customer_a.refresh_from_db()
    assert customer_a.mfa_required
    assert AuditEntry.objects.filter(action="accounts.customer.mfa_required").exists()


def test_members_without_mfa_are_sent_to_set_it_up(alice, bob, bob_client, customer_a):
    TOTP.activate(alice, STAFF_TOTP_SECRET)
    services.customer_set_mfa_required(customer=customer_a, required=True, actor=alice)

    response = bob_client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert bob_client.get("/account/members/")["Location"] == "/accounts/2fa/"
    api = bob_client.get("/api/v1/members")
    assert (api.status_code, api.json()["code"]) == (403, "mfa_required")
    # The setup pages, sign-out and the stolen-credentials report stay reachable.
    assert bob_client.get("/accounts/2fa/").status_code == 200
    assert bob_client.get("/account/compromised/").status_code == 200

    TOTP.activate(bob, STAFF_TOTP_SECRET)
    assert bob_client.get("/dashboard/").status_code == 200


def test_a_company_without_the_requirement_is_not_redirected(bob_client):
    assert bob_client.get("/dashboard/").status_code == 200


def test_the_members_page_query_count_is_bounded(
    alice_client, alice, customer_a, django_assert_max_num_queries
):
    from tests.factories import MembershipFactory

    for _ in range(10):
        MembershipFactory(customer=customer_a)
    alice_client.get("/account/members/")
    with django_assert_max_num_queries(14):
        assert alice_client.get("/account/members/").status_code == 200


def test_the_owner_confirms_removal_and_hand_over_on_a_page(alice_client, bob):
    remove = alice_client.get(f"/account/members/{bob.membership.pk}/remove/")
    assert remove.status_code == 200
    assert bob.email in remove.content.decode()
    hand_over = alice_client.get(f"/account/members/{bob.membership.pk}/make-owner/")
    assert hand_over.status_code == 200
    assert Membership.objects.get(user=bob).role == "member"


def test_token_clients_of_a_company_requiring_mfa_need_it_too(alice, bob, customer_a):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    TOTP.activate(alice, STAFF_TOTP_SECRET)
    services.customer_set_mfa_required(customer=customer_a, required=True, actor=alice)
    _token, secret = AuthToken.objects.create(user=bob)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    response = api.get("/api/v1/members")
    assert (response.status_code, response.json()["code"]) == (403, "mfa_required")
    TOTP.activate(bob, STAFF_TOTP_SECRET)
    assert api.get("/api/v1/members").status_code == 200
