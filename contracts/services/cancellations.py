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

from collections.abc import Callable
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
from cameras.models import Product, Unit
from notices.models import PROVIDER_COPY, Notice
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
    Measure,
    Rental,
    RentalUnit,
    ReturnChecklist,
    ReturnItem,
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
    PROVIDED_MATERIALS,
    TOKYO,
    end_access,
    local_date,
    lock_customer,
    open_return_checklists,
    provider_recipients,
    rentals_end_counted,
    rentals_end_selected,
    require_measure,
    set_status,
    start_of_day,
)
from .return_lists import return_list_columns, return_list_context, return_lists_sql

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
        # Art. 12(3) for the provider: only the staff entitled to it.
        require_measure(actor, Measure.CANCEL_FOR_PROVIDER)
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
        period=f"{period}{PROVIDER_COPY}",
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
    """Notice of cancellation by the customer's owner or by provider staff entitled to give
    it (``Measure.CANCEL_FOR_PROVIDER``) (Art. 12(3)), taking effect at ``effective_at``
    (default: exactly 7 days from now; never sooner). A suspended company may still give
    notice (Art. 12(1) does not take that away)."""
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
    side = _side_of(customer=cancellation.customer, actor=actor)
    locked_customer = lock_customer(cancellation.customer)
    locked = Cancellation.objects.select_for_update().get(pk=cancellation.pk)
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


