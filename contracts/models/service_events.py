"""Events of the service itself (Art. 8): interruptions for maintenance or outages
(Art. 8(1)) and the end of the service or of a product line with 30 days' notice (Art. 8(2)).
Written by ``contracts.services.service_events``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from accounts.models import Customer
from cameras.models import Product

from .measures import Measure

# Art. 8(2): the provider may end the service with 30 days' notice.
SERVICE_END_NOTICE = timedelta(days=30)

# Art. 8(1)(1)–(5): the reasons for which the provider may interrupt the service.
INTERRUPTION_REASONS = [
    Clause.ART8_1_1,
    Clause.ART8_1_2,
    Clause.ART8_1_3,
    Clause.ART8_1_4,
    Clause.ART8_1_5,
]
INTERRUPTION_REASON_CHOICES = [(c.value, c.label) for c in INTERRUPTION_REASONS]


# The catalogue's product lines (Art. 3 and its annex).
ProductCategory = Product.Category


class ServiceInterruption(models.Model):
    """A maintenance window or outage (Art. 8(1)). A planned one is notified before it
    starts; an emergency one may start at once and is notified as it starts."""

    class Scope(models.TextChoices):
        ALL = "all", _("The whole service")
        CATEGORY = "category", _("One product category")
        CUSTOMERS = "customers", _("Named customers")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    category = models.CharField(
        _("product category"), max_length=32, choices=ProductCategory.choices, blank=True
    )
    customers = models.ManyToManyField(
        Customer, blank=True, related_name="+", verbose_name=_("customers affected")
    )
    reason = models.CharField(_("reason"), max_length=32, choices=INTERRUPTION_REASON_CHOICES)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), db_index=True)
    emergency = models.BooleanField(
        _("emergency"),
        default=False,
        help_text=_("Art. 8(1) proviso: may start without prior notice; notified as it starts."),
    )
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("service interruption")
        verbose_name_plural = _("service interruptions")
        ordering = ["-starts_at"]
        permissions = [
            (
                Measure.SCHEDULE_INTERRUPTION.codename,
                _("Can schedule service interruptions (Art. 8(1))"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="interruption_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(scope="category", category__gt="") | (~Q(scope="category")),
                name="interruption_category_scope_has_category",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ServiceEnd(models.Model):
    """The end of the whole service or of a product line, announced at least 30 days ahead
    (Art. 8(2))."""

    class Scope(models.TextChoices):
        ALL = "all", _("The whole service")
        CATEGORY = "category", _("One product line")

    class State(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        APPLIED = "applied", _("Applied")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    category = models.CharField(
        _("product line"), max_length=32, choices=ProductCategory.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    announced_at = models.DateTimeField(_("announced"), default=timezone.now)
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("announced by"),
    )
    effective_at = models.DateTimeField(_("takes effect"), db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.ANNOUNCED, db_index=True
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    rentals_ended = models.PositiveIntegerField(_("rentals ended"), default=0)

    class Meta:
        verbose_name = _("service end")
        verbose_name_plural = _("service ends")
        ordering = ["-effective_at"]
        permissions = [
            (
                Measure.ANNOUNCE_SERVICE_END.codename,
                _("Can announce the end of the service or of a product line (Art. 8(2))"),
            )
        ]
        constraints = [
            # Art. 8(2): at least 30 days' notice.
            models.CheckConstraint(
                condition=Q(effective_at__gte=F("announced_at") + SERVICE_END_NOTICE),
                name="serviceend_thirty_days_notice",
            ),
            models.CheckConstraint(
                condition=Q(scope="category", category__gt="") | Q(scope="all", category=""),
                name="serviceend_scope_category",
            ),
            models.CheckConstraint(
                condition=~Q(state="applied") | Q(applied_at__isnull=False),
                name="serviceend_applied_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reminder_at(self) -> datetime:
        """When 30 days remain: the reminder is due then (if announced further ahead)."""
        return self.effective_at - SERVICE_END_NOTICE
