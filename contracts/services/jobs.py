"""What the scheduler's set-based services share (the lifecycle jobs of Art. 12 and the
service events of Art. 8): the result a job run reports, and the audit of many rows in one
INSERT, and the chunked run of a job over its due rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from accounts.audit import SCHEDULER
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
    *, due: Callable[[], models.QuerySet[M]], act: Callable[[list[M]], JobResult]
) -> JobResult:
    """Runs ``act`` on the rows ``due()`` selects (locked with ``FOR UPDATE SKIP LOCKED``),
    CHUNK_SIZE at a time, each chunk in its own transaction: a chunk is done completely or
    not at all, and whatever a crash leaves undone is still due at the next run. ``act``
    must make its rows no longer due (that ends the loop, and keeps a repeated or concurrent
    run from acting twice)."""
    changed = notices = 0
    while True:
        with transaction.atomic():
            # One row beyond the chunk tells whether another chunk follows, without a query.
            rows = list(due()[: CHUNK_SIZE + 1])
            if not rows:
                break
            result = act(rows[:CHUNK_SIZE])
        changed += result.changed
        notices += result.notices
        if len(rows) <= CHUNK_SIZE:
            break
    return JobResult(changed, notices)


def audit_many(
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
