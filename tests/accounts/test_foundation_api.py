import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from tests.factories import mark_reauthenticated

pytestmark = pytest.mark.django_db


def _api(user=None):
    """A signed-in browser session that just entered the password again (creating a token
    needs that recent confirmation, ctsportal.policy)."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
        mark_reauthenticated(client, user)
    return client


def test_me_for_anonymous_is_401_with_a_code(db):
    response = _api().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("persona", "company", "role"),
    [
        ("alice", "customer_a", "owner"),
        ("bob", "customer_a", "member"),
        ("charlie", "customer_b", "owner"),
    ],
)
def test_me_returns_user_company_and_role(request, persona, company, role):
    user = request.getfixturevalue(persona)
    customer = request.getfixturevalue(company)
    body = _api(user).get("/api/v1/me").json()
    assert body["email"] == user.email
    assert body["customer"] == {"id": customer.pk, "name": customer.name, "status": "active"}
    assert body["role"] == role


def test_me_for_staff_has_no_company(staff):
    body = _api(staff).get("/api/v1/me").json()
    assert body["is_staff"] is True
    assert body["customer"] is None
    assert body["role"] is None


def test_tokens_are_shown_once_stored_hashed_and_revocable(alice):
    created = _api(alice).post("/api/v1/tokens", {"days": 30}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    stored = AuthToken.objects.get(user=alice)
    assert secret not in (stored.digest, stored.token_key)
    assert secret.startswith(stored.token_key)

    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert token_client.get("/api/v1/me").json()["email"] == alice.email
    listed = _api(alice).get("/api/v1/tokens").json()
    assert [t["token_key"] for t in listed] == [stored.token_key]
    assert "token" not in listed[0]

    assert _api(alice).delete(f"/api/v1/tokens/{stored.token_key}").status_code == 204
    assert token_client.get("/api/v1/me").status_code == 401
    assert AuditEntry.objects.filter(action="accounts.api_token.revoked", actor=alice).exists()


def test_another_users_token_cannot_be_revoked(alice, charlie):
    _api(alice).post("/api/v1/tokens", {"days": 30}, format="json")
    key = AuthToken.objects.get(user=alice).token_key
    response = _api(charlie).delete(f"/api/v1/tokens/{key}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert AuthToken.objects.filter(user=alice).exists()


def test_validation_errors_have_a_code_and_field_errors(alice):
    response = _api(alice).post("/api/v1/tokens", {"days": 9999}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "days" in body["errors"]
    assert not AuthToken.objects.filter(user=alice).exists()


def test_token_pages_create_and_revoke(alice_client, alice):
    response = alice_client.post("/account/tokens/", {"days": "90"})
    token = AuthToken.objects.get(user=alice)
    assert token.token_key in response.content.decode()
    alice_client.post(f"/account/tokens/{token.token_key}/revoke/")
    assert not AuthToken.objects.filter(user=alice).exists()


def test_revoking_a_token_on_the_page_says_so(alice_client, alice):
    """The token left the list without a word: every other revocation on the account pages
    (an invitation, the other sessions) says what was done."""
    alice_client.post("/account/tokens/", {"days": "90"})
    token = AuthToken.objects.get(user=alice)
    response = alice_client.post(
        f"/account/tokens/{token.token_key}/revoke/", follow=True, headers={"Accept-Language": "ja"}
    )
    body = response.content.decode()
    assert f"トークン {token.token_key}… を無効化しました。" in body
    assert not AuthToken.objects.filter(user=alice).exists()


def test_openapi_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs


def test_staff_tokens_follow_the_same_credential_rules(staff):
    """No customer check applies to staff, but their credentials are guarded as anyone's:
    creating a token needs a recent confirmation of the password, and a token (the camera
    platform's, say) cannot mint further tokens that would outlive its revocation."""
    unconfirmed = APIClient()
    unconfirmed.force_login(staff)
    refused = unconfirmed.post("/api/v1/tokens", {"days": 1}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    created = _api(staff).post("/api/v1/tokens", {"days": 1}, format="json")
    assert created.status_code == 201
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {created.json()['token']}")
    minted = token_client.post("/api/v1/tokens", {"days": 365}, format="json")
    assert minted.status_code == 403
    assert minted.json()["code"] == "reauthentication_required"
    assert AuthToken.objects.filter(user=staff).count() == 1
    # Reading stays open to the token (the import and the reads it needs).
    assert token_client.get("/api/v1/me").json()["is_staff"] is True
