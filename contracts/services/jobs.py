"""What the scheduler's set-based services share (the lifecycle jobs of Art. 12 and the
service events of Art. 8): the result a job run reports, and the audit of many rows in one
INSERT."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.audit import SCHEDULER
from accounts.models import AuditEntry, User


@dataclass(frozen=True)
class JobResult:
    """What a job run changed: the number of rows acted on and notices created."""

    changed: int
    notices: int


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
