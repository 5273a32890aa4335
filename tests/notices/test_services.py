import pytest
from django.core import mail

from accounts.models import Customer, User
from notices.models import Notice
from notices.services import notice_create

from .conftest import KIND

pytestmark = pytest.mark.django_db


def test_it_creates_renders_and_delivers_on_commit(
    customer_a: Customer, alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_create(
            customer=customer_a,
            kind=KIND,
            clause="art8.1",
            period="2026-12-01",
            context={"window_label": "12/1 1:00–3:00 & more"},
        )
    notice.refresh_from_db()
    assert notice.state == Notice.State.SENT
    assert notice.recipients == ["alice@a.example.jp", "bob@a.example.jp"]
    assert len(mail.outbox) == 1
    print(notice.mail_subject)
    print(notice.body_text)
    print(notice.body_html)
