"""The company acceptance view: the owner sees their members only; members may not."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_owner_sees_who_accepted_which_version(
    alice_client: Client, bob: User, charlie: User
) -> None:
    response = alice_client.get("/terms/company/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice@a.example.jp" in body and "bob@a.example.jp" in body
    assert "2023-04-01" in body
    assert "charlie@b.example.jp" not in body


def test_another_company_sees_only_its_own(charlie_client: Client, alice: User, bob: User) -> None:
    body = charlie_client.get("/terms/company/").content.decode()
    assert "charlie@b.example.jp" in body
    assert "alice@a.example.jp" not in body and "bob@a.example.jp" not in body


def test_a_member_may_not_see_it(bob_client: Client) -> None:
    assert bob_client.get("/terms/company/").status_code == 403


def test_a_user_without_a_company_gets_a_404(db: None) -> None:
    client = Client()
    client.force_login(UserFactory(email="loner@example.jp"))
    assert client.get("/terms/company/").status_code in (302, 404)
    assert "loner" not in client.get("/terms/company/").content.decode()


def test_it_needs_a_sign_in(client: Client) -> None:
    response = client.get("/terms/company/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_see_acceptances_read_only_in_the_admin(
    staff_client: Client, alice: User, charlie: User
) -> None:
    body = staff_client.get("/admin/terms/acceptance/").content.decode()
    assert "alice@a.example.jp" in body and "charlie@b.example.jp" in body
    assert staff_client.get("/admin/terms/acceptance/add/").status_code == 403
