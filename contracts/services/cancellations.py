"""Cancellation with 7 days' notice (Art. 12(3)): given by the owner or by provider staff,
withdrawn by the side that gave it, the reminder 7 days ahead, and its application on the
effective date (rentals and video data end, Art. 10(6); the return checklist opens,
Art. 12(5)).

Single transitions (staff actions, the owner's notice) lock the customer row and are audited
one by one. The scheduler's work (reminders, applying due cancellations, inactivity) is
set-based: due rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and changed with a
fixed number of queries whatever their number, so a repeated or concurrent run changes
nothing more and, thanks to the notices' dedupe key, sends nothing twice. Each job takes
``now`` and handles everything due up to it, so a run after downtime catches up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from notices.models import Notice
from notices.services import (
    NoticeItem,
    Sql,
    notice_create,
    notices_create_many,
    notices_insert_sql,
)

from ..models import (
    CANCELLATION_NOTICE,
    Cancellation,
    ReturnChecklist,
    Suspension,
)
from . import jobs
from .jobs import (
    JOIN_DUE,
    JobResult,
    audit_insert_sql,
    audit_many,
    job_run_in_chunks,
    job_run_in_sql,
    sql_isoformat,
)
from .lifecycle_common import (
    TOKYO,
    end_access,
    local_date,
    lock_customer,
    open_return_checklists,
    provider_recipients,
    rentals_end_counted,
    set_status,
    start_of_day,
)

S = Customer.Status


# --- cancellation (Art. 12(3)) ----------------------------------------------------------------


def cancellation_earliest(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + CANCELLATION_NOTICE


def cancellation_effective_for_date(day: date) -> datetime:
    """A cancellation "on" a date takes effect at the end of that day, Asia/Tokyo."""
    return start_of_day(day + timedelta(days=1))


def cancellation_earliest_date(now: datetime | None = None) -> date:
    """The first date a notice given now may name (its end is ≥ 7 days away)."""
    return local_date(cancellation_earliest(now))


def _side_of(*, customer: Customer, actor: User) -> str:
    if actor.is_authenticated and actor.is_active and actor.is_staff:
        return Cancellation.Side.PROVIDER
    if Membership.objects.filter(
        user=actor, customer=customer, role=Membership.Role.OWNER
    ).exists():
        return Cancellation.Side.CUSTOMER
    raise PermissionDenied(_("Only the company's owner may give or withdraw notice."))


def _cancellation_notices(
    *, customer: Customer, cancellation: Cancellation, actor: User, period: str, **ctx: Any
) -> None:
    """Art. 12(3): both sides are told, the customer and the provider."""
    context = {"cancellation": cancellation, **ctx}
    notice_create(
        customer=customer,
        kind=Notice.Kind.CANCELLATION_GIVEN,
        clause=Clause.ART12_3,
        subject=cancellation,
        period=period,
        context=context,
        actor=actor,
    )
    notice_create(
        customer=customer,
        kind=Notice.Kind.CANCELLATION_GIVEN,
        clause=Clause.ART12_3,
        subject=cancellation,
        period=f"{period}provider" if period else "provider",
        context={**context, "to_provider": True},
        recipients=provider_recipients(),
        language=Notice.Language.JA,
        actor=actor,
    )


@transaction.atomic
def cancellation_give(
    *,
    customer: Customer,
    actor: User,
    effective_at: datetime | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Cancellation:
    """Notice of cancellation by the customer's owner or by provider staff (Art. 12(3)),
    taking effect at ``effective_at`` (default: exactly 7 days from now; never sooner). A
    suspended company may still give notice (Art. 12(1) does not take that away)."""
    side = _side_of(customer=customer, actor=actor)
    locked = lock_customer(customer)
    # A suspended company keeps its status while its notice runs: the notice itself says
    # whether one was given already.
    scheduled = Cancellation.objects.filter(
        customer=locked, state=Cancellation.State.SCHEDULED
    ).exists()
    if scheduled or locked.status not in (S.ACTIVE, S.SUSPENDED):
        if scheduled or locked.status == S.CANCELLATION_SCHEDULED:
            raise ValidationError(
                _("Notice of cancellation has already been given."), code="already_given"
            )
        raise ValidationError(
            _("This company's registration cannot be cancelled (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_cancellable",
        )
    now = timezone.now()
    earliest = cancellation_earliest(now)
    effective_at = effective_at or earliest
    if effective_at < earliest:
        raise ValidationError(
            _(
                "Cancellation takes effect at least 7 days after notice (Art. 12(3)): "
                "the earliest is %(date)s."
            )
            % {"date": timezone.localtime(earliest, TOKYO).strftime("%Y-%m-%d %H:%M")},
            code="notice_too_short",
        )
    cancellation = Cancellation(
        customer=locked,
        side=side,
        given_by=actor,
        given_at=now,
        effective_at=effective_at,
        note=note,
    )
    cancellation.full_clean()
    cancellation.save()
    locked.cancellation_effective_at = effective_at
    status = S.SUSPENDED if locked.status == S.SUSPENDED else S.CANCELLATION_SCHEDULED
    set_status(locked, status, now, "cancellation_effective_at")
    audit_record(
        action="contracts.cancellation.given",
        actor=actor,
        customer=locked,
        target=cancellation,
        clause=Clause.ART12_3,
        request=request,
        extra={"side": side, "effective_at": effective_at.isoformat()},
    )
    _cancellation_notices(customer=locked, cancellation=cancellation, actor=actor, period="")
    customer.refresh_from_db()
    return cancellation


@transaction.atomic
def cancellation_withdraw(
    *,
    cancellation: Cancellation,
    actor: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> Cancellation:
    """Withdraws a notice of cancellation: only the side that gave it, and only before it
    takes effect."""
    locked_customer = lock_customer(cancellation.customer)
    locked = Cancellation.objects.select_for_update().get(pk=cancellation.pk)
    side = _side_of(customer=locked_customer, actor=actor)
    if side != locked.side:
        raise PermissionDenied(_("Only the side that gave the notice may withdraw it."))
    now = timezone.now()
    if locked.state != Cancellation.State.SCHEDULED or now >= locked.effective_at:
        raise ValidationError(
            _("This notice of cancellation can no longer be withdrawn."),
            code="not_withdrawable",
        )
    locked.state = Cancellation.State.WITHDRAWN
    locked.withdrawn_at = now
    locked.withdrawn_by = actor
    locked.full_clean()
    locked.save(update_fields=["state", "withdrawn_at", "withdrawn_by"])
    locked_customer.cancellation_effective_at = None
    status = S.SUSPENDED if locked_customer.status == S.SUSPENDED else S.ACTIVE
    set_status(locked_customer, status, now, "cancellation_effective_at")
    audit_record(
        action="contracts.cancellation.withdrawn",
        actor=actor,
        customer=locked_customer,
        target=locked,
        clause=Clause.ART12_3,
        request=request,
        extra={"side": side, "note": note} if note else {"side": side},
    )
    _cancellation_notices(
        customer=locked_customer,
        cancellation=locked,
        actor=actor,
        period="withdrawn",
        withdrawn=True,
    )
    cancellation.refresh_from_db()
    return locked


def cancellation_current(*, customer: Customer) -> Cancellation | None:
    return (
        Cancellation.objects.filter(customer=customer, state=Cancellation.State.SCHEDULED)
        .select_related("given_by")
        .first()
    )


def _reminders_due(now: datetime) -> models.QuerySet[Cancellation]:
    return Cancellation.objects.filter(
        state=Cancellation.State.SCHEDULED,
        reminded_at__isnull=True,
        effective_at__gt=now,
        effective_at__lte=now + CANCELLATION_NOTICE,
        given_at__lt=models.F("effective_at") - CANCELLATION_NOTICE,
    )


def cancellation_reminders_send_due(*, now: datetime | None = None) -> JobResult:
    """Art. 12(3): 7 days before a cancellation takes effect, a reminder to the customer,
    when the notice was given further ahead than that. On PostgreSQL one statement marks
    the due cancellations reminded, audits them and writes their notices
    (``job_run_in_sql``)."""
    now = now or timezone.now()
    if not jobs.in_sql():
        return _reminders_send_in_chunks(now)
    table = Cancellation._meta.db_table
    result = job_run_in_sql(
        due=lambda: (
            _reminders_due(now)
            .select_for_update(skip_locked=True)
            .order_by("effective_at", "pk")
            .values("pk")
        ),
        change=Sql(
            f"UPDATE {table} t SET reminded_at = %s {JOIN_DUE}"  # noqa: S608
            " RETURNING t.id AS target_id, t.customer_id, t.id::text AS subject_id,"
            " '' AS period, t.given_at, t.effective_at",
            now,
        ),
        audits=[
            audit_insert_sql(
                action="contracts.cancellation.reminded",
                clause=Clause.ART12_3,
                target_type=Cancellation,
                # str(cancellation): "<customer> → <effective date in Japan>".
                target_repr=(
                    f"(SELECT name FROM {Customer._meta.db_table} WHERE id = s.customer_id)"  # noqa: S608
                    " || ' → ' || to_char(s.effective_at AT TIME ZONE"
                    f" '{settings.TIME_ZONE}', 'YYYY-MM-DD')"
                ),
                extra=f"jsonb_build_object('effective_at', {sql_isoformat('s.effective_at')})",
            )
        ],
        notices=notices_insert_sql(
            kind=Notice.Kind.CANCELLATION_REMINDER,
            clause=Clause.ART12_3,
            source=Sql("changed"),
            columns={
                "cancellation.given_at": "given_at",
                "cancellation.effective_at": "effective_at",
            },
            subject_type=ContentType.objects.get_for_model(Cancellation),
            now=now,
        ),
    )
    return result


def _reminders_send_in_chunks(now: datetime) -> JobResult:
    """The reminders on a database without data-modifying CTEs (SQLite, ``make run``)."""

    def due() -> models.QuerySet[Cancellation]:
        return (
            _reminders_due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("customer")
        )

    def act(due: list[Cancellation]) -> JobResult:
        Cancellation.objects.filter(pk__in=[c.pk for c in due]).update(reminded_at=now)
        created = notices_create_many(
            kind=Notice.Kind.CANCELLATION_REMINDER,
            clause=Clause.ART12_3,
            items=[
                NoticeItem(customer=c.customer, subject=c, context={"cancellation": c}) for c in due
            ],
        )
        audit_many(
            action="contracts.cancellation.reminded",
            clause=Clause.ART12_3,
            rows=[(c.customer_id, c, {"effective_at": c.effective_at.isoformat()}) for c in due],
        )
        return JobResult(len(due), created)

    return job_run_in_chunks(due=due, act=act, order=("effective_at", "pk"))


def cancellations_apply_due(*, now: datetime | None = None) -> JobResult:
    """Art. 12(3), 10(6), 12(5): on the effective date every rental ends, the members'
    sessions end and their logins are disabled, the video data's deletion is recorded, the
    return checklist opens, and the customer is told (cancellation_applied)."""
    now = now or timezone.now()

    def due() -> models.QuerySet[Cancellation]:
        return (
            Cancellation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer")
            .filter(state=Cancellation.State.SCHEDULED, effective_at__lte=now)
        )

    return job_run_in_chunks(
        due=due,
        act=lambda due: _cancellations_apply(due, now=now),
        order=("effective_at", "pk"),
    )


def _cancellations_apply(due: list[Cancellation], *, now: datetime) -> JobResult:
    customers = [c.customer for c in due]
    ended = rentals_end_counted(
        customer_ids=[c.customer_id for c in due], actor=None, clause=Clause.ART12_3
    )
    for c in due:
        c.state = Cancellation.State.APPLIED
        c.applied_at = now
        c.video_data_deleted_at = now
        c.rentals_ended = ended[c.customer_id]
    Cancellation.objects.bulk_update(
        due, ["state", "applied_at", "video_data_deleted_at", "rentals_ended"], batch_size=None
    )
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        status=S.CANCELLED,
        status_changed_at=now,
        updated_at=now,
        inactivity_contacted_at=None,
        inactivity_escalated_at=None,
    )
    Suspension.objects.filter(customer__in=customers, lifted_at__isnull=True).update(
        lifted_at=now, lift_note="Ended by cancellation."
    )
    items = open_return_checklists(
        customers=customers, reason=ReturnChecklist.Reason.CANCELLATION, now=now
    )
    # The notice goes to the members' addresses as they are before their logins end.
    created = notices_create_many(
        kind=Notice.Kind.CANCELLATION_APPLIED,
        clause=Clause.ART12_3,
        items=[
            NoticeItem(
                customer=c.customer,
                subject=c,
                context={"cancellation": c, "return_items": items.get(c.customer_id, [])},
            )
            for c in due
        ],
    )
    end_access(customer_ids=[c.pk for c in customers], disable_logins=True)
    audit_many(
        action="contracts.cancellation.applied",
        clause=Clause.ART12_3,
        rows=[(c.customer_id, c, {"rentals_ended": c.rentals_ended}) for c in due],
    )
    audit_many(
        action="contracts.video_data.deleted",
        clause=Clause.ART10_6,
        rows=[(c.customer_id, c, {"deleted_at": now.isoformat()}) for c in due],
    )
    return JobResult(len(due), created)
