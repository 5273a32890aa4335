"""The end of rentals with the deletion records of their video data (Art. 10(6)): the locked
end every end goes through (``rental_operations.rental_end`` ends one rental with it), and the
set-wise ends that the customer's lifecycle (revocation, cancellation), the end of the service
or of a product line (Art. 8(2)) and the daily job of scheduled ends need: a fixed number of
queries whatever the number of rentals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.audit import SCHEDULER
from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from cameras.models import Product
from notices.services import Sql

from ..models import (
    Rental,
    VideoDeletionRecord,
)
from . import jobs
from .jobs import audit_entry
from .records import (
    video_records_mark_deleted_for_rentals,
    video_records_mark_deleted_sql,
)


def end_locked(
    rentals: list[Rental],
    *,
    actor: User | None,
    clause: Clause,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Ends the given locked live rentals in a fixed number of queries: one update, one
    insert of the cloud deletion records (Art. 10(6)), one insert of the audit entries."""
    if not rentals:
        return 0
    if actor is not None and not actor.is_authenticated:
        actor = None
    now = timezone.now()
    Rental.objects.filter(pk__in=[r.pk for r in rentals]).update(
        state=Rental.State.ENDED,
        ended_at=now,
        end_clause=clause,
        end_reason=reason,
        updated_at=now,
    )
    label = actor.email if actor is not None else SCHEDULER
    VideoDeletionRecord.objects.bulk_create(
        [
            VideoDeletionRecord(
                customer_id=r.customer_id,
                rental=r,
                storage=VideoDeletionRecord.Storage.CLOUD,
                deleted_at=now,
                actor=actor,
                actor_label=label,
                clause=Clause.ART10_6,
            )
            for r in rentals
        ]
    )
    video_records_mark_deleted_for_rentals(rental_ids=[r.pk for r in rentals], at=now)
    entries = []
    for r in rentals:
        for action, basis, extra in (
            ("contracts.rental.ended", clause, {"ended_at": now.isoformat(), "reason": reason}),
            ("contracts.video.deleted", Clause.ART10_6, {"storage": "cloud"}),
        ):
            entries.append(
                audit_entry(
                    action=action,
                    actor=actor,
                    customer_id=r.customer_id,
                    target=r,
                    clause=basis,
                    extra=extra,
                    request=request,
                )
            )
    AuditEntry.objects.bulk_create(entries)
    return len(rentals)


def _end_pending_requests(
    requests: list[Rental], *, actor: User | None, clause: Clause, reason: str
) -> None:
    """Requests not yet decided are declined when the customer or the service ends."""
    if not requests:
        return
    now = timezone.now()
    text = reason or str(gettext_lazy("The registration or the service ended."))
    Rental.objects.filter(pk__in=[r.pk for r in requests]).update(
        state=Rental.State.REJECTED,
        decided_at=now,
        decided_by=actor,
        rejection_reason=text,
        updated_at=now,
    )
    AuditEntry.objects.bulk_create(
        [
            audit_entry(
                action="contracts.rental.rejected",
                actor=actor,
                customer_id=r.customer_id,
                target=r,
                clause=clause,
                extra={"reason": text},
            )
            for r in requests
        ]
    )


def end_set(
    queryset: models.QuerySet[Rental], *, actor: User | None, clause: Clause, reason: str
) -> int:
    """Ends the live rentals ``queryset`` selects (and declines its undecided requests),
    locked, with their deletion records and audit entries; returns how many live rentals
    ended. On PostgreSQL one statement, with no rental in Python (a whole service's end may
    end every rental there is); elsewhere the rentals are read and ended in a fixed number of
    queries."""
    clause = Clause(clause)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if jobs.in_sql():
        return _end_set_in_sql(queryset, actor=actor, clause=clause, reason=reason)
    locked = list(
        queryset.filter(state__in=[*Rental.LIVE_STATES, Rental.State.REQUESTED])
        .select_for_update()
        .select_related("product")
        .order_by("pk")
    )
    live = [r for r in locked if r.state != Rental.State.REQUESTED]
    _end_pending_requests(
        [r for r in locked if r.state == Rental.State.REQUESTED],
        actor=actor,
        clause=clause,
        reason=reason,
    )
    return end_locked(live, actor=actor, clause=clause, reason=reason)


