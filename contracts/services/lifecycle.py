"""The customer's lifecycle after registration (Art. 10(6), 12): suspension and its lifting,
revocation, cancellation with 7 days' notice (given, withdrawn, applied), the return checklist
of Art. 12(5), and the inactivity rule of Art. 12(1)(5).

Single transitions (staff actions, the owner's notice) lock the customer row and are audited
one by one. The scheduler's work (reminders, applying due cancellations, inactivity) is
set-based: due rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and changed with a
fixed number of queries whatever their number, so a repeated or concurrent run changes
nothing more and, thanks to the notices' dedupe key, sends nothing twice. Each job takes
``now`` and handles everything due up to it, so a run after downtime catches up."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import SCHEDULER, audit_record
from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, Membership, User
from notices.models import Notice
from notices.services import NoticeItem, notice_create, notices_create_many

from .. import selectors
from ..models import (
    CANCELLATION_NOTICE,
    PROVIDER_GROUND_CHOICES,
    Cancellation,
    Rental,
    ReturnChecklist,
    ReturnItem,
    Revocation,
    Suspension,
)
from . import billing, rentals

TOKYO = ZoneInfo("Asia/Tokyo")
S = Customer.Status

# The software and documents every customer received with the service (Art. 12(5)): on
# revocation or cancellation they are returned or destroyed as the provider instructs.
PROVIDED_MATERIALS = [
    (ReturnItem.Kind.SOFTWARE, "Viewer software, licence keys and installation media"),
    (ReturnItem.Kind.MANUAL, "Manuals, setup guides and other documents provided"),
]


# --- rentals (contracts.services.rentals / billing / selectors) -------------------------------
# The one place each of the rental feature's interfaces is called from.


def _rentals_end_for_customers(
    *, customer_ids: Sequence[int], actor: User | None, clause: str
) -> dict[int, int]:
    """Ends every rental of these customers, with the deletion records of their video data
    (Art. 10(6)); returns how many live rentals each had. A fixed number of queries."""
    live = dict(
        Rental.objects.filter(customer_id__in=customer_ids, state__in=Rental.LIVE_STATES)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    rentals.rentals_end_for_customers(customer_ids=customer_ids, actor=actor, clause=Clause(clause))
    return {pk: live.get(pk, 0) for pk in customer_ids}


def _balance_accelerate(*, customer: Customer, actor: User) -> int:
    """Art. 12(2): every unpaid charge falls due at once; returns the total in yen."""
    return billing.customer_balance_accelerate(customer=customer, actor=actor)


def _units_to_return(*, customer_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(unit id, "model #serial") of each rented unit each customer still holds."""
    result: dict[int, list[tuple[str, str]]] = {}
    for customer_id, unit in selectors.units_to_return_for_customers(customer_ids=customer_ids):
        result.setdefault(customer_id, []).append((str(unit.pk), str(unit)))
    return result


