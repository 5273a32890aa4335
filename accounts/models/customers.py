"""The tenant (Customer, 甲 in the terms) and the memberships of its people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .company import (
    address_field,
    company_constraints,
    company_name_field,
    company_name_kana_field,
    corporate_number_field,
    phone_field,
    postal_code_field,
)


class Customer(models.Model):
    """The tenant: a company that applies for and rents equipment (甲)."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLATION_SCHEDULED = "cancellation_scheduled", _("Cancellation scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        REVOKED = "revoked", _("Revoked")

    # The registration has ended (Art. 12): no company data, no new members, no answers.
    ENDED_STATUSES = (Status.CANCELLED, Status.REVOKED)

    class Language(models.TextChoices):
        JA = "ja", "日本語"
        EN = "en", "English"

    name = company_name_field()
    name_kana = company_name_kana_field()
    corporate_number = corporate_number_field()
    postal_code = postal_code_field(_("postal code"))
    address = address_field(_("address"))
    phone = phone_field()
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.APPLICANT
    )
    language = models.CharField(
        _("language for notices"), max_length=2, choices=Language.choices, default=Language.JA
    )
    # When the status last changed (the date shown to a cancelled or revoked company), and,
    # while a cancellation is scheduled, the moment it takes effect (Art. 12(3)). Written only
    # by the lifecycle services together with the status.
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    cancellation_effective_at = models.DateTimeField(
        _("cancellation takes effect"), null=True, blank=True
    )
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # Art. 12(1)(5): when the provider contacted the company after three months without use,
    # when the company answered that it still uses the service, and when an unanswered
    # contact was put on staff's revocation queue. A use after the contact clears the flag
    # (last_activity_at later than inactivity_contacted_at); the daily job tidies the fields.
    inactivity_contacted_at = models.DateTimeField(
        _("contacted for inactivity"), null=True, blank=True
    )
    inactivity_answered_at = models.DateTimeField(
        _("answered the inactivity contact"), null=True, blank=True
    )
    inactivity_escalated_at = models.DateTimeField(
        _("on the revocation queue since"), null=True, blank=True
    )
    # Art. 6(1): the owner may require two-factor authentication of every member.
    mfa_required = models.BooleanField(
        _("two-factor authentication required"),
        default=False,
        help_text=_("Members without two-factor authentication are sent to set it up."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            *company_constraints("customer"),
        ]
        # The few companies contacted for inactivity (Art. 12(1)(5)): the daily jobs' clearing
        # and escalation and staff's revocation queue find them without reading every company.
        indexes = [
            models.Index(
                fields=["inactivity_contacted_at"],
                condition=Q(inactivity_contacted_at__isnull=False),
                name="customer_contacted",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active_customer(self) -> bool:
        return self.status in {
            self.Status.ACTIVE,
            self.Status.CANCELLATION_SCHEDULED,
        }

    @property
    def has_ended(self) -> bool:
        """Cancelled or revoked: the company's data is no longer shown (Art. 12)."""
        return self.status in self.ENDED_STATUSES


class Membership(models.Model):
    """Links a person to the company they act for, with a role.

    A user belongs to at most one customer (one-to-one), and each customer has exactly one
    owner: at most one by the partial unique constraint, at least one by a deferred
    PostgreSQL constraint trigger (migration 0002) checked at commit."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("customer")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(role="owner"), name="membership_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER
