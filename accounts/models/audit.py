"""The audit log: who did what, when, to what, on which clause. Written by
``accounts.audit.audit_record``; never changed afterwards."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause

from .customers import Customer


class AuditEntry(models.Model):
    """Who did what, when, to what, and on which clause of the terms. Written only through
    ``accounts.audit.audit_record``; never changed afterwards."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # Indexed only where set (Meta): the scheduler's many entries have no actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    # Kept even if the user is deleted later, and names non-human actors ("scheduler").
    actor_label = models.CharField(_("actor label"), max_length=254, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("customer"),
        # (customer, -created_at) in Meta serves every lookup by customer.
        db_index=False,
    )
    # Indexed in Meta (a plain index: the admin filters on equality, and its search is a
    # case-insensitive LIKE that a pattern index would not serve).
    action = models.CharField(_("action"), max_length=100)
    target_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target type"),
        # Never looked up by type alone; content types are not deleted.
        db_index=False,
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=300, blank=True)
    clause = models.CharField(
        _("clause basis"),
        max_length=32,
        blank=True,
        choices=Clause.choices,
        help_text=_("e.g. art12.1.5"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        # Each index is paid for by every entry a job writes in bulk: only those a query uses.
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="audit_actor_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} {self.action}"
