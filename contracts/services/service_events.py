"""Events of the service itself (Art. 8): interruptions for maintenance or outages
(Art. 8(1)) and the end of the service or of a product line with 30 days' notice (Art. 8(2)).

Notices go to every affected customer in a fixed number of queries (``notices_create_many``)
and exactly once (the notices' dedupe key); the scheduler's functions take ``now`` and do
everything due up to it, so a run after downtime catches up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, User
from accounts.sessions import shared_fact
from cameras.models import Product
from notices.models import Notice
from notices.services import (
    NOTICE_CHUNK,
    NoticeItem,
    Sql,
    notices_create_many,
    notices_insert,
    notices_insert_sql,
)

from ..models import (
    INTERRUPTION_REASON_CHOICES,
    SERVICE_END_NOTICE,
    Measure,
    Rental,
    ServiceEnd,
    ServiceInterruption,
)
from . import jobs, rental_ends
from .jobs import JobResult, audit_many
from .lifecycle_common import require_measure

S = Customer.Status
# Customers who still use the service and so are affected by its events.
LIVE_STATES = (S.ACTIVE, S.SUSPENDED, S.CANCELLATION_SCHEDULED)

# --- rentals (contracts.services.rentals, cameras.models.Product) -----------------------------
# The one place each of the rental feature's interfaces is called from.


def _customer_ids_renting(category: str) -> models.QuerySet[Customer]:
    """Customers with a live rental of a product of ``category``."""
    return Customer.objects.filter(
        pk__in=Rental.objects.filter(
            state__in=Rental.LIVE_STATES, product__category=category
        ).values("customer_id")
    )


def _rentals_end_for_category(*, category: str | None, actor: User | None) -> int:
    """Ends the rentals of every product of ``category`` (None: every product), with their
    deletion records (Art. 10(6)); the units await return."""
    products = Product.objects.all()
    if category:
        products = products.filter(category=category)
    return rental_ends.rentals_end_for_products(
        product_ids=list(products.values_list("pk", flat=True)),
        actor=actor,
        clause=Clause.ART8_2,
    )


# --- interruptions (Art. 8(1)) ----------------------------------------------------------------


def interruption_affected_customers(
    interruption: ServiceInterruption,
) -> models.QuerySet[Customer]:
    customers = Customer.objects.filter(status__in=LIVE_STATES)
    if interruption.scope == ServiceInterruption.Scope.CATEGORY:
        return customers.filter(pk__in=_customer_ids_renting(interruption.category).values("pk"))
    if interruption.scope == ServiceInterruption.Scope.CUSTOMERS:
        return customers.filter(
            pk__in=interruption.customers.through.objects.filter(
                serviceinterruption_id=interruption.pk
            ).values("customer_id")
        )
    return customers


def _interruption_notify(interruption: ServiceInterruption, *, actor: User | None) -> int:
    now = timezone.now()
    ServiceInterruption.objects.filter(pk=interruption.pk).update(notified_at=now)
    interruption.notified_at = now
    transaction.on_commit(lambda: cache.delete(CURRENT_INTERRUPTIONS_KEY))
    affected = interruption_affected_customers(interruption)
    if jobs.in_sql():
        # One INSERT ... SELECT: the customers are never read into Python.
        return notices_insert(
            notices_insert_sql(
                kind=Notice.Kind.SERVICE_INTERRUPTION,
                clause=Clause(interruption.reason),
                source=_notice_source(affected, subject_id=str(interruption.pk), period=""),
                context={"interruption": interruption},
                subject_type=ContentType.objects.get_for_model(interruption),
                actor=actor,
                now=now,
            )
        )
    return notices_create_many(
        kind=Notice.Kind.SERVICE_INTERRUPTION,
        clause=Clause(interruption.reason),
        items=(
            NoticeItem(customer=c, subject=interruption, context={"interruption": interruption})
            for c in affected.order_by("pk").iterator(chunk_size=NOTICE_CHUNK)
        ),
        actor=actor,
    )


def _notice_source(customers: models.QuerySet[Customer], *, subject_id: str, period: str) -> Sql:
    """The customers as the source of ``notices_insert``: one row per customer with the
    notice's subject id and period."""
    customers_sql, params = customers.values("pk").query.sql_with_params()
    return Sql(
        "(SELECT a.pk AS customer_id, %s::text AS subject_id, %s::text AS period"  # noqa: S608
        f" FROM ({customers_sql}) a)",
        subject_id,
        period,
        *params,
    )


