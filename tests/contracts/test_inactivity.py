"""The inactivity rule (Art. 12(1)(5)): three calendar months without use → contact with a
signed "we are still using it" link → no answer within the reply window → staff's
revocation queue. The job never revokes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from accounts.models import AuditEntry, Customer, User
from contracts.services import inactivity
from contracts.services.jobs import JobResult
from contracts.services.lifecycle_common import add_months
from notices.models import Notice

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def used_at(customer: Customer, moment: datetime) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=moment, created_at=moment - timedelta(days=400)
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2027, 11, 29), 3, date(2028, 2, 29)),
        (date(2026, 8, 31), -3, date(2026, 5, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 3, date(2027, 3, 15)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
    ],
)
def test_calendar_month_arithmetic(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("today", "first_day_not_inactive"),
    [
        (date(2027, 2, 28), date(2026, 12, 1)),  # uses on Nov 28, 29, 30 all count as 3 months
        (date(2027, 3, 1), date(2026, 12, 2)),
        (date(2028, 2, 28), date(2027, 11, 29)),
        (date(2028, 2, 29), date(2027, 12, 1)),  # leap day
        (date(2027, 5, 31), date(2027, 3, 1)),
    ],
)
def test_the_cutoff_is_three_calendar_months_in_tokyo(
    today: date, first_day_not_inactive: date
) -> None:
    cutoff = inactivity.inactivity_cutoff(today)
    assert cutoff == datetime.combine(first_day_not_inactive, datetime.min.time(), tzinfo=TOKYO)
    last_inactive_day = first_day_not_inactive - timedelta(days=1)
    assert add_months(last_inactive_day, 3) <= today
    assert add_months(first_day_not_inactive, 3) > today


def test_a_customer_is_flagged_on_the_day_three_months_have_passed_and_contacted_once(
    customer_a: Customer, alice: User
) -> None:
    used_at(customer_a, jst(2026, 11, 30, 18, 0))
    with time_machine.travel(jst(2027, 2, 27, 23, 59), tick=False):
        assert inactivity.customers_flag_inactive() == JobResult(0, 0)
    with time_machine.travel(jst(2027, 2, 28, 0, 0), tick=False):
        assert inactivity.customers_flag_inactive() == JobResult(1, 1)
        assert inactivity.customers_flag_inactive() == JobResult(0, 0)
    customer_a.refresh_from_db()
    assert customer_a.inactivity_contacted_at == jst(2027, 2, 28, 0, 0)
    assert customer_a.status == Customer.Status.ACTIVE
    [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.INACTIVITY_CONTACT)
    assert notice.clause == "art12.1.5"
    assert notice.recipients == ["alice@a.example.jp"]
    assert "2026年11月30日 18:00" in notice.body_text  # last use
    assert "2027年3月30日 00:00" in notice.body_text  # reply by (30 days)
    assert "/company/still-using/" in notice.body_text
    assert AuditEntry.objects.filter(
        customer=customer_a, action="contracts.inactivity.contacted", clause="art12.1.5"
    ).exists()


def test_the_leap_day_counts(customer_a: Customer, alice: User) -> None:
    used_at(customer_a, jst(2027, 11, 30, 9, 0))
    with time_machine.travel(jst(2028, 2, 28, 12, 0), tick=False):
        assert inactivity.customers_flag_inactive().changed == 0
    with time_machine.travel(jst(2028, 2, 29, 0, 0), tick=False):
        assert inactivity.customers_flag_inactive().changed == 1


def test_recent_use_or_another_state_is_never_flagged(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    used_at(customer_a, jst(2026, 12, 1, 9, 0))
    used_at(customer_b, jst(2026, 1, 1, 9, 0))
    Customer.objects.filter(pk=customer_b.pk).update(status=Customer.Status.SUSPENDED)
    with time_machine.travel(jst(2027, 2, 28, 12, 0), tick=False):
        assert inactivity.customers_flag_inactive().changed == 0


def test_a_customer_that_never_signed_in_counts_from_its_registration(
    customer_a: Customer, alice: User
) -> None:
    Customer.objects.filter(pk=customer_a.pk).update(
        last_activity_at=None, created_at=jst(2026, 10, 15, 9, 0)
    )
    with time_machine.travel(jst(2027, 1, 14, 23, 0), tick=False):
        assert inactivity.customers_flag_inactive().changed == 0
    with time_machine.travel(jst(2027, 1, 15, 9, 0), tick=False):
        assert inactivity.customers_flag_inactive().changed == 1


def test_any_use_after_the_contact_clears_the_flag(customer_a: Customer, alice: User) -> None:
    used_at(customer_a, jst(2026, 11, 1, 9, 0))
    with time_machine.travel(jst(2027, 2, 1, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
    Customer.objects.filter(pk=customer_a.pk).update(last_activity_at=jst(2027, 2, 3, 9, 0))
    assert not Customer.objects.filter(inactivity.inactivity_flag_active()).exists()
    with time_machine.travel(jst(2027, 3, 10, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
        assert inactivity.inactivity_escalate_unanswered().changed == 0
    customer_a.refresh_from_db()
    assert customer_a.inactivity_contacted_at is None
    assert list(inactivity.revocation_queue()) == []


def test_the_signed_link_clears_the_flag_in_one_click(customer_a: Customer, alice: User) -> None:
    used_at(customer_a, jst(2026, 11, 1, 9, 0))
    with time_machine.travel(jst(2027, 2, 1, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
    customer_a.refresh_from_db()
    url = inactivity.inactivity_confirm_url(customer_a).removeprefix("http://127.0.0.1:8000")
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="inactivity-confirm"' in page.content.decode()
    done = client.post(url)
    assert 'data-testid="inactivity-answered"' in done.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.inactivity_contacted_at is None
    assert customer_a.inactivity_answered_at is not None
    assert AuditEntry.objects.filter(action="contracts.inactivity.answered").count() == 1
    # The link is spent; the answer restarts the three months.
    assert client.get(url).status_code == 410
    with time_machine.travel(datetime.now(UTC) + timedelta(days=80), tick=False):
        assert inactivity.customers_flag_inactive().changed == 0


def test_a_forged_link_is_refused(customer_a: Customer) -> None:
    response = Client().post("/company/still-using/not-a-signed-value/")
    assert response.status_code == 410


def test_an_unanswered_contact_goes_on_the_revocation_queue_and_nothing_is_revoked(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    used_at(customer_a, jst(2026, 11, 1, 9, 0))
    with time_machine.travel(jst(2027, 2, 1, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
    with time_machine.travel(jst(2027, 3, 3, 8, 59), tick=False):
        assert inactivity.inactivity_escalate_unanswered().changed == 0
    with time_machine.travel(jst(2027, 3, 3, 9, 0), tick=False):
        assert inactivity.inactivity_escalate_unanswered().changed == 1
        assert inactivity.inactivity_escalate_unanswered().changed == 0
    assert list(inactivity.revocation_queue()) == [customer_a]
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.ACTIVE
    assert AuditEntry.objects.filter(action="contracts.inactivity.escalated").count() == 1


def test_the_reply_window_is_a_setting(customer_a: Customer, alice: User, settings: Any) -> None:
    settings.INACTIVITY_REPLY_DAYS = 10
    used_at(customer_a, jst(2026, 11, 1, 9, 0))
    with time_machine.travel(jst(2027, 2, 1, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
    with time_machine.travel(jst(2027, 2, 11, 9, 0), tick=False):
        assert inactivity.inactivity_escalate_unanswered().changed == 1


def test_a_backlog_larger_than_a_chunk_is_done_chunk_by_chunk_and_once(
    monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    from contracts.services import jobs
    from tests.factories import CustomerFactory, MembershipFactory

    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    customers = [CustomerFactory() for _ in range(5)]
    for customer in customers:
        MembershipFactory(customer=customer, role="owner")
        used_at(customer, jst(2026, 8, 1, 12, 0))
    with time_machine.travel(jst(2026, 11, 30, 9, 0), tick=False):
        # Three chunks of at most two customers, each its own transaction.
        assert inactivity.customers_flag_inactive() == JobResult(5, 5)
        # Nothing left: the flags' clean-up and one statement finding nothing due (in a
        # savepoint, with JIT turned off before it).
        with django_assert_max_num_queries(5):
            assert inactivity.customers_flag_inactive() == JobResult(0, 0)
    assert Notice.objects.filter(kind=Notice.Kind.INACTIVITY_CONTACT).count() == 5
    assert AuditEntry.objects.filter(action="contracts.inactivity.contacted").count() == len(
        customers
    )
    assert not Customer.objects.filter(
        pk__in=[c.pk for c in customers], inactivity_contacted_at__isnull=True
    ).exists()


def test_the_link_of_a_contact_no_longer_answers_once_the_registration_is_revoked(
    customer_a: Customer, alice: User, staff: User
) -> None:
    """Revoked from the revocation queue on Art. 12(1)(5), the company clicking the link of
    the contact e-mail must not be told that its use was recorded."""
    from contracts.services import standing

    used_at(customer_a, jst(2026, 11, 1, 9, 0))
    with time_machine.travel(jst(2027, 2, 1, 9, 0), tick=False):
        inactivity.customers_flag_inactive()
    with time_machine.travel(jst(2027, 3, 3, 9, 0), tick=False):
        inactivity.inactivity_escalate_unanswered()
    customer_a.refresh_from_db()
    url = inactivity.inactivity_confirm_url(customer_a).removeprefix("http://127.0.0.1:8000")
    standing.customer_revoke(customer=customer_a, actor=staff, ground="art12.1.5", note="no answer")
    client = Client()
    assert client.get(url).status_code == 410
    answered = client.post(url)
    assert answered.status_code == 410
    assert 'data-testid="inactivity-answered"' not in answered.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.REVOKED
    assert customer_a.inactivity_answered_at is None
    assert not AuditEntry.objects.filter(action="contracts.inactivity.answered").exists()


@pytest.mark.parametrize("status", [Customer.Status.REVOKED, Customer.Status.CANCELLED])
def test_a_company_whose_registration_ended_cannot_answer_a_contact_left_open(
    customer_a: Customer, status: str
) -> None:
    contacted = jst(2027, 2, 1, 9, 0)
    Customer.objects.filter(pk=customer_a.pk).update(
        inactivity_contacted_at=contacted, status=status
    )
    customer_a.refresh_from_db()
    token = inactivity.inactivity_token(customer_a)
    assert inactivity.inactivity_customer_for_token(token) is None
    assert Client().post(f"/company/still-using/{token}/").status_code == 410
    customer_a.refresh_from_db()
    assert customer_a.inactivity_answered_at is None
