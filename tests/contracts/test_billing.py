"""Fees and payments (Art. 5): the pro-rata rule, the charges job (idempotent per rental and
month), payments, the outstanding balance, acceleration (Art. 12(2)) and the liability cap
(Art. 13(9)) across month ends and leap years."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry, Customer, User
from contracts.models import Charge, Payment
from contracts.services import billing, rental_operations
from tests.contracts.rental_helpers import make_active
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


# --- The pro-rata rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "ended", "period", "expected"),
    [
        # A whole month costs the monthly fee, whatever its length.
        (date(2026, 1, 10), None, date(2026, 2, 1), (28, 28, 30000)),
        (date(2026, 1, 10), None, date(2026, 3, 1), (31, 31, 30000)),
        # Partial first month: from the delivery day, inclusive; rounded down to the yen.
        (date(2026, 1, 10), None, date(2026, 1, 1), (22, 31, 21290)),
        # Partial last month: up to and including the day it ended.
        (date(2026, 1, 10), date(2026, 4, 15), date(2026, 4, 1), (15, 30, 15000)),
        # Delivered and ended in the same month.
        (date(2026, 6, 10), date(2026, 6, 10), date(2026, 6, 1), (1, 30, 1000)),
        # Leap February.
        (date(2028, 2, 15), None, date(2028, 2, 1), (15, 29, 15517)),
        (date(2027, 2, 15), None, date(2027, 2, 1), (14, 28, 15000)),
    ],
)
def test_the_pro_rata_rule(started, ended, period, expected):
    line = billing.charge_for_month(
        monthly_fee_yen=30000, started_on=started, ended_on=ended, period=period
    )
    assert line is not None
    assert (line.days_charged, line.days_in_month, line.amount_yen) == expected


def test_no_charge_outside_the_rental():
    assert (
        billing.charge_for_month(
            monthly_fee_yen=30000,
            started_on=date(2026, 5, 1),
            ended_on=None,
            period=date(2026, 4, 1),
        )
        is None
    )
    assert (
        billing.charge_for_month(
            monthly_fee_yen=30000,
            started_on=date(2026, 1, 1),
            ended_on=date(2026, 3, 31),
            period=date(2026, 4, 1),
        )
        is None
    )


def test_add_months_clamps_to_the_month_end():
    assert billing.add_months(date(2024, 5, 31), -3) == date(2024, 2, 29)
    assert billing.add_months(date(2023, 5, 31), -3) == date(2023, 2, 28)
    assert billing.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert billing.add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


# --- The charges job ------------------------------------------------------------------------


def test_charge_job_run_twice_gives_one_charge_per_month(
    customer_a: Customer, alice: User, staff: User
):
    with time_machine.travel("2026-09-20 10:00 +0900", tick=False):
        rental = make_active(customer_a, alice, staff, started=date(2026, 9, 21), quantity=2)
    assert rental.monthly_fee_yen == 19600
    with time_machine.travel("2026-10-01 06:10 +0900", tick=False):
        assert billing.charges_create_due() == 1
        assert billing.charges_create_due() == 0
    with time_machine.travel("2026-11-01 06:10 +0900", tick=False):
        assert billing.charges_create_due() == 1
        call_command("charge_rentals", stdout=StringIO())
    charges = list(Charge.objects.filter(rental=rental).order_by("period"))
    assert [(c.period, c.days_charged, c.amount_yen) for c in charges] == [
        # 21–30 September: 10 of 30 days.
        (date(2026, 9, 1), 10, 6533),
        (date(2026, 10, 1), 31, 19600),
    ]
    assert charges[0].due_on == date(2026, 10, 31)
    assert charges[0].customer == customer_a


def test_charge_job_charges_the_last_partial_month_of_an_ended_rental(
    customer_a: Customer, alice: User, staff: User
):
    with time_machine.travel("2026-08-01 10:00 +0900", tick=False):
        rental = make_active(customer_a, alice, staff, started=date(2026, 8, 1))
    with time_machine.travel("2026-09-10 15:00 +0900", tick=False):
        rental_operations.rental_end(rental=rental, actor=staff)
    out = StringIO()
    call_command("charge_rentals", "--month", "2026-09", stdout=out)
    assert "1 charge(s) created for 2026-09" in out.getvalue()
    charge = Charge.objects.get(rental=rental)
    assert (charge.days_charged, charge.amount_yen) == (10, 3266)
    # October: the rental had ended, nothing to charge.
    assert billing.charges_create_for_month(period=date(2026, 10, 1)) == 0


def test_the_command_refuses_a_month_that_is_not_over(
    customer_a: Customer, alice: User, staff: User
):
    """Charging December on 1 December would bill the whole month for days not yet used,
    and the month is never charged again: the command refuses the current and later months."""
    with time_machine.travel("2026-11-20 10:00 +0900", tick=False):
        make_active(customer_a, alice, staff, started=date(2026, 11, 20))
    with time_machine.travel("2026-12-01 01:30 +0900", tick=False):
        for month in ("2026-12", "2030-01"):
            with pytest.raises(CommandError, match="not over yet"):
                call_command("charge_rentals", "--month", month, stdout=StringIO())
        assert not Charge.objects.exists()
        call_command("charge_rentals", "--month", "2026-11", stdout=StringIO())
    assert Charge.objects.get().period == date(2026, 11, 1)


def test_charge_job_ignores_requests_and_undelivered_rentals(
    customer_a: Customer, alice: User, staff: User
):
    from tests.contracts.rental_helpers import make_approved, make_request

    make_request(customer_a, alice)
    make_approved(customer_a, alice, staff)
    assert billing.charges_create_for_month(period=date(2099, 1, 1)) == 0


@pytest.mark.parametrize("count", [1, 30])
def test_charge_job_takes_a_fixed_number_of_queries(
    customer_a: Customer, alice: User, staff: User, count: int, django_assert_num_queries
):
    with time_machine.travel("2026-06-15 10:00 +0900", tick=False):
        for _ in range(count):
            make_active(customer_a, alice, staff)
    # One of them is the month's lock that makes concurrent runs wait (test_faults).
    with django_assert_num_queries(6):
        assert billing.charges_create_for_month(period=date(2026, 6, 1)) == count


def test_the_charge_task_is_scheduled():
    from django.conf import settings

    from contracts import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["contracts-charges-create"]
    assert entry["task"] == tasks.charges_create.name


# --- Payments, balance, acceleration --------------------------------------------------------


def _charge(customer: Customer, alice: User, staff: User, period: date) -> Charge:
    with time_machine.travel(f"{period:%Y-%m}-01 09:00 +0900", tick=False):
        rental = make_active(customer, alice, staff, started=period)
    billing.charges_create_for_month(period=period)
    return Charge.objects.get(rental=rental)


def test_outstanding_balance_is_charges_minus_payments(
    customer_a: Customer, alice: User, staff: User, customer_b: Customer
):
    _charge(customer_a, alice, staff, date(2026, 9, 1))
    assert billing.customer_outstanding_balance(customer=customer_a) == 9800
    payment = billing.payment_record(
        customer=customer_a,
        amount_yen=5000,
        received_on=date(2026, 10, 20),
        method=Payment.Method.BANK_TRANSFER,
        reference="振込 2026-10-20",
        actor=staff,
    )
    assert billing.customer_outstanding_balance(customer=customer_a) == 4800
    assert billing.customer_outstanding_balance(customer=customer_b) == 0
    assert AuditEntry.objects.filter(
        action="contracts.payment.recorded", target_id=str(payment.pk), clause="art5"
    ).exists()


def _record(customer: Customer, actor: User, **overrides: object) -> Payment:
    """1,000 yen received by bank transfer on 2026-01-01, recorded by ``actor``."""
    fields: dict = {"amount_yen": 1000, "received_on": date(2026, 1, 1), **overrides}
    return billing.payment_record(customer=customer, method="bank_transfer", actor=actor, **fields)


def test_a_payment_is_never_in_the_future_nor_zero(customer_a: Customer, staff: User):
    with pytest.raises(ValidationError):
        _record(customer_a, staff, received_on=date(2999, 1, 1))
    with pytest.raises(ValidationError):
        _record(customer_a, staff, amount_yen=0)


def test_only_staff_keeping_the_payments_record_or_void_them(
    customer_a: Customer, alice: User, staff: User
):
    clerk = StaffFactory(email="clerk@cts.example.jp")
    for actor in (alice, clerk):
        with pytest.raises(PermissionDenied):
            _record(customer_a, actor)
    payment = _record(customer_a, staff)
    with pytest.raises(PermissionDenied):
        billing.payment_void(payment=payment, actor=clerk, note="x")
    payment.refresh_from_db()
    assert payment.voided_at is None
    assert list(
        AuditEntry.objects.filter(action__startswith="contracts.payment.").values_list(
            "action", flat=True
        )
    ) == ["contracts.payment.recorded"]


def test_acceleration_makes_every_unpaid_charge_due_now(
    customer_a: Customer, alice: User, staff: User
):
    charge = _charge(customer_a, alice, staff, date(2026, 10, 1))
    assert charge.due_on == date(2026, 11, 30)
    with time_machine.travel("2026-11-05 12:00 +0900", tick=False):
        total = billing.customer_balance_accelerate(customer=customer_a, actor=staff)
    assert total == 9800
    charge.refresh_from_db()
    assert charge.due_on == date(2026, 11, 5) and charge.accelerated_at is not None
    assert AuditEntry.objects.filter(action="contracts.balance.accelerated", clause="art12.2")


# --- The liability cap (Art. 13(9)) ---------------------------------------------------------


def _pay(customer: Customer, staff: User, *days: str) -> None:
    for index, day in enumerate(days, start=1):
        Payment.objects.create(
            customer=customer,
            amount_yen=1000 * index,
            received_on=date.fromisoformat(day),
            method="bank_transfer",
            recorded_by=staff,
        )


def test_liability_cap_counts_three_months_back_from_the_date(customer_a: Customer, staff: User):
    # 1000 (too early), 2000, 3000, 4000 (the day itself), 5000 (after).
    _pay(customer_a, staff, "2026-08-15", "2026-08-16", "2026-10-01", "2026-11-15", "2026-11-16")
    cap = billing.customer_liability_cap(customer=customer_a, on=date(2026, 11, 15))
    assert (cap.window_start, cap.window_end) == (date(2026, 8, 16), date(2026, 11, 15))
    assert cap.amount_yen == 2000 + 3000 + 4000


@pytest.mark.parametrize(
    ("on", "start"),
    [
        # Across the end of February, leap and common years.
        ("2024-05-31", "2024-03-01"),
        ("2023-05-31", "2023-03-01"),
        ("2024-05-29", "2024-03-01"),
        ("2023-05-28", "2023-03-01"),
        ("2024-05-28", "2024-02-29"),
        # Across the year end.
        ("2026-02-28", "2025-11-29"),
        ("2026-01-31", "2025-11-01"),
    ],
)
def test_liability_cap_window_across_month_ends_and_leap_years(
    customer_a: Customer, staff: User, on: str, start: str
):
    day_before = date.fromordinal(date.fromisoformat(start).toordinal() - 1)
    _pay(customer_a, staff, day_before.isoformat(), start, on)
    cap = billing.customer_liability_cap(customer=customer_a, on=date.fromisoformat(on))
    assert cap.window_start == date.fromisoformat(start)
    assert cap.amount_yen == 2000 + 3000


def test_liability_cap_command(customer_a: Customer, customer_b: Customer, staff: User):
    _pay(customer_a, staff, "2024-03-01", "2024-04-30")
    _pay(customer_b, staff, "2024-04-01")
    out = StringIO()
    call_command("liability_cap", str(customer_a.pk), "--date", "2024-05-31", stdout=out)
    assert "¥3,000" in out.getvalue()
    assert "2024-03-01" in out.getvalue()


def test_acceleration_leaves_charges_already_paid_alone(
    customer_a: Customer, alice: User, staff: User
):
    september = _charge(customer_a, alice, staff, date(2026, 9, 1))
    _charge(customer_a, alice, staff, date(2026, 10, 1))
    # Charges: the first rental for September and October, the second for October (3 × 9,800).
    # The payment settles the oldest (September) and a part of the next.
    Payment.objects.create(
        customer=customer_a, amount_yen=12000, received_on=date(2026, 10, 10), method="other"
    )
    with time_machine.travel("2026-10-15 12:00 +0900", tick=False):
        assert billing.customer_balance_accelerate(customer=customer_a, actor=None) == 17400
    september.refresh_from_db()
    assert september.accelerated_at is None and september.due_on == date(2026, 10, 31)
    october = Charge.objects.filter(period=date(2026, 10, 1))
    assert october.count() == 2
    assert {c.due_on for c in october} == {date(2026, 10, 15)}


def test_the_charge_task_runs_the_job(customer_a: Customer, alice: User, staff: User):
    from contracts import tasks

    with time_machine.travel("2026-03-10 10:00 +0900", tick=False):
        make_active(customer_a, alice, staff, started=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 06:10 +0900", tick=False):
        assert tasks.charges_create() == 1
        assert tasks.charges_create() == 0
