"""Art. 12(3), 12(5): the cancellation disables the members' logins; one of them signing in
with the right password learns why (the company, the date, what to return, the notices it was
sent), not a bare "inactive account". Nothing of it for a wrong password, nor for a login
disabled for another reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import Customer, User
from contracts.services import cancellations
from contracts.tasks import JOBS
from notices.models import Notice
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(email: str, password: str = TEST_PASSWORD) -> tuple[Client, str, str]:
    client = Client()
    response = client.post(
        LOGIN,
        {"login": email, "password": password},
        follow=True,
        headers={"Accept-Language": "ja"},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    last = response.redirect_chain[-1][0] if response.redirect_chain else LOGIN
    return client, last, response.content.decode()


def _cancelled(customer: Customer, owner: User) -> None:
    cancellation = cancellations.cancellation_give(customer=customer, actor=owner)
    with time_machine.travel(cancellation.effective_at + timedelta(minutes=1), tick=False):
        JOBS["cancellations_apply_due"]()
    customer.refresh_from_db()
    assert customer.status == Customer.Status.CANCELLED


def test_a_member_whose_login_the_cancellation_disabled_is_told_why(
    customer_a: Customer, alice: User, bob: User
) -> None:
    _cancelled(customer_a, alice)
    client, where, body = _sign_in(bob.email)
    assert where == "/accounts/inactive/"
    assert 'data-testid="logins-disabled"' in body
    assert "利用登録の解約" in body and customer_a.name in body
    assert "返還または廃棄していただくもの（第12条第5項）" in body
    applied = Notice.objects.get(customer=customer_a, kind=Notice.Kind.CANCELLATION_APPLIED)
    assert applied.mail_subject in body
    # Its page needs a sign-in: listed, not linked.
    assert f"/notices/{applied.pk}/" not in body
    # Reloaded, the page says the same; no session was opened.
    assert applied.mail_subject in client.get("/accounts/inactive/").content.decode()


def test_a_wrong_password_learns_nothing_of_the_company(
    customer_a: Customer, alice: User, bob: User
) -> None:
    _cancelled(customer_a, alice)
    client, where, body = _sign_in(bob.email, "not-the-password-1")
    assert where == LOGIN
    assert customer_a.name not in body
    inactive = client.get("/accounts/inactive/").content.decode()
    assert customer_a.name not in inactive and "アカウントが無効です。" in inactive


def test_a_login_disabled_for_another_reason_sees_the_plain_page(
    customer_a: Customer, bob: User
) -> None:
    User.objects.filter(pk=bob.pk).update(is_active=False)
    _client, where, body = _sign_in(bob.email)
    assert where == "/accounts/inactive/"
    assert "アカウントが無効です。" in body
    assert customer_a.name not in body and 'data-testid="logins-disabled"' not in body
