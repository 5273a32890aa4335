"""Reads of the notices app, always scoped to the customer given."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef

from accounts.models import Customer, User
from accounts.selectors import get_for_customer

from .models import Notice, NoticeRead


def notice_list(*, customer: Customer, user: User | None = None) -> models.QuerySet[Notice]:
    """The customer's notices, newest first, with ``is_read`` for ``user`` (each person has
    their own unread marker). The bodies are deferred: a list never needs them."""
    queryset = Notice.objects.filter(customer=customer).defer("body_text", "body_html")
    if user is not None:
        queryset = queryset.annotate(
            is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user))
        )
    return queryset.order_by("-created_at", "-id")


# The notices page keeps apart what the provider tells the company (Art. 16), the security
# e-mails addressed to one person, and the invitations the company sent to colleagues.
PERSONAL_SECURITY_KINDS = (Notice.Kind.SECURITY_ALERT, Notice.Kind.CREDENTIALS_COMPROMISED)
INVITATION_KINDS = (Notice.Kind.MEMBER_INVITATION,)
NOTICE_SECTIONS = ("company", "security", "invitations")


def notice_list_section(*, customer: Customer, user: User, section: str) -> models.QuerySet[Notice]:
    """One section of the notices page. Security e-mails are personal: a member sees those
    addressed to them, not a colleague's."""
    queryset = notice_list(customer=customer, user=user)
    if section == "security":
        return queryset.filter(kind__in=PERSONAL_SECURITY_KINDS, recipients__contains=[user.email])
    if section == "invitations":
        return queryset.filter(kind__in=INVITATION_KINDS)
    return queryset.exclude(kind__in=(*PERSONAL_SECURITY_KINDS, *INVITATION_KINDS))


def notice_get(*, customer: Customer, pk: object) -> Notice:
    """The customer's notice ``pk``; another customer's notice is a 404."""
    return get_for_customer(customer=customer, queryset=Notice.objects.all(), pk=pk)


def notice_history_for_export(*, customer: Customer) -> models.QuerySet[Notice]:
    """Every notice of the customer, oldest first, for the staff CSV (evidence in a dispute)."""
    return Notice.objects.filter(customer=customer).order_by("created_at", "id")