# --- helpers ----------------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, TOKYO).date()


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Tokyo of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic: the same day ``months`` later, or that month's last day
    when it is shorter (Nov 30 + 3 months = Feb 28, or Feb 29 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_staff(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only provider staff may do this."))


def _check_ground(ground: str) -> None:
    if ground not in dict(PROVIDER_GROUND_CHOICES):
        raise ValidationError(_("Choose a ground of Art. 12(1)(1)–(7)."), code="invalid_ground")


def _lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _set_status(customer: Customer, status: str, now: datetime, *fields: str) -> None:
    if customer.status != status:
        customer.status = status
        customer.status_changed_at = now
    customer.full_clean()
    customer.save(update_fields=["status", "status_changed_at", "updated_at", *fields])


def _provider_recipients() -> list[str]:
    return [settings.PROVIDER_EMAIL]


def _audit_many(
    *,
    action: str,
    clause: str,
    rows: Iterable[tuple[int | None, models.Model, dict[str, Any]]],
    actor: User | None = None,
) -> None:
    """One audit entry per (customer id, target, extra), in one INSERT: the set-based jobs'
    counterpart of ``audit_record``."""
    entries = []
    for customer_id, target, extra in rows:
        entries.append(
            AuditEntry(
                action=action,
                actor=actor,
                actor_label=actor.email if actor is not None else SCHEDULER,
                customer_id=customer_id,
                clause=clause,
                target_type=ContentType.objects.get_for_model(target),
                target_id=str(target.pk),
                target_repr=str(target)[:300],
                extra=extra,
            )
        )
    AuditEntry.objects.bulk_create(entries)


def _end_access(*, customer_ids: Sequence[int], disable_logins: bool) -> None:
    """Ends every session and API token of the companies' members, in a fixed number of
    queries; with ``disable_logins`` their logins stop working too."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from knox.models import AuthToken

    members = Membership.objects.filter(customer_id__in=customer_ids).values("user_id")
    keys = UserSession.objects.filter(user_id__in=members).values("session_key")
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user_id__in=members).delete()
    AuthToken.objects.filter(user_id__in=members).delete()
    if disable_logins:
        User.objects.filter(pk__in=members).update(is_active=False)


def _open_return_checklists(
    *, customers: Sequence[Customer], reason: str, now: datetime
) -> dict[int, list[ReturnItem]]:
    """Art. 12(5): opens each customer's return checklist with the units still held and the
    software and manuals provided. A fixed number of queries whatever their number."""
    if not customers:
        return {}
    ReturnChecklist.objects.bulk_create(
        [ReturnChecklist(customer=c, reason=reason, opened_at=now) for c in customers],
        ignore_conflicts=True,
    )
    lists = {
        cl.customer_id: cl
        for cl in ReturnChecklist.objects.filter(
            customer__in=customers, closed_at__isnull=True, items__isnull=True
        )
    }
    units = _units_to_return(customer_ids=[c.pk for c in customers])
    items: dict[int, list[ReturnItem]] = {}
    for customer in customers:
        checklist = lists.get(customer.pk)
        if checklist is None:
            continue
        rows = [
            ReturnItem(
                checklist=checklist,
                kind=ReturnItem.Kind.UNIT,
                action=ReturnItem.Action.RETURN,
                description=description[:300],
                unit_ref=ref,
            )
            for ref, description in units.get(customer.pk, [])
        ]
        rows += [
            ReturnItem(
                checklist=checklist,
                kind=kind,
                action=ReturnItem.Action.RETURN_OR_DESTROY,
                description=description,
            )
            for kind, description in PROVIDED_MATERIALS
        ]
        items[customer.pk] = rows
    ReturnItem.objects.bulk_create([i for rows in items.values() for i in rows])
    return items


# --- suspension (Art. 12(1)) ------------------------------------------------------------------


@transaction.atomic
def customer_suspend(
    *,
    customer: Customer,
    actor: User,
    ground: str,
    note: str,
    request: HttpRequest | None = None,
) -> Suspension:
    """Suspends the customer's use of the service on a ground of Art. 12(1)(1)–(7), without
    prior notice. A scheduled cancellation keeps its date."""
    _require_staff(actor)
    _check_ground(ground)
    locked = _lock_customer(customer)
    if locked.status not in (S.ACTIVE, S.CANCELLATION_SCHEDULED):
        raise ValidationError(
            _("Only an active company can be suspended (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_suspendable",
        )
    now = timezone.now()
    suspension = Suspension(
        customer=locked, ground=ground, note=note, started_at=now, started_by=actor
    )
    suspension.full_clean()
    suspension.save()
    _set_status(locked, S.SUSPENDED, now)
    audit_record(
        action="contracts.customer.suspended",
        actor=actor,
        customer=locked,
        target=suspension,
        clause=Clause(ground),
        request=request,
        extra={"note": note},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.SUSPENSION,
        clause=Clause(ground),
        subject=suspension,
        context={"suspension": suspension, "lifted": False},
        actor=actor,
    )
    customer.refresh_from_db()
    return suspension


@transaction.atomic
def customer_unsuspend(
    *, customer: Customer, actor: User, note: str, request: HttpRequest | None = None
) -> Suspension:
    """Lifts the suspension: the customer returns to active, or to its scheduled
    cancellation if notice was given meanwhile."""
    _require_staff(actor)
    locked = _lock_customer(customer)
    suspension = Suspension.objects.filter(customer=locked, lifted_at__isnull=True).first()
    if locked.status != S.SUSPENDED or suspension is None:
        raise ValidationError(_("This company is not suspended."), code="not_suspended")
    now = timezone.now()
    suspension.lifted_at = now
    suspension.lifted_by = actor
    suspension.lift_note = note
    suspension.full_clean()
    suspension.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    scheduled = locked.cancellation_effective_at is not None
    _set_status(locked, S.CANCELLATION_SCHEDULED if scheduled else S.ACTIVE, now)
    audit_record(
        action="contracts.customer.unsuspended",
        actor=actor,
        customer=locked,
        target=suspension,
        clause=Clause.ART12_1,
        request=request,
        extra={"note": note},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.SUSPENSION,
        clause=Clause.ART12_1,
        subject=suspension,
        period="lifted",
        context={"suspension": suspension, "lifted": True},
        actor=actor,
    )
    customer.refresh_from_db()
    return suspension


# --- revocation (Art. 12(1), (2), (5)) --------------------------------------------------------


@transaction.atomic
def customer_revoke(
    *,
    customer: Customer,
    actor: User,
    ground: str,
    note: str,
    request: HttpRequest | None = None,
) -> Revocation:
    """Revokes the registration on a ground of Art. 12(1)(1)–(7): access ends (sessions and
    API tokens), every rental ends, every unpaid charge falls due at once (Art. 12(2)) and
    the return checklist opens (Art. 12(5)). A scheduled cancellation is superseded."""
    _require_staff(actor)
    _check_ground(ground)
    locked = _lock_customer(customer)
    if locked.status not in (S.ACTIVE, S.SUSPENDED, S.CANCELLATION_SCHEDULED):
        raise ValidationError(
            _("This company's registration cannot be revoked (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_revocable",
        )
    now = timezone.now()
    Suspension.objects.filter(customer=locked, lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=actor, lift_note="Superseded by revocation."
    )
    Cancellation.objects.filter(customer=locked, state=Cancellation.State.SCHEDULED).update(
        state=Cancellation.State.WITHDRAWN,
        withdrawn_at=now,
        withdrawn_by=actor,
        note="Superseded by revocation.",
    )
    rentals_ended = _rentals_end_for_customers(
        customer_ids=[locked.pk], actor=actor, clause=ground
    )[locked.pk]
    balance = _balance_accelerate(customer=locked, actor=actor)
    revocation = Revocation(
        customer=locked,
        ground=ground,
        note=note,
        revoked_at=now,
        revoked_by=actor,
        balance_due=balance,
        rentals_ended=rentals_ended,
    )
    revocation.full_clean()
    revocation.save()
    locked.cancellation_effective_at = None
    locked.inactivity_escalated_at = None
    _set_status(locked, S.REVOKED, now, "cancellation_effective_at", "inactivity_escalated_at")
    _end_access(customer_ids=[locked.pk], disable_logins=False)
    items = _open_return_checklists(
        customers=[locked], reason=ReturnChecklist.Reason.REVOCATION, now=now
    ).get(locked.pk, [])
    audit_record(
        action="contracts.customer.revoked",
        actor=actor,
        customer=locked,
        target=revocation,
        clause=Clause(ground),
        request=request,
        extra={"note": note, "balance_due": balance, "rentals_ended": rentals_ended},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.REVOCATION,
        clause=Clause(ground),
        subject=revocation,
        context={"revocation": revocation, "return_items": items},
        actor=actor,
    )
    customer.refresh_from_db()
    return revocation


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
        recipients=_provider_recipients(),
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
    locked = _lock_customer(customer)
    if locked.status not in (S.ACTIVE, S.SUSPENDED):
        if locked.status == S.CANCELLATION_SCHEDULED:
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
    _set_status(locked, status, now, "cancellation_effective_at")
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
    *, cancellation: Cancellation, actor: User, request: HttpRequest | None = None
) -> Cancellation:
    """Withdraws a notice of cancellation: only the side that gave it, and only before it
    takes effect."""
    locked_customer = _lock_customer(cancellation.customer)
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
    _set_status(locked_customer, status, now, "cancellation_effective_at")
    audit_record(
        action="contracts.cancellation.withdrawn",
        actor=actor,
        customer=locked_customer,
        target=locked,
        clause=Clause.ART12_3,
        request=request,
        extra={"side": side},
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


@dataclass(frozen=True)
class JobResult:
    """What a job run changed: the number of rows acted on and notices created."""

    changed: int
    notices: int


@transaction.atomic
def cancellation_reminders_send_due(*, now: datetime | None = None) -> JobResult:
    """Art. 12(3): 7 days before a cancellation takes effect, a reminder to the customer,
    when the notice was given further ahead than that."""
    now = now or timezone.now()
    due = list(
        Cancellation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer")
        .filter(
            state=Cancellation.State.SCHEDULED,
            reminded_at__isnull=True,
            effective_at__gt=now,
            effective_at__lte=now + CANCELLATION_NOTICE,
            given_at__lt=models.F("effective_at") - CANCELLATION_NOTICE,
        )
    )
    if not due:
        return JobResult(0, 0)
    Cancellation.objects.filter(pk__in=[c.pk for c in due]).update(reminded_at=now)
    created = notices_create_many(
        kind=Notice.Kind.CANCELLATION_REMINDER,
        clause=Clause.ART12_3,
        items=[
            NoticeItem(customer=c.customer, subject=c, context={"cancellation": c}) for c in due
        ],
    )
    _audit_many(
        action="contracts.cancellation.reminded",
        clause=Clause.ART12_3,
        rows=[(c.customer_id, c, {"effective_at": c.effective_at.isoformat()}) for c in due],
    )
    return JobResult(len(due), len(created))


@transaction.atomic
def cancellations_apply_due(*, now: datetime | None = None) -> JobResult:
    """Art. 12(3), 10(6), 12(5): on the effective date every rental ends, the members'
    sessions end and their logins are disabled, the video data's deletion is recorded, the
    return checklist opens, and the customer is told (cancellation_applied)."""
    now = now or timezone.now()
    due = list(
        Cancellation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer")
        .filter(state=Cancellation.State.SCHEDULED, effective_at__lte=now)
        .order_by("effective_at", "pk")
    )
    if not due:
        return JobResult(0, 0)
    customers = [c.customer for c in due]
    ended = _rentals_end_for_customers(
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
    items = _open_return_checklists(
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
    _end_access(customer_ids=[c.pk for c in customers], disable_logins=True)
    _audit_many(
        action="contracts.cancellation.applied",
        clause=Clause.ART12_3,
        rows=[(c.customer_id, c, {"rentals_ended": c.rentals_ended}) for c in due],
    )
    _audit_many(
        action="contracts.video_data.deleted",
        clause=Clause.ART10_6,
        rows=[(c.customer_id, c, {"deleted_at": now.isoformat()}) for c in due],
    )
    return JobResult(len(due), len(created))


# --- inactivity (Art. 12(1)(5)) ---------------------------------------------------------------


def inactivity_cutoff(today: date) -> datetime:
    """The instant before which a last use makes a customer inactive on ``today``: no use
    for three calendar months means last use on a day D with D + 3 months ≤ today (in
    Asia/Tokyo). Because D ↦ D + 3 months is monotonic, those days are a prefix: this is
    the start of the first day that is not in it."""
    last = add_months(today, -3)
    while add_months(last + timedelta(days=1), 3) <= today:
        last += timedelta(days=1)
    return start_of_day(last + timedelta(days=1))


def _last_use() -> Greatest:
    # A company that never signed in counts from its registration; an answer to the
    # contact ("we are still using it") restarts the three months.
    return Greatest(
        Coalesce("last_activity_at", "created_at"),
        Coalesce("inactivity_answered_at", "created_at"),
        Coalesce("status_changed_at", "created_at"),
    )


def inactivity_token(customer: Customer) -> str:
    """The signed value of the one-click "we are still using it" link of one contact."""
    contacted = customer.inactivity_contacted_at
    return signing.dumps(
        {"c": customer.pk, "t": contacted.isoformat() if contacted else ""},
        salt="contracts.inactivity",
    )


def inactivity_confirm_url(customer: Customer) -> str:
    return settings.SITE_URL + reverse(
        "lifecycle:inactivity_confirm", args=[inactivity_token(customer)]
    )


def inactivity_customer_for_token(token: str) -> Customer | None:
    """The customer whose current contact the token answers, or None (bad, expired, or
    from an earlier contact)."""
    max_age = timedelta(days=settings.INACTIVITY_REPLY_DAYS + 365)
    try:
        data = signing.loads(token, salt="contracts.inactivity", max_age=max_age)
    except signing.BadSignature:
        return None
    customer = Customer.objects.filter(pk=data.get("c")).first()
    if customer is None or customer.inactivity_contacted_at is None:
        return None
    if customer.inactivity_contacted_at.isoformat() != data.get("t"):
        return None
    return customer


@transaction.atomic
def inactivity_answer(*, token: str, request: HttpRequest | None = None) -> Customer:
    """The customer answers the inactivity contact: the flag is cleared, the customer leaves
    the revocation queue, and the three months start again."""
    customer = inactivity_customer_for_token(token)
    if customer is None:
        raise ValidationError(_("This link is no longer valid."), code="invalid_link")
    locked = _lock_customer(customer)
    if locked.inactivity_contacted_at is None:
        return locked
    now = timezone.now()
    extra = {"contacted_at": locked.inactivity_contacted_at.isoformat()}
    locked.inactivity_answered_at = now
    locked.inactivity_contacted_at = None
    locked.inactivity_escalated_at = None
    locked.save(
        update_fields=[
            "inactivity_answered_at",
            "inactivity_contacted_at",
            "inactivity_escalated_at",
            "updated_at",
        ]
    )
    audit_record(
        action="contracts.inactivity.answered",
        customer=locked,
        target=locked,
        clause=Clause.ART12_1_5,
        request=request,
        actor_label="customer (signed link)",
        extra=extra,
    )
    return locked


def inactivity_flag_active() -> Q:
    """Contacted and not used since (any use after the contact clears the flag)."""
    return Q(inactivity_contacted_at__isnull=False) & (
        Q(last_activity_at__isnull=True)
        | Q(last_activity_at__lte=models.F("inactivity_contacted_at"))
    )


@transaction.atomic
def customers_flag_inactive(*, now: datetime | None = None) -> JobResult:
    """Daily (Art. 12(1)(5)): clears the flag of customers who used the service since the
    contact, then flags active customers with no use for three calendar months and sends
    each the inactivity_contact notice with a signed "we are still using it" link. Never
    revokes."""
    now = now or timezone.now()
    Customer.objects.filter(inactivity_contacted_at__isnull=False).exclude(
        inactivity_flag_active()
    ).update(inactivity_contacted_at=None, inactivity_escalated_at=None)
    cutoff = inactivity_cutoff(local_date(now))
    due = list(
        Customer.objects.select_for_update(skip_locked=True)
        .annotate(last_use=_last_use())
        .filter(status=S.ACTIVE, inactivity_contacted_at__isnull=True, last_use__lt=cutoff)
        .order_by("pk")
    )
    if not due:
        return JobResult(0, 0)
    Customer.objects.filter(pk__in=[c.pk for c in due]).update(inactivity_contacted_at=now)
    reply_by = now + timedelta(days=settings.INACTIVITY_REPLY_DAYS)
    for customer in due:
        customer.inactivity_contacted_at = now
    created = notices_create_many(
        kind=Notice.Kind.INACTIVITY_CONTACT,
        clause=Clause.ART12_1_5,
        items=[
            NoticeItem(
                customer=c,
                period=now.isoformat(),
                context={
                    "last_use": c.last_use,
                    "reply_by": reply_by,
                    "confirm_url": inactivity_confirm_url(c),
                },
            )
            for c in due
        ],
    )
    _audit_many(
        action="contracts.inactivity.contacted",
        clause=Clause.ART12_1_5,
        rows=[(c.pk, c, {"last_use": c.last_use.isoformat()}) for c in due],
    )
    return JobResult(len(due), len(created))


@transaction.atomic
def inactivity_escalate_unanswered(*, now: datetime | None = None) -> JobResult:
    """Daily: a contact left unanswered (no answer, no use) for INACTIVITY_REPLY_DAYS puts
    the customer on staff's revocation queue. Staff decide; nothing is revoked here."""
    now = now or timezone.now()
    deadline = now - timedelta(days=settings.INACTIVITY_REPLY_DAYS)
    due = list(
        Customer.objects.select_for_update(skip_locked=True)
        .filter(inactivity_flag_active())
        .filter(
            status=S.ACTIVE,
            inactivity_escalated_at__isnull=True,
            inactivity_contacted_at__lte=deadline,
        )
        .order_by("pk")
    )
    if not due:
        return JobResult(0, 0)
    Customer.objects.filter(pk__in=[c.pk for c in due]).update(inactivity_escalated_at=now)
    _audit_many(
        action="contracts.inactivity.escalated",
        clause=Clause.ART12_1_5,
        rows=[
            (c.pk, c, {"contacted_at": c.inactivity_contacted_at.isoformat()})  # type: ignore[union-attr]
            for c in due
        ],
    )
    return JobResult(len(due), 0)


def revocation_queue() -> models.QuerySet[Customer]:
    """Customers staff should consider revoking on ground Art. 12(1)(5)."""
    return Customer.objects.filter(inactivity_flag_active()).filter(
        inactivity_escalated_at__isnull=False, status=S.ACTIVE
    )
