import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from accounts.clauses import Clause
from accounts.freshness import _bump_after_commit
from accounts.models import Customer, User
from notices.models import Notice, content_digest
from notices.services import (
    notice_create,
    notice_default_recipients,
    notices_create_bulk,
)
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

from .conftest import KIND, make_notice

pytestmark = pytest.mark.django_db


def deliveries(callbacks: list) -> list:
    """The on-commit callbacks that queue a delivery (not the move of the data generation
    every write makes, accounts.freshness)."""
    return [c for c in callbacks if c is not _bump_after_commit]


def test_it_creates_renders_and_delivers_on_commit(
    customer_a: Customer, alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_create(
            customer=customer_a,
            kind=KIND,
            clause="art8.1",
            period="2026-12-01",
            context={"window_label": "12/1 1:00–3:00 <&>"},
            actor=alice,
        )
    notice.refresh_from_db()
    assert notice.state == Notice.State.SENT
    assert notice.sent_at is not None
    assert notice.attempts == 1
    assert notice.created_by == alice
    assert notice.recipients == ["alice@a.example.jp", "bob@a.example.jp"]
    assert notice.mail_subject == "【CTS】サービス一時停止のお知らせ（12/1 1:00–3:00 <&>）"
    # Plain text is not HTML-escaped; the HTML is.
    assert "期間: 12/1 1:00–3:00 <&>" in notice.body_text
    assert "12/1 1:00–3:00 &lt;&amp;&gt;" in notice.body_html
    # Company name, clause cited and the link to the notice in the portal.
    assert "株式会社エー建設 御中" in notice.body_text
    assert "株式会社シーティーエス" in notice.body_text
    assert "第8条第1項" in notice.body_text
    assert f"/notices/{notice.pk}/" in notice.body_text
    assert f"/notices/{notice.pk}/" in notice.body_html
    assert notice.content_sha256 == content_digest(
        mail_subject=notice.mail_subject, body_text=notice.body_text, body_html=notice.body_html
    )
    assert notice.content_matches_digest()

    [message] = mail.outbox
    assert message.subject == notice.mail_subject
    assert message.to == ["alice@a.example.jp", "bob@a.example.jp"]
    assert message.body == notice.body_text
    assert message.alternatives[0][0] == notice.body_html
    assert message.extra_headers["X-CTS-Notice-ID"] == str(notice.pk)
    assert message.extra_headers["Message-ID"].startswith(f"<notice.{notice.pk}.")


def test_it_renders_english_for_an_english_customer(
    alice: User, customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    customer_a.language = "en"
    customer_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice = make_notice(customer_a, clause="art12.1.5")
    assert notice.language == "en"
    assert notice.mail_subject == "[CTS] Service interruption (window p1)"
    assert "Dear 株式会社エー建設," in notice.body_text
    assert "Art. 12(1)(5)" in notice.body_text
    assert "CTS Co., Ltd." in notice.body_html
    assert '<html lang="en">' in notice.body_html
    assert mail.outbox[0].subject == notice.mail_subject


def test_it_renders_the_language_asked_for(alice: User, customer_a: Customer) -> None:
    ja = make_notice(customer_a, period="ja")
    en = make_notice(customer_a, period="en", language="en")
    assert "御中" in ja.body_text and "根拠条項" in ja.body_text
    assert "Dear" in en.body_text and "Clause: Art. 8(1)" in en.body_text


def test_it_labels_clauses_in_both_languages() -> None:
    assert Clause.label_for("art4.3", "ja") == "第4条第3項"
    assert Clause.label_for("art12.1.5", "ja") == "第12条第1項第5号"
    assert Clause.label_for("art16", "ja") == "第16条"
    assert Clause.label_for("art8.2", "en") == "Art. 8(2)"
    assert Clause.label_for("annex", "en") == "annex"


def test_it_dedupes_the_same_key_into_one_row_and_one_email(
    alice: User, customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = make_notice(customer_a, subject=customer_a, period="2026-12")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = make_notice(customer_a, subject=customer_a, period="2026-12")
    assert second.pk == first.pk
    assert callbacks == []
    assert Notice.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_keeps_notices_with_another_period_or_subject_apart(
    alice: User, customer_a: Customer, customer_b: Customer
) -> None:
    make_notice(customer_a, period="a")
    make_notice(customer_a, period="b")
    make_notice(customer_a, period="a", subject=customer_b)
    assert Notice.objects.count() == 3


def test_it_refuses_an_unknown_kind(customer_a: Customer) -> None:
    with pytest.raises(ValueError, match="Unknown notice kind"):
        notice_create(customer=customer_a, kind="newsletter", clause="art16")


def test_a_rolled_back_transaction_leaves_no_notice_and_queues_nothing(
    alice: User, customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_notice(customer_a)
        raise RuntimeError("the event failed")
    assert callbacks == []
    assert Notice.objects.count() == 0
    assert mail.outbox == []


def test_the_owner_comes_first_and_inactive_users_are_left_out(customer_a: Customer) -> None:
    member = UserFactory(email="aaa-member@a.example.jp")
    MembershipFactory(user=member, customer=customer_a, role="member")
    owner = UserFactory(email="zzz-owner@a.example.jp")
    MembershipFactory(user=owner, customer=customer_a, role="owner")
    gone = UserFactory(email="gone@a.example.jp", is_active=False)
    MembershipFactory(user=gone, customer=customer_a, role="member")
    assert notice_default_recipients(customer=customer_a) == [
        "zzz-owner@a.example.jp",
        "aaa-member@a.example.jp",
    ]


def test_explicit_recipients_reach_people_who_are_not_members_yet(
    customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = make_notice(customer_a, recipients=["invitee@example.jp"])
    assert notice.recipients == ["invitee@example.jp"]
    assert mail.outbox[0].to == ["invitee@example.jp"]


def test_a_notice_without_any_recipient_is_kept_as_failed_and_not_queued(
    customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = make_notice(customer_a)
    assert notice.state == Notice.State.FAILED
    assert notice.last_error == "No recipient address."
    assert deliveries(callbacks) == []


def test_bulk_notifies_many_customers_in_a_few_queries(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    customers = []
    for n in range(30):
        customer = CustomerFactory(language="en" if n % 2 else "ja")
        MembershipFactory(customer=customer, role="owner")
        customers.append(customer)
    already = make_notice(customers[0], period="v2", clause="art15")
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_max_num_queries(8),
    ):
        created = notices_create_bulk(
            customers=customers,
            kind=KIND,
            clause="art15",
            period="v2",
            context={"window_label": "v2"},
        )
    assert len(created) == 29
    assert already.pk not in {n.pk for n in created}
    assert Notice.objects.filter(period="v2").count() == 30
    assert len(deliveries(callbacks)) == 1
    english = Notice.objects.get(customer=customers[1], period="v2")
    assert english.mail_subject == "[CTS] Service interruption (v2)"
    assert english.content_matches_digest()
    assert f"/notices/{english.pk}/" in english.body_text
    # Run again: nothing new, nothing queued.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = notices_create_bulk(
            customers=customers, kind=KIND, clause="art15", period="v2", context={}
        )
    assert again == []
    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_two_racing_transactions_create_one_notice(customer_a: Customer, alice: User) -> None:
    """Thread A inserts and holds its transaction open; thread B, which found no row, tries
    to insert the same key, waits for A's commit and gets A's notice back."""
    a_inserted = threading.Event()
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                results["a"] = make_notice(customer_a, period="race").pk
                a_inserted.set()
                threading.Event().wait(0.5)
        except BaseException as exc:
            errors.append(exc)
            a_inserted.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            a_inserted.wait(5)
            with transaction.atomic():
                results["b"] = make_notice(customer_a, period="race").pk
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert results["a"] == results["b"]
    assert Notice.objects.filter(period="race").count() == 1
    # Eager delivery on A's commit only; B's call queued nothing.
    assert len(mail.outbox) == 1


def test_only_personal_kinds_may_go_without_a_customer() -> None:
    with pytest.raises(ValueError):
        notice_create(
            customer=None,
            kind=Notice.Kind.TERMS_CHANGED,
            clause=Clause.ART15,
            recipients=["someone@example.jp"],
        )
    with pytest.raises(ValueError):
        # A personal notice names its recipients: there is no company to take them from.
        notice_create(customer=None, kind=Notice.Kind.SECURITY_ALERT, clause=Clause.ART6_3)


def test_a_notice_to_staff_is_in_no_customer_s_list(
    alice: User, customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    from notices.selectors import notice_list
    from security.services.credentials import credentials_report_compromised

    with django_capture_on_commit_callbacks(execute=True):
        credentials_report_compromised(user=alice, reporter=alice)
    staff_notice = Notice.objects.get(kind=Notice.Kind.INCIDENT_REPORTED)
    assert staff_notice.customer is None
    assert staff_notice.language == "ja"
    assert "ID・パスワードの盗用" in staff_notice.body_text
    listed = set(notice_list(customer=customer_a, user=alice).values_list("kind", flat=True))
    assert listed == {Notice.Kind.CREDENTIALS_COMPROMISED}
