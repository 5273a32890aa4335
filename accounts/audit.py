"""The audit log: who did what, when, to what, and on which clause of the terms. Every app
writes it through ``audit_record``; nothing changes an entry afterwards. Also the one place
that decides a request's client address."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from .clauses import Clause
from .models import AuditEntry, Customer, User

SCHEDULER = "scheduler"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    actor_label: str = "",
    customer: Customer | None = None,
    target: models.Model | None = None,
    clause: Clause | None = None,
    request: HttpRequest | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends one audit entry. ``action`` is a dotted name (``accounts.customer.suspended``),
    ``clause`` the article it rests on (``Clause.ART12_1_5``); ``actor`` None means the
    system, named by ``actor_label`` (for example "scheduler")."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_label=actor.email if actor is not None else (actor_label or SCHEDULER),
        customer=customer,
        clause=clause or "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        extra=extra or {},
    )
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target)
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:300]
    entry.full_clean()
    entry.save()
    return entry