def _end_set_in_sql(
    queryset: models.QuerySet[Rental], *, actor: User | None, clause: Clause, reason: str
) -> int:
    """``end_set`` as one statement: what ``end_locked`` and ``_end_pending_requests`` write,
    row for row (``tests/contracts/test_cancellations_in_sql.py`` compares the two)."""
    now = timezone.now()
    label = actor.email if actor is not None else SCHEDULER
    actor_id = actor.pk if actor is not None else None
    declined = reason or str(gettext_lazy("The registration or the service ended."))
    due = (
        queryset.filter(state__in=[*Rental.LIVE_STATES, Rental.State.REQUESTED])
        .select_for_update(of=("self",))
        .order_by("pk")
        .values("pk", "state")
    )
    try:
        due_sql, due_params = due.query.sql_with_params()
    except EmptyResultSet:  # e.g. the rentals of no product at all
        return 0
    rental = Rental._meta.db_table
    product = Product._meta.db_table
    rental_type = ContentType.objects.get_for_model(Rental).pk
    # str(rental): "#<id> <model code> × <quantity> (<site>)".
    returning = (
        " RETURNING t.id, t.customer_id,"
        " left('#' || t.id || ' ' || p.model_code || ' × ' || t.quantity || ' ('"
        " || t.site_name || ')', 300) AS repr"
    )
    audit = (
        f"SELECT %s::timestamptz, %s::bigint, %s, customer_id, %s, {rental_type}, id::text,"  # noqa: S608
        " repr, %s, '', {extra} FROM {rows}"
    )
    sql = Sql(f"WITH due AS ({due_sql}), ", *due_params)
    sql.add(
        f"ended AS (UPDATE {rental} t SET state = %s, ended_at = %s, end_clause = %s,"  # noqa: S608
        f" end_reason = %s, updated_at = %s FROM {product} p"
        " WHERE t.id = ANY(ARRAY(SELECT pk FROM due WHERE state <> %s))"
        f" AND p.id = t.product_id{returning}), ",
        Rental.State.ENDED,
        now,
        clause,
        reason,
        now,
        Rental.State.REQUESTED,
    )
    sql.add(
        f"declined AS (UPDATE {rental} t SET state = %s, decided_at = %s, decided_by_id = %s,"  # noqa: S608
        f" rejection_reason = %s, updated_at = %s FROM {product} p"
        " WHERE t.id = ANY(ARRAY(SELECT pk FROM due WHERE state = %s))"
        f" AND p.id = t.product_id{returning}), ",
        Rental.State.REJECTED,
        now,
        actor_id,
        declined,
        now,
        Rental.State.REQUESTED,
    )
    sql.add(
        f"deletions AS (INSERT INTO {VideoDeletionRecord._meta.db_table}"  # noqa: S608
        " (customer_id, rental_id, storage, deleted_at, actor_id, actor_label, clause)"
        " SELECT customer_id, id, %s, %s, %s, %s, %s FROM ended), ",
        VideoDeletionRecord.Storage.CLOUD,
        now,
        actor_id,
        label,
        Clause.ART10_6,
    )
    sql.extend(video_records_mark_deleted_sql(rentals="ended", at=now)).add(", ")
    sql.add(
        f"audits AS (INSERT INTO {AuditEntry._meta.db_table} (created_at, actor_id,"
        " actor_label, customer_id, action, target_type_id, target_id, target_repr, clause,"
        " user_agent, extra) "
    )
    for action, basis, extra, rows, params in (
        (
            "contracts.rental.ended",
            clause,
            "jsonb_build_object('ended_at', %s::text, 'reason', %s::text)",
            "ended",
            [now.isoformat(), reason],
        ),
        (
            "contracts.video.deleted",
            Clause.ART10_6,
            "jsonb_build_object('storage', 'cloud')",
            "ended",
            [],
        ),
        (
            "contracts.rental.rejected",
            clause,
            "jsonb_build_object('reason', %s::text)",
            "declined",
            [declined],
        ),
    ):
        if action != "contracts.rental.ended":
            sql.add(" UNION ALL ")
        sql.add(audit.format(extra=extra, rows=rows), now, actor_id, label, action, basis, *params)
    sql.add(") SELECT count(*) FROM ended")
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        (ended,) = cursor.fetchone()
    return int(ended)


@transaction.atomic
def rentals_end_for_customer(
    *, customer: Customer, actor: User | None, clause: Clause, reason: str = ""
) -> int:
    """Ends every live rental of ``customer`` (its cancellation, Art. 12(3), or revocation,
    Art. 12(1)), recording the deletion of each rental's cloud video data (Art. 10(6)).
    Assigned units stay on their rentals awaiting return (``units_to_return``); requests not
    yet decided are declined. Returns how many live rentals ended. A fixed number of queries
    whatever the count."""
    return end_set(
        Rental.objects.filter(customer=customer), actor=actor, clause=clause, reason=reason
    )


@transaction.atomic
def rentals_end_for_customers(
    *,
    customer_ids: Iterable[int] | models.QuerySet[Any],
    actor: User | None,
    clause: Clause,
    reason: str = "",
) -> int:
    """``rentals_end_for_customer`` for many customers at once (the scheduler applying the
    cancellations due, Art. 12(3)), given by their ids or by a query selecting them: a fixed
    number of queries whatever their number."""
    if not isinstance(customer_ids, models.QuerySet):
        customer_ids = list(customer_ids)
    return end_set(
        Rental.objects.filter(customer_id__in=customer_ids),
        actor=actor,
        clause=clause,
        reason=reason,
    )


@transaction.atomic
def rentals_end_for_products(
    *, product_ids: Iterable[int], actor: User | None, clause: Clause, reason: str = ""
) -> int:
    """The same as ``rentals_end_for_customer`` for every live rental of these products,
    whoever the customer (the end of that service, Art. 8(2))."""
    return end_set(
        Rental.objects.filter(product_id__in=list(product_ids)),
        actor=actor,
        clause=clause,
        reason=reason,
    )


@transaction.atomic
def rentals_end_scheduled(*, today: date | None = None) -> int:
    """The beat job: ends every rental whose scheduled end (``ends_on``) is today or earlier,
    with its cloud video data deletion (Art. 10(6)). It runs late in the evening (Asia/Tokyo)
    so that the end day is the last day charged. Set-based and idempotent."""
    today = today or timezone.localdate()
    return end_set(
        Rental.objects.filter(state=Rental.State.ENDING, ends_on__lte=today),
        actor=None,
        clause=Clause.ART3,
        reason=str(gettext_lazy("Scheduled end of the rental.")),
    )
