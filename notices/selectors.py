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


def notice_get(*, customer: Customer, pk: object) -> Notice:
    """The customer's notice ``pk``; another customer's notice is a 404."""
    return get_for_customer(customer=customer, queryset=Notice.objects.all(), pk=pk)


def notice_history_for_export(*, customer: Customer) -> models.QuerySet[Notice]:
    """Every notice of the customer, oldest first, for the staff CSV (evidence in a dispute)."""
    return Notice.objects.filter(customer=customer).order_by("created_at", "id")
