"""Reads of the notices app, always scoped to the customer given."""

from __future__ import annotations

import json

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Customer, User
from accounts.selectors import get_for_customer

from .models import PROVIDER_COPY, Notice, NoticeRead

# The notices page keeps apart what the provider tells the company (Art. 16), the security
# e-mails addressed to one person, and the invitations the company sent to colleagues.
PERSONAL_SECURITY_KINDS = (Notice.Kind.SECURITY_ALERT, Notice.Kind.CREDENTIALS_COMPROMISED)
INVITATION_KINDS = (Notice.Kind.MEMBER_INVITATION,)
NOTICE_SECTIONS = ("company", "security", "invitations")


def _addressed_to(user: User) -> Q:
    """Notices whose recipients include ``user``'s address: JSON containment where the
    database has it (PostgreSQL), else the address as it stands, quoted, in the stored list
    (SQLite, ``make run``)."""
    if connection.features.supports_json_field_contains:
        return Q(recipients__contains=[user.email])
    return Q(recipients__icontains=json.dumps(user.email))


def _visible_to(queryset: models.QuerySet[Notice], user: User) -> models.QuerySet[Notice]:
    """Security e-mails are personal: only the person they were addressed to sees them. The
    provider's own copies are the provider's."""
    return queryset.exclude(Q(kind__in=PERSONAL_SECURITY_KINDS) & ~_addressed_to(user)).exclude(
        period__endswith=PROVIDER_COPY
    )


def notice_list(*, customer: Customer, user: User) -> models.QuerySet[Notice]:
    """The customer's notices that ``user`` may see (not a colleague's security e-mail),
    newest first, with ``is_read`` for them (each person has their own unread marker). The
    bodies are deferred: a list never needs them. Staff read every notice through
    ``notice_history_for_export``."""
    queryset = Notice.objects.filter(customer=customer).defer("body_text", "body_html")
    return (
        _visible_to(queryset, user)
        .annotate(is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user)))
        .order_by("-created_at", "-id")
    )


def notice_list_section(*, customer: Customer, user: User, section: str) -> models.QuerySet[Notice]:
    """One section of the notices page. Security e-mails are personal: a member sees those
    addressed to them, not a colleague's."""
    queryset = notice_list(customer=customer, user=user)
    if section == "security":
        return queryset.filter(kind__in=PERSONAL_SECURITY_KINDS)
    if section == "invitations":
        return queryset.filter(kind__in=INVITATION_KINDS)
    return queryset.exclude(kind__in=(*PERSONAL_SECURITY_KINDS, *INVITATION_KINDS))


def notice_get(*, customer: Customer, user: User, pk: object) -> Notice:
    """The customer's notice ``pk`` as ``user`` may see it; another customer's notice, or a
    colleague's security e-mail, is a 404."""
    return get_for_customer(
        customer=customer, queryset=_visible_to(Notice.objects.all(), user), pk=pk
    )


def notice_history_for_export(*, customer: Customer) -> models.QuerySet[Notice]:
    """Every notice of the customer, oldest first, for the staff CSV (evidence in a dispute)."""
    return Notice.objects.filter(customer=customer).order_by("created_at", "id")
