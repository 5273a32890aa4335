"""Reads of the accounts app. Every customer-facing read is scoped by the member's
customer; an object of another customer is a 404, never a 403 or the object."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from .models import AuditEntry, Customer, Membership, User

M = TypeVar("M", bound=models.Model)


def membership_get(*, user: User | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("customer").get(user=user)
    except Membership.DoesNotExist:
        return None


def get_for_customer(*, customer: Customer, queryset: models.QuerySet[M], pk: object) -> M:
    """The object ``pk`` of ``queryset`` if it belongs to ``customer``; 404 otherwise."""
    try:
        return queryset.get(customer=customer, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def member_list(*, customer: Customer) -> models.QuerySet[Membership]:
    return (
        Membership.objects.filter(customer=customer)
        .select_related("user")
        .order_by("-role", "user__email")
    )


def audit_list(*, customer: Customer) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(customer=customer).select_related("actor")
