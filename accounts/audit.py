"""The audit log: who did what, when, to what, and on which clause of the terms. Every app
writes it through ``audit_record``; nothing changes an entry afterwards. Also the one place
that decides a request's client address."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from .clauses import Clause
from .models import AuditEntry, Customer, User

SCHEDULER = "scheduler"


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client, the same for the audit log, allauth's rate limits and
    sessions (``security.adapters``), axes (AXES_CLIENT_IP_CALLABLE) and the
    credential-sharing signal. Behind TRUSTED_PROXY_COUNT proxies (the TLS proxy in front of
    gunicorn appends the address it saw to X-Forwarded-For), the client is the entry that
    many places from the right; without trusted proxies the header is ignored, since anyone
    can send it."""
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Fewer hops than proxies: the request bypassed one; the nearest entry is the best.
        candidate = hops[-proxies] if len(hops) >= proxies else (hops[0] if hops else "")
        address = _clean_ip(candidate)
        if address:
            return address
    return _clean_ip(request.META.get("REMOTE_ADDR", ""))


def _clean_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        # "203.0.113.7:51234": an IPv4 address with a port.
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


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
