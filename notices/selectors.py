"""Reads of the notices app, always scoped to the customer given."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.models import Customer, User
from accounts.selectors import get_for_customer

from .models import Notice, NoticeRead

# The notices page keeps apart what the provider tells the company (Art. 16), the security
# e-mails addressed to one person, and the invitations the company sent to colleagues.
PERSONAL_SECURITY_KINDS = (Notice.Kind.SECURITY_ALERT, Notice.Kind.CREDENTIALS_COMPROMISED)
INVITATION_KINDS = (Notice.Kind.MEMBER_INVITATION,)
NOTICE_SECTIONS = ("company", "security", "invitations")


def _visible_to(queryset: models.QuerySet[Notice], user: User) -> models.QuerySet[Notice]:
    """Security e-mails are personal: only the person they were addressed to sees them."""
    return queryset.exclude(
        Q(kind__in=PERSONAL_SECURITY_KINDS) & ~Q(recipients__contains=[user.email])
    )


def notice_list(*, customer: Customer, user: User | None = None) -> models.QuerySet[Notice]:
    """The customer's notices, newest first. With ``user``: those that person may see (not a
    colleague's security e-mail), with ``is_read`` for them (each person has their own unread
    marker). Without: every notice of the customer (staff, exports). The bodies are deferred:
    a list never needs them."""
    queryset = Notice.objects.filter(customer=customer).defer("body_text", "body_html")
    if user is not None:
        queryset = _visible_to(queryset, user).annotate(
            is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user))
        )
    return queryset.order_by("-created_at", "-id")


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