# str(cancellation) of the row ``s`` (with the company's name): "<company> → <effective date
# in Japan>".
_CANCELLATION_REPR = (
    f"s.name || ' → ' || to_char(s.effective_at AT TIME ZONE '{settings.TIME_ZONE}', 'YYYY-MM-DD')"
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
            f"UPDATE {table} t SET reminded_at = %s FROM {Customer._meta.db_table} c"  # noqa: S608
            f" {JOIN_DUE} AND c.id = t.customer_id"
            " RETURNING t.id AS target_id, t.customer_id, t.id::text AS subject_id,"
            " '' AS period, t.given_at, t.effective_at, c.name",
            now,
        ),
        audits=[
            audit_insert_sql(
                action="contracts.cancellation.reminded",
                clause=Clause.ART12_3,
                target_type=Cancellation,
                target_repr=_CANCELLATION_REPR,
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

    if jobs.in_sql():
        return _cancellations_apply_in_sql(due, now=now)
    return job_run_in_chunks(
        due=due,
        act=lambda due: _cancellations_apply(due, now=now),
        order=("effective_at", "pk"),
    )


@transaction.atomic
def _cancellations_apply_in_sql(
    due: Callable[[], models.QuerySet[Cancellation]], *, now: datetime
) -> JobResult:
    """``_cancellations_apply`` on PostgreSQL, with no due row in Python: one statement
    marks the due cancellations applied (counting each company's live rentals), closes the
    companies, lifts their suspensions, opens their return checklists with the units still
    held and the materials provided, writes the notices (the members' addresses read before
    their logins end) and the two audit entries of each; then the rentals end and the
    members' access ends, each in a fixed number of queries, for the cancellations this run
    applied (found by their ``applied_at``, this run's ``now``). One transaction: done
    wholly or not at all."""
    cancellation = Cancellation._meta.db_table
    customer = Customer._meta.db_table
    checklist = ReturnChecklist._meta.db_table
    item = ReturnItem._meta.db_table
    rental = Rental._meta.db_table
    assignment = RentalUnit._meta.db_table
    unit = Unit._meta.db_table
    product = Product._meta.db_table
    live = ", ".join(f"'{state}'" for state in Rental.LIVE_STATES)
    materials = Sql("")
    for position, (kind, description) in enumerate(PROVIDED_MATERIALS):
        materials.add(
            " UNION ALL SELECT l.id, l.customer_id, %s, %s, %s, '', %s FROM lists l",
            kind,
            ReturnItem.Action.RETURN_OR_DESTROY,
            description,
            1_000_000 + position,
        )
    ctes = {
        "closed": Sql(
            f"UPDATE {customer} c SET status = %s, status_changed_at = %s, updated_at = %s,"  # noqa: S608
            " inactivity_contacted_at = NULL, inactivity_escalated_at = NULL"
            " FROM changed s WHERE c.id = s.customer_id",
            S.CANCELLED,
            now,
            now,
        ),
        "lifted": Sql(
            f"UPDATE {Suspension._meta.db_table} u SET lifted_at = %s, lift_note = %s"  # noqa: S608
            " FROM changed s WHERE u.customer_id = s.customer_id AND u.lifted_at IS NULL",
            now,
            "Ended by cancellation.",
        ),
        # The company's open checklist (a partial unique index): a new one, or one already
        # open without items, is filled; one already filled is left as it is.
        "opened": Sql(
            f"INSERT INTO {checklist} (customer_id, reason, opened_at)"  # noqa: S608
            " SELECT customer_id, %s, %s FROM changed ON CONFLICT DO NOTHING"
            " RETURNING id, customer_id",
            ReturnChecklist.Reason.CANCELLATION,
            now,
        ),
        "lists": Sql(
            "SELECT id, customer_id FROM opened UNION ALL"  # noqa: S608
            f" SELECT l.id, l.customer_id FROM {checklist} l JOIN changed s"
            " ON s.customer_id = l.customer_id WHERE l.closed_at IS NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {item} i WHERE i.checklist_id = l.id)"
        ),
        # The units still held (``units_to_return``), then the materials provided.
        "wanted": Sql(
            "SELECT l.id AS checklist_id, l.customer_id, %s AS kind, %s AS action,"  # noqa: S608
            " left(p.model_code || ' #' || u.serial, 300) AS description,"
            " u.id::text AS unit_ref, row_number() OVER (PARTITION BY l.customer_id"
            " ORDER BY p.model_code, u.serial)::int AS position"
            f" FROM lists l JOIN {rental} r ON r.customer_id = l.customer_id"
            f" JOIN {assignment} a ON a.rental_id = r.id AND a.returned_at IS NULL"
            f" JOIN {unit} u ON u.id = a.unit_id JOIN {product} p ON p.id = u.product_id",
            ReturnItem.Kind.UNIT,
            ReturnItem.Action.RETURN,
        ).extend(materials),
        "filled": Sql(
            f"INSERT INTO {item} (checklist_id, kind, action, description, unit_ref)"  # noqa: S608
            " SELECT checklist_id, kind, action, description, unit_ref FROM wanted"
            " ORDER BY customer_id, position"
        ),
        # Each company's list, in every language, once (joined to its notice below).
        "rendered": return_lists_sql(items="wanted"),
    }
    # A company without items (its checklist was filled before) shows no list.
    source = Sql("(SELECT s.*")
    for per_language in return_list_columns().values():
        for name in per_language.values():
            source.add(f", COALESCE(r.{name}, '') AS {name}")
    source.add(" FROM changed s LEFT JOIN rendered r ON r.customer_id = s.customer_id)")
    result = job_run_in_sql(
        due=lambda: due().order_by("effective_at", "pk").values("pk"),
        change=Sql(
            f"UPDATE {cancellation} t SET state = %s, applied_at = %s,"  # noqa: S608
            " video_data_deleted_at = %s, rentals_ended = (SELECT count(*) FROM"
            f" {rental} r WHERE r.customer_id = t.customer_id AND r.state IN ({live}))"
            f" FROM {customer} c {JOIN_DUE} AND c.id = t.customer_id"
            " RETURNING t.id AS target_id, t.customer_id, t.id::text AS subject_id,"
            " '' AS period, t.effective_at, t.video_data_deleted_at, t.rentals_ended,"
            " t.rentals_ended::text AS rentals_ended_text, c.name",
            Cancellation.State.APPLIED,
            now,
            now,
        ),
        ctes=ctes,
        audits=[
            audit_insert_sql(
                action="contracts.cancellation.applied",
                clause=Clause.ART12_3,
                target_type=Cancellation,
                target_repr=_CANCELLATION_REPR,
                extra="jsonb_build_object('rentals_ended', s.rentals_ended)",
            ),
            audit_insert_sql(
                action="contracts.video_data.deleted",
                clause=Clause.ART10_6,
                target_type=Cancellation,
                target_repr=_CANCELLATION_REPR,
                extra="jsonb_build_object('deleted_at',"
                f" {sql_isoformat('s.video_data_deleted_at')})",
            ),
        ],
        notices=notices_insert_sql(
            kind=Notice.Kind.CANCELLATION_APPLIED,
            clause=Clause.ART12_3,
            source=source,
            columns={
                "cancellation.effective_at": "effective_at",
                "cancellation.rentals_ended": "rentals_ended_text",
                "cancellation.video_data_deleted_at": "video_data_deleted_at",
                **return_list_columns(),
            },
            subject_type=ContentType.objects.get_for_model(Cancellation),
            now=now,
        ),
    )
    if result.changed:
        applied = Cancellation.objects.filter(
            state=Cancellation.State.APPLIED, applied_at=now
        ).values("customer_id")
        rentals_end_selected(customers=applied, clause=Clause.ART12_3)
        end_access(customer_ids=applied, disable_logins=True)
    return result


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
                context={
                    "cancellation": c,
                    **return_list_context(items.get(c.customer_id, []), c.customer.language),
                },
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
