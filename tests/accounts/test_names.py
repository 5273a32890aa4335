"""氏名 and フリガナ: asked at sign-up, changed on the account page through an audited service,
and a person without a name is never shown as a blank."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditEntry, User

pytestmark = pytest.mark.django_db

NAMES = {
    "family_name": "山田",
    "given_name": "太郎",
    "family_name_kana": "ﾔﾏﾀﾞ",
    "given_name_kana": "タロウ",
}


def test_sign_up_asks_for_the_name_and_its_kana(client: Client) -> None:
    page = client.get("/accounts/signup/").content.decode()
    for field in NAMES:
        assert f'name="{field}"' in page
    response = client.post(
        "/accounts/signup/",
        {
            "email": "taro@yamada.example.jp",
            "password1": "Kx9!long-pass",
            "password2": "Kx9!long-pass",
            **NAMES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="taro@yamada.example.jp")
    assert (user.family_name, user.given_name) == ("山田", "太郎")
    assert (user.family_name_kana, user.given_name_kana) == ("ヤマダ", "タロウ")
    assert user.get_full_name() == "山田 太郎" and user.get_short_name() == "山田"
    assert AuditEntry.objects.filter(action="accounts.user.names_changed", actor=user).exists()


def test_sign_up_refuses_a_kana_that_is_not_kana(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "taro@yamada.example.jp",
            "password1": "Kx9!long-pass",
            "password2": "Kx9!long-pass",
            **NAMES,
            "family_name_kana": "Yamada",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="taro@yamada.example.jp").exists()


def test_a_person_changes_their_name_on_the_account_page(alice: User, alice_client: Client) -> None:
    page = alice_client.get("/account/").content.decode()
    assert 'name="family_name"' in page
    response = alice_client.post("/account/", {**NAMES, "family_name": "佐藤"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.full_name == "佐藤 太郎"
    assert alice.family_name_kana == "ヤマダ"
    entry = AuditEntry.objects.get(action="accounts.user.names_changed", actor=alice)
    assert entry.extra["old"]["family_name"] == "" and entry.extra["new"]["family_name"] == "佐藤"


def test_the_account_page_changes_only_ones_own_name(
    alice: User, bob: User, charlie: User, alice_client: Client
) -> None:
    alice_client.post("/account/", {**NAMES, "family_name": "佐藤"})
    for other in (bob, charlie):
        other.refresh_from_db()
        assert other.family_name == ""


def test_members_without_a_name_are_shown_by_their_address(
    alice: User, bob: User, alice_client: Client
) -> None:
    User.objects.filter(pk=bob.pk).update(full_name="")
    body = alice_client.get("/account/members/").content.decode()
    assert body.count(bob.email) >= 2  # in the address column and in place of the name
