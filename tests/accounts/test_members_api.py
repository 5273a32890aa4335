"""Members API, and isolation of every member route (pages and API) between companies."""

import time

import pytest
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from accounts.current import person_confirmed_note
from accounts.models import Invitation, Membership
from security.services.invitations import invitation_create
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def _api(user, *, confirmed: bool = True) -> Client:
    """A token client of ``user``; ``confirmed``: the person entered the password again in
    the portal just now (sensitive API actions look at the person, not at the token)."""
    _token, secret = AuthToken.objects.create(user=user)
    if confirmed:
        person_confirmed_note(user.pk, time.time())
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def test_members_are_listed_with_role_and_mfa(alice, bob, charlie):
    response = _api(bob).get("/api/v1/members")
    assert response.status_code == 200
    rows = {row["email"]: row for row in response.json()}
    assert set(rows) == {"alice@a.example.jp", "bob@a.example.jp"}
    assert rows["alice@a.example.jp"]["role"] == "owner"
    assert rows["bob@a.example.jp"]["mfa_enabled"] is False
    assert {"id", "full_name", "last_login", "joined"} <= set(rows["bob@a.example.jp"])


def test_the_owner_invites_through_the_api(alice, customer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(alice).post(
            "/api/v1/members/invitations", {"email": "dan@a.example.jp"}, "application/json"
        )
    assert response.status_code == 201
    assert response.json()["email"] == "dan@a.example.jp"
    assert Invitation.objects.get().customer == customer_a
    assert mail.outbox[0].to == ["dan@a.example.jp"]


def test_an_invitation_for_a_member_elsewhere_is_a_validation_error(alice, charlie):
    response = _api(alice).post(
        "/api/v1/members/invitations", {"email": charlie.email}, "application/json"
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_member_cannot_invite_or_remove(alice, bob):
    api = _api(bob)
    invite = api.post(
        "/api/v1/members/invitations", {"email": "x@a.example.jp"}, "application/json"
    )
    assert invite.status_code == 403
    assert api.delete(f"/api/v1/members/{alice.membership.pk}").status_code == 403
    assert Membership.objects.filter(user=alice).exists()


def test_the_owner_removes_a_member_and_their_sessions_end(alice, bob):
    session = sign_in(bob.email)
    bob_api = _api(bob)
    response = _api(alice).delete(f"/api/v1/members/{bob.membership.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(user=bob).exists()
    assert session.get("/dashboard/").status_code == 302
    assert bob_api.get("/api/v1/me").status_code == 401


def test_removal_with_a_token_needs_the_persons_recent_confirmation(alice, bob):
    from django.core.cache import cache

    api = _api(alice, confirmed=False)
    cache.clear()
    response = api.delete(f"/api/v1/members/{bob.membership.pk}")
    assert (response.status_code, response.json()["code"]) == (403, "reauthentication_required")
    assert Membership.objects.filter(user=bob).exists()
    person_confirmed_note(alice.pk, time.time() - 3600)
    assert api.delete(f"/api/v1/members/{bob.membership.pk}").status_code == 403
    person_confirmed_note(alice.pk, time.time())
    assert api.delete(f"/api/v1/members/{bob.membership.pk}").status_code == 204


def test_removal_through_a_browser_session_asks_for_the_password_again(alice, bob):
    client = Client()
    client.force_login(alice)
    response = client.delete(f"/api/v1/members/{bob.membership.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    assert Membership.objects.filter(user=bob).exists()


# --- Cross-tenant: charlie (company B) against every member route of company A ---------------

PAGE_ROUTES = [
    ("get", "/account/members/{member}/remove/"),
    ("post", "/account/members/{member}/remove/"),
    ("get", "/account/members/{member}/make-owner/"),
    ("post", "/account/members/{member}/make-owner/"),
    ("post", "/account/members/invitations/{invitation}/revoke/"),
]
API_ROUTES = [
    ("delete", "/api/v1/members/{member}"),
]


@pytest.fixture
def company_a_objects(alice, bob, customer_a):
    invitation, _ = invitation_create(customer=customer_a, email="dan@a.example.jp", actor=alice)
    return {"member": bob.membership.pk, "invitation": invitation.pk}


def _unchanged(alice, bob, company_a_objects) -> None:
    assert Membership.objects.get(user=alice).is_owner
    assert Membership.objects.get(user=bob).role == "member"
    assert Invitation.objects.get(pk=company_a_objects["invitation"]).is_open


@pytest.mark.parametrize(("method", "path"), PAGE_ROUTES)
def test_another_companys_owner_gets_404_on_every_member_page(
    charlie_client, alice, bob, company_a_objects, method, path
):
    response = getattr(charlie_client, method)(path.format(**company_a_objects))
    assert response.status_code == 404
    _unchanged(alice, bob, company_a_objects)


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_another_companys_owner_gets_404_on_every_member_api_route(
    charlie, alice, bob, company_a_objects, method, path
):
    response = getattr(_api(charlie), method)(path.format(**company_a_objects))
    assert response.status_code == 404
    _unchanged(alice, bob, company_a_objects)


def test_lists_show_only_the_own_company(charlie_client, charlie, alice, bob, company_a_objects):
    page = charlie_client.get("/account/members/").content.decode()
    assert "alice@a.example.jp" not in page
    assert "dan@a.example.jp" not in page
    emails = [row["email"] for row in _api(charlie).get("/api/v1/members").json()]
    assert emails == ["charlie@b.example.jp"]


def test_another_users_session_is_a_404(alice, charlie):
    from allauth.usersessions.models import UserSession

    sign_in(alice.email)
    session = UserSession.objects.get(user=alice)
    response = _api(charlie).delete(f"/api/v1/sessions/{session.pk}")
    assert response.status_code == 404
    assert UserSession.objects.filter(pk=session.pk).exists()


def test_every_member_route_needs_authentication(db):
    client = Client()
    for path in ("/api/v1/members", "/api/v1/sessions", "/api/v1/account/compromised"):
        assert client.get(path).status_code == 401
    assert client.get("/account/members/")["Location"].startswith("/accounts/login/")
