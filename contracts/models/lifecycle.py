"""The customer's lifecycle after registration and the provider's remedies (Art. 10(6), 12):
suspension and revocation on the grounds of Art. 12(1), cancellation with 7 days' notice
(Art. 12(3)) and the return checklist of Art. 12(5). Service interruptions and ends (Art. 8)
are in ``service_events``.

Each row is the record of one measure; the customer's ``status`` (and
``status_changed_at`` / ``cancellation_effective_at``) are written together with it by
``contracts.services.standing``, ``cancellations`` and ``inactivity``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from accounts.models import Customer

from .measures import Measure

# Art. 12(3): either side may cancel the registration with 7 days' notice.
CANCELLATION_NOTICE = timedelta(days=7)

# Art. 12(1)(1)–(7): the grounds on which the provider may suspend or revoke without notice.
PROVIDER_GROUNDS = [
    Clause.ART12_1_1,
    Clause.ART12_1_2,
    Clause.ART12_1_3,
    Clause.ART12_1_4,
    Clause.ART12_1_5,
    Clause.ART12_1_6,
    Clause.ART12_1_7,
]
PROVIDER_GROUND_CHOICES = [(c.value, c.label) for c in PROVIDER_GROUNDS]


class Suspension(models.Model):
    """A suspension of the customer by the provider (Art. 12(1)); reversible. Its ground
    brings every debt due at once all the same (Art. 12(2)): ``balance_due`` is the total
    stated in the notice, which lifting the suspension does not put back."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="suspensions", verbose_name=_("customer")
    )
    ground = models.CharField(_("ground"), max_length=32, choices=PROVIDER_GROUND_CHOICES)
    note = models.TextField(_("note"))
    started_at = models.DateTimeField(_("suspended"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_note = models.TextField(_("note on lifting"), blank=True)
    balance_due = models.PositiveIntegerField(_("balance due (yen)"), default=0)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["-started_at"]
        permissions = [
            (
                Measure.SUSPEND.codename,
                _("Can suspend customers and lift their suspension (Art. 12(1))"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(lifted_at__isnull=True),
                name="suspension_one_open_per_customer",
            ),
            # Lifted by a member of staff, who is named; or ended with the registration by
            # the scheduler (a cancellation applied), which says so in the note.
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_by__isnull=False) | ~Q(lift_note=""),
                name="suspension_lifted_has_actor",
            ),
        ]

    def __str__(self) -> str:
        # In the reader's language: the admin's title, breadcrumb and inline rows show it.
        return f"{self.customer} ({Clause.label_for(self.ground, get_language() or 'en')})"


class Revocation(models.Model):
    """The revocation of the customer's registration (Art. 12(1)); final. Every debt falls
    due at once (Art. 12(2)): ``balance_due`` is the total stated in the notice."""

    customer = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="revocation", verbose_name=_("customer")
    )
    ground = models.CharField(_("ground"), max_length=32, choices=PROVIDER_GROUND_CHOICES)
    note = models.TextField(_("note"))
    revoked_at = models.DateTimeField(_("revoked"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    balance_due = models.PositiveIntegerField(_("balance due (yen)"), default=0)
    rentals_ended = models.PositiveIntegerField(_("rentals ended"), default=0)

    class Meta:
        verbose_name = _("revocation")
        verbose_name_plural = _("revocations")
        ordering = ["-revoked_at"]
        permissions = [
            (Measure.REVOKE.codename, _("Can revoke customers' registrations (Art. 12(1))"))
        ]

    def __str__(self) -> str:
        # In the reader's language: the admin's title, breadcrumb and inline rows show it.
        return f"{self.customer} ({Clause.label_for(self.ground, get_language() or 'en')})"


class Cancellation(models.Model):
    """Notice of cancellation of the registration by either side (Art. 12(3)), taking effect
    no sooner than 7 days after it was given."""

    class Side(models.TextChoices):
        CUSTOMER = "customer", _("The customer")
        PROVIDER = "provider", _("The provider")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        APPLIED = "applied", _("Applied")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="cancellations",
        verbose_name=_("customer"),
    )
    side = models.CharField(_("given by side"), max_length=16, choices=Side.choices)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("given by"),
    )
    given_at = models.DateTimeField(_("notice given"), default=timezone.now)
    effective_at = models.DateTimeField(_("takes effect"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SCHEDULED, db_index=True
    )
    # Set when the 7-day reminder was created (only for notice given further ahead).
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    # Art. 10(6): the video data is deleted when the registration ends.
    video_data_deleted_at = models.DateTimeField(_("video data deleted"), null=True, blank=True)
    rentals_ended = models.PositiveIntegerField(_("rentals ended"), default=0)

    class Meta:
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")
        ordering = ["-given_at"]
        permissions = [
            (
                Measure.CANCEL_FOR_PROVIDER.codename,
                _("Can give and withdraw the provider's notice of cancellation (Art. 12(3))"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(state="scheduled"),
                name="cancellation_one_scheduled_per_customer",
            ),
            # Art. 12(3): at least 7 days' notice.
            models.CheckConstraint(
                condition=Q(effective_at__gte=F("given_at") + CANCELLATION_NOTICE),
                name="cancellation_seven_days_notice",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn")
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="cancellation_withdrawn_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="applied") | Q(applied_at__isnull=False),
                name="cancellation_applied_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {timezone.localtime(self.effective_at):%Y-%m-%d}"


class ReturnChecklist(models.Model):
    """What the customer must return, or destroy, once the registration ends (Art. 12(5)):
    the rented units and the software, manuals and other things provided."""

    class Reason(models.TextChoices):
        CANCELLATION = "cancellation", _("Cancellation (Art. 12(3))")
        REVOCATION = "revocation", _("Revocation (Art. 12(1))")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="return_checklists",
        verbose_name=_("customer"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("return checklist")
        verbose_name_plural = _("return checklists")
        ordering = ["-opened_at"]
        permissions = [
            (
                Measure.RECORD_RETURNS.codename,
                _("Can record the software and manuals returned or destroyed (Art. 12(5))"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(closed_at__isnull=True),
                name="returnchecklist_one_open_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} ({self.get_reason_display()})"


class ReturnItem(models.Model):
    class Kind(models.TextChoices):
        UNIT = "unit", _("Rented unit")
        SOFTWARE = "software", _("Software")
        MANUAL = "manual", _("Manuals and documents")

    class Action(models.TextChoices):
        RETURN = "return", _("Return to the provider")
        RETURN_OR_DESTROY = "return_or_destroy", _("Return or destroy as instructed")

    checklist = models.ForeignKey(
        ReturnChecklist, on_delete=models.CASCADE, related_name="items", verbose_name=_("list")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    action = models.CharField(_("what to do"), max_length=24, choices=Action.choices)
    description = models.CharField(_("description"), max_length=300)
    # The rented unit, when the item is one (its serial number is in the description).
    unit_ref = models.CharField(_("unit reference"), max_length=64, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("item to return")
        verbose_name_plural = _("items to return")
        ordering = ["checklist", "kind", "pk"]

    def __str__(self) -> str:
        # The software and manuals are stored in English (the source language).
        if self.kind == self.Kind.UNIT:
            return self.description
        return gettext(self.description)


class RevocationQueueEntry(Customer):
    """Staff's revocation queue (Art. 12(1)(5)): customers contacted for three months'
    inactivity who did not answer within the reply window. The job only queues them; staff
    decide (the job never revokes)."""

    class Meta:
        proxy = True
        verbose_name = _("revocation queue entry (inactivity)")
        verbose_name_plural = _("revocation queue (inactivity)")


class CustomerStanding(Customer):
    """The customer seen from the provider's remedies (Art. 12): the staff screen of
    measures (suspend, lift, revoke, cancel for the provider)."""

    class Meta:
        proxy = True
        verbose_name = _("customer standing (Art. 12)")
        verbose_name_plural = _("customer standing (Art. 12)")