def interruption_validate(
    *,
    scope: str,
    reason: str,
    starts_at: datetime,
    emergency: bool,
    customers: list[Customer],
    category: str = "",
    now: datetime | None = None,
) -> None:
    """The rules of Art. 8(1) for a new interruption (the admin form shows them too)."""
    now = now or timezone.now()
    # A category or customers the scope does not use would be dropped silently, and the
    # notices go out to whoever the scope reaches (the whole service, say).
    unused: dict[str, str] = {}
    if category and scope != ServiceInterruption.Scope.CATEGORY:
        unused["category"] = _(
            "Leave the product category empty unless the scope is a product category."
        )
    if customers and scope != ServiceInterruption.Scope.CUSTOMERS:
        unused["customers"] = _(
            "Leave the customers empty unless the scope is the customers named."
        )
    if unused:
        raise ValidationError(unused, code="unused_by_scope")
    if reason not in dict(INTERRUPTION_REASON_CHOICES):
        raise ValidationError(_("Choose a reason of Art. 8(1)(1)–(5)."), code="invalid_reason")
    if not emergency and starts_at <= now:
        raise ValidationError(
            _("A planned interruption must start in the future; mark it as an emergency."),
            code="planned_in_past",
        )
    if scope == ServiceInterruption.Scope.CUSTOMERS and not customers:
        raise ValidationError(_("Name the customers affected."), code="no_customers")


@transaction.atomic
def interruption_schedule(
    *,
    actor: User,
    scope: str,
    reason: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    emergency: bool = False,
    category: str = "",
    customers: Iterable[Customer] = (),
    description: str = "",
    request: HttpRequest | None = None,
) -> ServiceInterruption:
    """Records a maintenance window or outage (Art. 8(1)) with its reason (1)–(5). A planned
    one must start in the future and is notified now, before it starts; an emergency one may
    start at once (Art. 8(1) proviso) and is notified when it starts."""
    require_measure(actor, Measure.SCHEDULE_INTERRUPTION)
    now = timezone.now()
    customers = list(customers)
    interruption_validate(
        scope=scope,
        reason=reason,
        starts_at=starts_at,
        emergency=emergency,
        customers=customers,
        category=category,
        now=now,
    )
    interruption = ServiceInterruption(
        scope=scope,
        category=category,
        reason=reason,
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        emergency=emergency,
        created_by=actor,
        created_at=now,
    )
    interruption.full_clean()
    interruption.save()
    if scope == ServiceInterruption.Scope.CUSTOMERS:
        interruption.customers.set(customers)
    notified = 0
    if not emergency or starts_at <= now:
        notified = _interruption_notify(interruption, actor=actor)
    audit_record(
        action="contracts.interruption.scheduled",
        actor=actor,
        target=interruption,
        clause=Clause(reason),
        request=request,
        extra={
            "scope": scope,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "emergency": emergency,
            "notices": notified,
        },
    )
    return interruption


@transaction.atomic
def interruptions_notify_due(*, now: datetime | None = None) -> JobResult:
    """Every few minutes: notifies the interruptions not yet notified whose time has come
    (an emergency scheduled ahead notifies as it starts)."""
    now = now or timezone.now()
    due = list(
        ServiceInterruption.objects.select_for_update(skip_locked=True)
        .filter(notified_at__isnull=True)
        .filter(Q(emergency=False) | Q(starts_at__lte=now))
        .order_by("starts_at", "pk")
    )
    notices = 0
    for interruption in due:
        notices += _interruption_notify(interruption, actor=None)
    return JobResult(len(due), notices)


CURRENT_INTERRUPTIONS_KEY = "lifecycle:current-interruptions"


def _current_interruptions(
    now: datetime, request: HttpRequest | None = None
) -> list[tuple[ServiceInterruption, set[int]]]:
    """The notified interruptions not yet over, each with its named customers' ids. Read by
    every customer page (the banner), so kept in the cache for a minute and dropped
    whenever an interruption is notified: no query at all on most requests, and no round
    trip either when read with the request's session (``accounts.sessions``)."""
    cached = shared_fact(request, CURRENT_INTERRUPTIONS_KEY)
    if cached is None:
        cached = cache.get(CURRENT_INTERRUPTIONS_KEY)
    if cached is None:
        rows = list(
            ServiceInterruption.objects.filter(notified_at__isnull=False, ends_at__gt=now)
            .prefetch_related("customers")
            .order_by("starts_at", "pk")
        )
        cached = [(i, {c.pk for c in i.customers.all()}) for i in rows]
        cache.set(CURRENT_INTERRUPTIONS_KEY, cached, timeout=60)
    return [(i, named) for i, named in cached if i.ends_at > now]


def interruptions_for_customer(
    *, customer: Customer, now: datetime | None = None, request: HttpRequest | None = None
) -> list[ServiceInterruption]:
    """The notified interruptions affecting ``customer`` that have not ended (the banner)."""
    now = now or timezone.now()
    result = []
    for interruption, named in _current_interruptions(now, request):
        if interruption.scope == ServiceInterruption.Scope.CUSTOMERS:
            affected = customer.pk in named
        elif interruption.scope == ServiceInterruption.Scope.CATEGORY:
            affected = _customer_ids_renting(interruption.category).filter(pk=customer.pk).exists()
        else:
            affected = True
        if affected:
            result.append(interruption)
    return result


# --- service end (Art. 8(2)) ------------------------------------------------------------------


def service_end_affected_customers(service_end: ServiceEnd) -> models.QuerySet[Customer]:
    customers = Customer.objects.filter(status__in=LIVE_STATES)
    if service_end.scope == ServiceEnd.Scope.CATEGORY:
        return customers.filter(pk__in=_customer_ids_renting(service_end.category).values("pk"))
    return customers


def _not_yet_notified(
    customers: models.QuerySet[Customer], *, kind: str, subject: models.Model, period: str
) -> models.QuerySet[Customer]:
    sent = Notice.objects.filter(
        customer_id=OuterRef("pk"),
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        period=period,
    )
    return customers.exclude(Exists(sent))


def _service_end_notify(service_end: ServiceEnd, *, period: str, actor: User | None) -> int:
    customers = _not_yet_notified(
        service_end_affected_customers(service_end),
        kind=Notice.Kind.SERVICE_END,
        subject=service_end,
        period=period,
    )
    context = {"service_end": service_end, "reminder": period == "reminder"}
    if jobs.in_sql():
        return notices_insert(
            notices_insert_sql(
                kind=Notice.Kind.SERVICE_END,
                clause=Clause.ART8_2,
                source=_notice_source(customers, subject_id=str(service_end.pk), period=period),
                context=context,
                subject_type=ContentType.objects.get_for_model(service_end),
                actor=actor,
                now=timezone.now(),
            )
        )
    return notices_create_many(
        kind=Notice.Kind.SERVICE_END,
        clause=Clause.ART8_2,
        items=(
            NoticeItem(customer=c, subject=service_end, period=period, context=context)
            for c in customers.order_by("pk").iterator(chunk_size=NOTICE_CHUNK)
        ),
        actor=actor,
    )


def service_end_validate(*, effective_at: datetime, now: datetime | None = None) -> None:
    """Art. 8(2): the end is at least 30 days after the notice."""
    now = now or timezone.now()
    if effective_at < now + SERVICE_END_NOTICE:
        raise ValidationError(
            _("The service can end only 30 days or more after the notice (Art. 8(2))."),
            code="notice_too_short",
        )


@transaction.atomic
def service_end_announce(
    *,
    actor: User,
    scope: str,
    title: str,
    effective_at: datetime,
    category: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> ServiceEnd:
    """Announces the end of the whole service or of a product line (Art. 8(2)). The date
    must be at least 30 days after this notice; every affected customer is told now."""
    require_measure(actor, Measure.ANNOUNCE_SERVICE_END)
    now = timezone.now()
    service_end_validate(effective_at=effective_at, now=now)
    service_end = ServiceEnd(
        scope=scope,
        category=category if scope == ServiceEnd.Scope.CATEGORY else "",
        title=title,
        note=note,
        announced_at=now,
        announced_by=actor,
        effective_at=effective_at,
    )
    service_end.full_clean()
    service_end.save()
    notices = _service_end_notify(service_end, period="", actor=actor)
    audit_record(
        action="contracts.service_end.announced",
        actor=actor,
        target=service_end,
        clause=Clause.ART8_2,
        request=request,
        extra={"effective_at": effective_at.isoformat(), "scope": scope, "notices": notices},
    )
    return service_end


@transaction.atomic
def service_end_notices_send_due(*, now: datetime | None = None) -> JobResult:
    """Daily: every customer affected by an announced service end has its notice (those who
    became affected after the announcement too), and, when the end was announced more than
    30 days ahead, a reminder once 30 days remain."""
    now = now or timezone.now()
    pending = list(
        ServiceEnd.objects.select_for_update(skip_locked=True)
        .filter(state=ServiceEnd.State.ANNOUNCED, effective_at__gt=now)
        .order_by("effective_at", "pk")
    )
    notices = changed = 0
    for service_end in pending:
        sent = _service_end_notify(service_end, period="", actor=None)
        announced_early = service_end.announced_at < service_end.reminder_at
        if announced_early and now >= service_end.reminder_at:
            sent += _service_end_notify(service_end, period="reminder", actor=None)
        # What changed is the service ends someone was told of in this run: a run with
        # nothing left to send reports nothing, as every other job does.
        changed += 1 if sent else 0
        notices += sent
    return JobResult(changed, notices)


@transaction.atomic
def service_ends_apply_due(*, now: datetime | None = None) -> JobResult:
    """On the effective date the rentals of the ended service or product line end (with the
    deletion records and unit returns of the rental feature), and its products leave the
    catalogue (``Product.active`` off: no new request; staff may offer one again)."""
    now = now or timezone.now()
    due = list(
        ServiceEnd.objects.select_for_update(skip_locked=True)
        .filter(state=ServiceEnd.State.ANNOUNCED, effective_at__lte=now)
        .order_by("effective_at", "pk")
    )
    withdrawn: dict[int, int] = {}
    for service_end in due:
        service_end.rentals_ended = _rentals_end_for_category(
            category=service_end.category or None, actor=None
        )
        offered = Product.objects.filter(active=True)
        if service_end.category:
            offered = offered.filter(category=service_end.category)
        withdrawn[service_end.pk] = offered.update(active=False)
        service_end.state = ServiceEnd.State.APPLIED
        service_end.applied_at = now
        service_end.save(update_fields=["rentals_ended", "state", "applied_at"])
    audit_many(
        action="contracts.service_end.applied",
        clause=Clause.ART8_2,
        rows=[
            (None, s, {"rentals_ended": s.rentals_ended, "products_withdrawn": withdrawn[s.pk]})
            for s in due
        ],
    )
    return JobResult(len(due), 0)
