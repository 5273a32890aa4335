"""What the scheduler's set-based services share (the lifecycle jobs of Art. 12 and the
service events of Art. 8): the result a job run reports, the audit of many rows in one
INSERT, the chunked run of a job over its due rows in Python, and the run of a job as one
statement in which the database locks, changes, audits and notifies the due rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import SCHEDULER, client_ip
from accounts.models import AuditEntry, User
from notices.services import NoticesSql, Sql, select_without_jit


@dataclass(frozen=True)
class JobResult:
    """What a job run changed: the number of rows acted on and notices created."""

    changed: int
    notices: int


# Due rows a job run in Python (``job_run_in_chunks``: every job on SQLite, ``make run``)
# acts on per transaction. Bounds its memory whatever the backlog (a
# catch-up after downtime included); up to this many due rows it runs a fixed number of
# queries, and each further chunk costs one more round of them. The jobs run as one
# statement (``job_run_in_sql``) have neither chunks nor rows in Python.
CHUNK_SIZE = 2000

M = TypeVar("M", bound=models.Model)


def job_run_in_chunks(
    *,
    due: Callable[[], models.QuerySet[M]],
    act: Callable[[list[M]], JobResult],
    order: tuple[str, ...] = ("pk",),
) -> JobResult:
    """Runs ``act`` on the rows ``due()`` selects (locked with ``FOR UPDATE SKIP LOCKED``),
    CHUNK_SIZE at a time in the ``order`` of the given fields (unique together, the last one
    the primary key), each chunk in its own transaction: a chunk is done completely or not at
    all, and whatever a crash leaves undone is still due at the next run. Each chunk starts
    after the last row of the one before (keyset), so a backlog is read once, not once per
    chunk; a row skipped because another run holds it is that run's. ``act`` must make its
    rows no longer due (so a repeated or concurrent run does not act twice)."""
    changed = notices = 0
    after: M | None = None
    while True:
        with transaction.atomic():
            rows_qs = due().order_by(*order)
            if after is not None:
                rows_qs = rows_qs.filter(_after(after, order))
            # One row beyond the chunk tells whether another chunk follows, without a query.
            rows = list(rows_qs[: CHUNK_SIZE + 1])
            if not rows:
                break
            chunk = rows[:CHUNK_SIZE]
            result = act(chunk)
        changed += result.changed
        notices += result.notices
        if len(rows) <= CHUNK_SIZE:
            break
        after = chunk[-1]
    return JobResult(changed, notices)


def _after(row: models.Model, order: tuple[str, ...]) -> Q:
    """Rows after ``row`` in the order of the fields ``order`` (a row-value comparison)."""
    condition = Q()
    for index, field in enumerate(order):
        equal = {name: getattr(row, name) for name in order[:index]}
        condition |= Q(**equal, **{f"{field}__gt": getattr(row, field)})
    return condition


def audit_entry(
    *,
    action: str,
    actor: User | None,
    customer_id: int | None,
    target: models.Model,
    clause: str,
    extra: dict[str, Any],
    request: HttpRequest | None = None,
) -> AuditEntry:
    """An audit entry built like ``audit_record`` writes it, for a bulk insert."""
    return AuditEntry(
        action=action,
        actor=actor,
        actor_label=actor.email if actor is not None else SCHEDULER,
        customer_id=customer_id,
        clause=clause,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        extra=extra,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:300],
    )


def audit_many(
    *,
    action: str,
    clause: str,
    rows: Iterable[tuple[int | None, models.Model, dict[str, Any]]],
    actor: User | None = None,
) -> None:
    """One audit entry per (customer id, target, extra), in one INSERT: the set-based jobs'
    counterpart of ``audit_record``."""
    AuditEntry.objects.bulk_create(
        [
            audit_entry(
                action=action,
                actor=actor,
                customer_id=customer_id,
                target=target,
                clause=clause,
                extra=extra,
            )
            for customer_id, target, extra in rows
        ]
    )


# --- jobs done by the database ------------------------------------------------------------------
# On PostgreSQL a job is one statement: the due rows are locked (``FOR UPDATE SKIP LOCKED``),
# changed, audited and notified by data-modifying CTEs, so Python never holds them and the
# job's queries and memory are the same whatever the number of due rows (a catch-up after
# downtime included). The statement is one transaction: done wholly or not at all.


def sql_isoformat(expression: str) -> str:
    """``datetime.isoformat()`` of a ``timestamptz`` as Django reads it (in UTC), in SQL:
    ``2026-11-30T03:00:00+00:00``, with ``.ffffff`` only when there are microseconds."""
    utc = f"(({expression}) AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN"
        f" extract(microseconds FROM {utc})::bigint %% 1000000 <> 0"
        f" THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
    )


def audit_insert_sql(
    *,
    action: str,
    clause: str,
    target_type: type[models.Model],
    target_repr: str,
    extra: str,
) -> Sql:
    """``audit_many`` as an ``INSERT ... SELECT`` of one entry per row that ``job_run_in_sql``
    changed (its CTE ``changed``, aliased ``s``, with ``customer_id`` and ``target_id``): the
    target's ``str()`` and the JSON ``extra`` are SQL expressions over the row. The actor is
    the scheduler."""
    return Sql(
        f"INSERT INTO {AuditEntry._meta.db_table} (created_at, actor_label, customer_id,"  # noqa: S608
        " action, target_type_id, target_id, target_repr, clause, user_agent, extra)"
        f" SELECT %s, %s, s.customer_id, %s, %s, s.target_id::text, left({target_repr}, 300),"
        f" %s, '', {extra} FROM changed s",
        timezone.now(),
        SCHEDULER,
        action,
        ContentType.objects.get_for_model(target_type).pk,
        clause,
    )


def in_sql() -> bool:
    """Whether the database runs a job as one statement (``job_run_in_sql``,
    ``notices_insert``: data-modifying CTEs, ``sha256()``, ``to_char``): PostgreSQL. Elsewhere
    (SQLite, ``make run``) a job runs in Python, a chunk at a time (``job_run_in_chunks``)."""
    return connection.vendor == "postgresql"


# How ``change`` finds the due rows: their primary keys as one array, looked up by index
# whatever the planner guesses of their number (a join on ``due`` would hash the whole table
# when it guesses many, and scan ``due`` once per row when it guesses few).
JOIN_DUE = "WHERE t.id = ANY(ARRAY(SELECT pk FROM due))"


def job_run_in_sql(
    *,
    due: Callable[[], models.QuerySet[Any]],
    change: Sql,
    ctes: dict[str, Sql] | None = None,
    audits: Iterable[Sql] = (),
    notices: NoticesSql | None = None,
) -> JobResult:
    """Runs a job as one statement: ``WITH due AS (<due()>), changed AS (<change>), <each
    audit>, <notices> SELECT ...``. ``due()`` selects the due rows' ids (``.values("pk")``), locked
    ``FOR UPDATE SKIP LOCKED`` (a row held by a concurrent run is that run's); ``change``
    updates them (``UPDATE <table> t SET ... <JOIN_DUE>``) and returns what the audits and
    the notices read
    from ``changed``; the notices fragment is ``notices_insert_sql`` over ``changed``.
    ``ctes`` are further named steps between ``changed`` and the audits (other rows changed
    or written for the rows of ``changed``; a step may read those before it, the notices
    any of them).
    ``change`` must make its rows no longer due, so a repeated run finds nothing. The delivery
    of the notices created is queued for after the commit."""
    with transaction.atomic(), connection.cursor() as cursor:
        due_sql, due_params = due().query.sql_with_params()
        sql = Sql(f"WITH due AS ({due_sql}), changed AS (", *due_params).extend(change).add(")")
        for name, cte in (ctes or {}).items():
            sql.add(f", {name} AS (").extend(cte).add(")")
        for index, audit in enumerate(audits):
            sql.add(f", audit{index} AS (").extend(audit).add(")")
        if notices is not None:
            sql.add(", notices AS (").extend(notices).add(" RETURNING 1)")
        sql.add(" SELECT (SELECT count(*) FROM changed), ")
        sql.add("(SELECT count(*) FROM notices)" if notices is not None else "0")
        changed, created = select_without_jit(cursor, sql)
    if created and notices is not None:
        notices.queue_delivery()
    return JobResult(changed, created)
