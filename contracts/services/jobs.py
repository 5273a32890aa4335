"""What the scheduler's set-based services share (the lifecycle jobs of Art. 12 and the
service events of Art. 8): the result a job run reports, and the audit of many rows in one
INSERT, and the chunked run of a job over its due rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest

from accounts.audit import SCHEDULER, client_ip
from accounts.models import AuditEntry, User


@dataclass(frozen=True)
class JobResult:
    """What a job run changed: the number of rows acted on and notices created."""

    changed: int
    notices: int


# Due rows a job acts on per transaction. Bounds a job's memory whatever the backlog (a
# catch-up after downtime included); up to this many due rows a job runs a fixed number of
# queries, and each further chunk costs one more round of them.
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
