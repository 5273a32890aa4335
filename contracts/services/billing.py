"""Fees and payments (Art. 5): the monthly charges job, payments received, the outstanding
balance, the acceleration of every debt (Art. 12(2)) and the liability cap (Art. 13(9)).

Money is integer yen. Dates are calendar dates in Asia/Tokyo."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, User
from accounts.staff import require_staff_permission

from ..models import Charge, Payment, Rental


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the last day of the month
    (2024-05-31 − 3 months = 2024-02-29; 2023-05-31 − 3 months = 2023-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class ChargeLine:
    days_charged: int
    days_in_month: int
    amount_yen: int


def charge_for_month(
    *, monthly_fee_yen: int, started_on: date, ended_on: date | None, period: date
) -> ChargeLine | None:
    """The fee of a rental for the month ``period``.

    Rule (pro-rata by days): a rental is charged for every calendar day (Asia/Tokyo) from the
    day it was delivered up to and including the day it ended. A whole month costs the monthly
    fee; a partial first or last month costs ``monthly_fee × days charged ÷ days in that
    month``, rounded down to the yen. A month with no such day has no charge (None)."""
    first, last = month_start(period), month_end(period)
    begin = max(first, started_on)
    end = min(last, ended_on) if ended_on is not None else last
    if end < begin:
        return None
    days = (end - begin).days + 1
    in_month = last.day
    amount = monthly_fee_yen if days == in_month else monthly_fee_yen * days // in_month
    return ChargeLine(days_charged=days, days_in_month=in_month, amount_yen=amount)


def _charge(rental: Rental, period: date, *, running_to: date | None) -> Charge | None:
    """The charge of ``rental`` for the month ``period`` (None: no day of it to charge); a
    rental still running is charged to ``running_to`` (None: to the month's end)."""
    assert rental.started_at is not None and rental.monthly_fee_yen is not None
    line = charge_for_month(
        monthly_fee_yen=rental.monthly_fee_yen,
        started_on=timezone.localdate(rental.started_at),
        ended_on=timezone.localdate(rental.ended_at) if rental.ended_at else running_to,
        period=period,
    )
    if line is None:
        return None
    return Charge(
        customer_id=rental.customer_id,
        rental_id=rental.pk,
        period=period,
        amount_yen=line.amount_yen,
        days_charged=line.days_charged,
        days_in_month=line.days_in_month,
        due_on=charge_due_on(period),
    )


def charge_due_on(period: date) -> date:
    """A month's fee is due at the end of the following month (月末締め翌月末払い)."""
    return month_end(add_months(month_start(period), 1))


def _lock_month(first: date) -> None:
    """Runs of the same month wait for each other (beat started twice, a staff run beside
    the scheduled one): the later one then sees the charges of the earlier and creates, and
    reports, none. The unique constraint alone would keep one charge, but both runs would
    count and audit them all. Held until the transaction ends; SQLite has a single writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"contracts.charges:{first}"]
            )


@transaction.atomic
def charges_create_for_month(*, period: date, actor: User | None = None) -> int:
    """Creates the charge of every rental that ran during the month of ``period``, at most
    one per rental and month (a unique constraint; a second run creates nothing). Set-based:
    the month's lock, three queries and one insert whatever the number of rentals. Returns
    how many charges were created."""
    first, last = month_start(period), month_end(period)
    _lock_month(first)
    rentals = list(
        Rental.objects.filter(
            state__in=Rental.STARTED_STATES,
            started_at__lt=_local_midnight(last + timedelta(days=1)),
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=_local_midnight(first)))
        .exclude(charges__period=first)
        .only("pk", "customer_id", "monthly_fee_yen", "started_at", "ended_at")
    )
    charges = [charge for rental in rentals if (charge := _charge(rental, first, running_to=None))]
    # A concurrent run may have inserted some already: the unique constraint keeps one.
    Charge.objects.bulk_create(charges, ignore_conflicts=True)
    audit_record(
        action="contracts.charges.created",
        actor=actor,
        clause=Clause.ART5,
        extra={"period": first.isoformat(), "count": len(charges)},
    )
    return len(charges)


def charges_create_due(*, today: date | None = None) -> int:
    """The beat job: charges the month before ``today`` (fees are charged in arrears). Run
    daily, so that a delivery or end recorded late is still charged; idempotent."""
    today = today or timezone.localdate()
    return charges_create_for_month(period=add_months(month_start(today), -1))


def customer_charges_to_date(*, customer: Customer, today: date | None = None) -> int:
    """The fees a company has run up and not yet been charged, charged now: this month's up to
    today (its rentals ended by then), and last month's if the daily job has not charged it
    yet. Fees are otherwise charged in arrears, so a revocation (Art. 12(2): every debt falls
    due at once) would state a balance without them, and charge them a month later with the
    usual due date. Due on the usual dates here (bringing them forward is
    ``customer_balance_accelerate``'s); the monthly job then finds them charged. Returns how
    many charges were created; a fixed number of queries."""
    today = today or timezone.localdate()
    current = month_start(today)
    periods = [add_months(current, -1), current]
    for period in periods:
        _lock_month(period)
    charged = set(
        Charge.objects.filter(customer=customer, period__in=periods).values_list(
            "rental_id", "period"
        )
    )
    rentals = Rental.objects.filter(
        customer=customer,
        state__in=Rental.STARTED_STATES,
        started_at__lt=_local_midnight(today + timedelta(days=1)),
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=_local_midnight(periods[0])))
    charges = [
        charge
        for rental in rentals
        for period in periods
        if (rental.pk, period) not in charged
        and (charge := _charge(rental, period, running_to=today))
    ]
    Charge.objects.bulk_create(charges, ignore_conflicts=True)
    return len(charges)


# --- Payments and balance -------------------------------------------------------------------


def _require_payment_permission(actor: User, action: str) -> None:
    """Payments are the provider's books: only staff holding the permission record or void
    them."""
    require_staff_permission(
        actor,
        f"contracts.{action}_payment",
        _("Only staff entitled to keep the payments may do this."),
    )


@transaction.atomic
def payment_record(
    *,
    customer: Customer,
    amount_yen: int,
    received_on: date,
    method: str,
    reference: str = "",
    actor: User,
    request: HttpRequest | None = None,
) -> Payment:
    """Staff record money actually received (Art. 5; the liability cap of Art. 13(9) is read
    from these records). A payment is never dated in the future (``Payment.clean``)."""
    _require_payment_permission(actor, "add")
    payment = Payment(
        customer=customer,
        amount_yen=amount_yen,
        received_on=received_on,
        method=method,
        reference=reference.strip(),
        recorded_by=actor,
    )
    payment.full_clean()
    payment.save()
    audit_record(
        action="contracts.payment.recorded",
        actor=actor,
        customer=customer,
        target=payment,
        clause=Clause.ART5,
        request=request,
        extra={"amount_yen": amount_yen, "received_on": received_on.isoformat()},
    )
    return payment


@transaction.atomic
def payment_void(
    *, payment: Payment, actor: User, note: str, request: HttpRequest | None = None
) -> Payment:
    """Staff void a payment recorded by mistake (a wrong amount, company or date), saying
    why: it stays on record, marked, and no longer counts in the balance nor in the
    liability cap (Art. 5, 13(9)). The money actually received is then recorded anew."""
    _require_payment_permission(actor, "change")
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.voided_at is not None:
        raise ValidationError(
            _("This payment was already voided on %(date)s.")
            % {"date": timezone.localtime(locked.voided_at).strftime("%Y-%m-%d %H:%M")},
            code="already_voided",
        )
    reason = note.strip()
    if not reason:
        raise ValidationError(_("Say why the payment is voided."), code="reason_required")
    locked.voided_at = timezone.now()
    locked.voided_by = actor
    locked.void_reason = reason
    locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit_record(
        action="contracts.payment.voided",
        actor=actor,
        customer=locked.customer,
        target=locked,
        clause=Clause.ART5,
        request=request,
        extra={
            "amount_yen": locked.amount_yen,
            "received_on": locked.received_on.isoformat(),
            "reason": reason,
        },
    )
    return locked


def _received(customer: Customer) -> QuerySet[Payment]:
    """The customer's payments that count: every one not voided."""
    return Payment.objects.filter(customer=customer, voided_at__isnull=True)


def _paid_total(customer: Customer) -> int:
    """Yen received from the customer, every payment counted but the voided ones."""
    return int(_received(customer).aggregate(t=Sum("amount_yen"))["t"] or 0)


def customer_outstanding_balance(*, customer: Customer) -> int:
    """Yen the customer owes: every charge minus every payment received (negative when the
    customer paid ahead)."""
    charged = Charge.objects.filter(customer=customer).aggregate(t=Sum("amount_yen"))["t"] or 0
    return int(charged) - _paid_total(customer)


def _unpaid_charges(customer: Customer) -> tuple[list[int], int]:
    """Charges not yet covered by payments, taking payments against the oldest charges
    first, and the outstanding balance (every charge minus every payment), in two queries."""
    paid = total_paid = _paid_total(customer)
    charged = 0
    unpaid = []
    for pk, amount in (
        Charge.objects.filter(customer=customer)
        .order_by("period", "due_on", "pk")
        .values_list("pk", "amount_yen")
    ):
        charged += amount
        if paid >= amount:
            paid -= amount
        else:
            paid = 0
            unpaid.append(pk)
    return unpaid, charged - total_paid


@transaction.atomic
def customer_balance_accelerate(*, customer: Customer, actor: User | None) -> int:
    """Art. 12(2): on the grounds of Art. 12(1) every debt falls due at once. Every unpaid
    charge (payments settle the oldest charges first) not yet due becomes due today; returns
    the outstanding balance, now all due (0 when nothing is owed). A fixed number of queries."""
    today = timezone.localdate()
    now = timezone.now()
    unpaid, outstanding = _unpaid_charges(customer)
    moved = Charge.objects.filter(pk__in=unpaid, due_on__gt=today).update(
        due_on=today, accelerated_at=now
    )
    balance = max(outstanding, 0)
    audit_record(
        action="contracts.balance.accelerated",
        actor=actor,
        customer=customer,
        target=customer,
        clause=Clause.ART12_2,
        extra={"charges_brought_forward": moved, "balance_yen": balance},
    )
    return balance


@dataclass(frozen=True)
class LiabilityCap:
    on: date
    window_start: date  # first day counted
    window_end: date  # last day counted
    amount_yen: int


def customer_liability_cap(*, customer: Customer, on: date) -> LiabilityCap:
    """Art. 13(9): the provider's liability is capped at the fees actually received from the
    customer in the three months going back from the time the damage arose.

    Counted: payments received after the same calendar day three months earlier (clamped to
    the month's end, so 2024-05-31 looks back to 2024-02-29) up to and including ``on`` —
    the day three months back is not counted (初日不算入), which makes the window exactly
    three months long."""
    try:
        start = add_months(on, -3) + timedelta(days=1)
    except ValueError:  # a date in the first three months of year 1 has none before it
        start = date.min
    total = (
        _received(customer)
        .filter(received_on__gte=start, received_on__lte=on)
        .aggregate(t=Sum("amount_yen"))["t"]
        or 0
    )
    return LiabilityCap(on=on, window_start=start, window_end=on, amount_yen=int(total))
