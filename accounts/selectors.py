"""Reads of the accounts app. Every customer-facing read is scoped by the member's
customer; an object of another customer is a 404, never a 403 or the object."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404

from .models import AuditEntry, Customer, Invitation, Membership, User

M = TypeVar("M", bound=models.Model)


def membership_get(*, user: User | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("customer").get(user=user)
    except Membership.DoesNotExist:
        return None


def customer_of(*, user: User) -> Customer | None:
    """The company ``user`` acts for, if any (Art. 6(1): one company per person)."""
    return Customer.objects.filter(memberships__user=user).first()


def get_for_customer(*, customer: Customer, queryset: models.QuerySet[M], pk: object) -> M:
    """The object ``pk`` of ``queryset`` if it belongs to ``customer``; 404 otherwise."""
    try:
        return queryset.get(customer=customer, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def member_list(*, customer: Customer) -> models.QuerySet[Membership]:
    """The company's members, owner first, each annotated with ``has_mfa`` (a TOTP app or a
    security key; recovery codes alone do not count)."""
    from allauth.mfa.models import Authenticator

    with_mfa = Authenticator.objects.filter(
        user_id=OuterRef("user_id"),
        type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
    )
    return (
        Membership.objects.filter(customer=customer)
        .select_related("user")
        .annotate(has_mfa=Exists(with_mfa))
        .order_by("-role", "user__email")
    )


def member_get(*, customer: Customer, pk: object) -> Membership:
    return get_for_customer(
        customer=customer, queryset=Membership.objects.select_related("user"), pk=pk
    )


def invitation_list_open(*, customer: Customer) -> models.QuerySet[Invitation]:
    """Invitations not yet accepted or withdrawn (expired ones included, marked by date)."""
    return Invitation.objects.filter(
        customer=customer, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_get(*, customer: Customer, pk: object) -> Invitation:
    return get_for_customer(customer=customer, queryset=Invitation.objects.all(), pk=pk)


def user_session_list(*, user: User) -> list[Any]:
    """The user's live sessions (ended ones are purged on the way), newest activity first."""
    from allauth.usersessions.models import UserSession

    sessions = UserSession.objects.purge_and_list(user)
    return sorted(sessions, key=lambda s: s.last_seen_at, reverse=True)


def audit_list(*, customer: Customer) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(customer=customer).select_related("actor")
