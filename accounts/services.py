"""Writes of the accounts app. Every state change of the portal goes through a service
function; this module also holds ``audit_record``, which every app uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEntry, Customer, Membership, User

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
    clause: str = "",
    request: HttpRequest | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends one audit entry. ``action`` is a dotted name (``accounts.customer.suspended``),
    ``clause`` the article it rests on (``art12.1.5``); ``actor`` None means the system, named
    by ``actor_label`` (for example "scheduler")."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_label=actor.email if actor is not None else (actor_label or SCHEDULER),
        customer=customer,
        clause=clause,
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


ACTIVITY_RESOLUTION = timedelta(minutes=15)


def customer_touch_activity(*, user: User) -> None:
    """Records that the user's company used the portal now. Art. 12(1)(5) counts three
    months without use, so a resolution of a quarter hour is plenty: at most one write per
    user per quarter hour and no query at all in between, whatever the traffic."""
    key = f"user-activity:{user.pk}"
    if not cache.add(key, 1, timeout=int(ACTIVITY_RESOLUTION.total_seconds())):
        return
    Customer.objects.filter(memberships__user=user).update(last_activity_at=timezone.now())


@transaction.atomic
def customer_create_with_owner(
    *, owner: User, name: str, actor: User | None = None, **fields: Any
) -> Customer:
    """Creates a customer (status applicant unless given) with ``owner`` as its owner."""
    customer = Customer(name=name, **fields)
    customer.full_clean()
    customer.save()
    membership = Membership(user=owner, customer=customer, role=Membership.Role.OWNER)
    membership.full_clean()
    membership.save()
    audit_record(
        action="accounts.customer.created",
        actor=actor or owner,
        customer=customer,
        target=customer,
        clause="art4.1",
    )
    return customer


# --- API tokens: stored hashed (django-rest-knox), shown once, revocable ----------------------


def api_token_list(*, user: User) -> models.QuerySet[Any]:
    from knox.models import AuthToken

    return AuthToken.objects.filter(user=user).order_by("-created")


@transaction.atomic
def api_token_create(*, user: User, days: int, request: HttpRequest | None = None) -> str:
    """Creates a token valid for ``days`` and returns its secret, which is never stored
    and cannot be shown again."""
    from knox.models import AuthToken

    if not 1 <= days <= 365:
        raise ValueError("days must be between 1 and 365")
    token, secret = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    audit_record(
        action="accounts.api_token.created",
        actor=user,
        customer=_customer_of(user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token.token_key, "days": days},
    )
    return secret


@transaction.atomic
def api_token_revoke(*, user: User, token_key: str, request: HttpRequest | None = None) -> None:
    """Revokes one of the user's own tokens; another user's key is a 404."""
    from django.http import Http404
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise Http404
    audit_record(
        action="accounts.api_token.revoked",
        actor=user,
        customer=_customer_of(user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token_key},
    )


def _customer_of(user: User) -> Customer | None:
    return Customer.objects.filter(memberships__user=user).first()
