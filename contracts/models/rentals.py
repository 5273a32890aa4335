"""Rentals under the usage contract: the request, the units assigned to it, the backhoe
acknowledgement (Art. 13(10)), the monthly charges and payments (Art. 5) and the records of
video data deletion (Art. 10(6)(7))."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from accounts.models import Customer
from cameras.models import Product, Unit

from .registration import UsageContract


class Rental(models.Model):
    """One rental of a product (in a quantity, for a site) under the customer's usage
    contract. It starts as a request; staff approve it by assigning units, delivery starts it
    and fixes its monthly fee; it ends with the deletion of its cloud video data."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved, awaiting delivery")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDING = "ending", _("Ending")
        ENDED = "ended", _("Ended")
        REJECTED = "rejected", _("Rejected")

    # Rentals whose units are out with the customer or about to be.
    LIVE_STATES = (State.APPROVED, State.ACTIVE, State.SUSPENDED, State.ENDING)
    # Rentals that were delivered: they carry a start and a fixed fee.
    STARTED_STATES = (State.ACTIVE, State.SUSPENDED, State.ENDING, State.ENDED)

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        UsageContract,
        on_delete=models.PROTECT,
        related_name="rentals",
        verbose_name=_("usage contract"),
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("product")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    site_name = models.CharField(_("site name"), max_length=200)
    site_address = models.CharField(_("site address"), max_length=300)
    desired_start = models.DateField(_("desired start"))
    # A backhoe camera system names the machine it is fitted to.
    machine_maker = models.CharField(_("machine maker"), max_length=100, blank=True)
    machine_model = models.CharField(_("machine model"), max_length=100, blank=True)
    machine_number = models.CharField(_("machine number"), max_length=100, blank=True)
    # Art. 10(6)(7): where this rental's recordings live, copied from the product.
    recording = models.CharField(
        _("recording"), max_length=16, choices=Product.Recording.choices, blank=True
    )
    # What a customer may write to CTS with a request (the form and the API refuse more).
    note = models.TextField(_("note"), blank=True, max_length=2000)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Art. 5: the fee is fixed when the rental starts; later catalogue changes do not move it.
    unit_fee_yen = models.PositiveIntegerField(
        _("monthly fee per unit (yen)"), null=True, blank=True
    )
    monthly_fee_yen = models.PositiveIntegerField(_("monthly fee (yen)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started (delivered)"), null=True, blank=True)
    ends_on = models.DateField(_("scheduled end"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_clause = models.CharField(
        _("basis of the end"), max_length=16, choices=Clause.choices, blank=True
    )
    end_reason = models.TextField(_("reason for the end"), blank=True)
    # The request form's own key: the same form sent twice (a double click, a resent POST)
    # makes one rental, not two (contracts.services.rentals.rental_request).
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rental")
        verbose_name_plural = _("rentals")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "requested",
                        "approved",
                        "active",
                        "suspended",
                        "ending",
                        "ended",
                        "rejected",
                    ]
                ),
                name="rental_state_valid",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="rental_quantity_positive"),
            models.UniqueConstraint(
                fields=["customer", "submission_key"], name="rental_submitted_once"
            ),
            # The fee snapshot and the start exist exactly once the rental was delivered.
            models.CheckConstraint(
                condition=~Q(state__in=["active", "suspended", "ending"])
                | (
                    Q(started_at__isnull=False)
                    & Q(monthly_fee_yen__isnull=False)
                    & Q(unit_fee_yen__isnull=False)
                ),
                name="rental_started_has_fee_and_start",
            ),
            models.CheckConstraint(
                condition=~Q(state="ended") | Q(ended_at__isnull=False),
                name="rental_ended_has_time",
            ),
            models.CheckConstraint(
                condition=Q(state="requested") | Q(decided_at__isnull=False),
                name="rental_decision_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(rejection_reason=""),
                name="rental_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product.model_code} × {self.quantity} ({self.site_name})"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES


class RentalUnit(models.Model):
    """A unit assigned to a rental. While it is not returned the unit is on this rental and
    on no other (a partial unique index, so two staff assigning it at once cannot both win)."""

    rental = models.ForeignKey(
        Rental, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("rental")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit")
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return recorded by"),
    )

    class Meta:
        verbose_name = _("assigned unit")
        verbose_name_plural = _("assigned units")
        ordering = ["rental_id", "unit__serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(returned_at__isnull=True),
                name="rentalunit_unit_on_one_live_rental",
                violation_error_message=_("This unit is already assigned to a rental."),
            ),
            models.UniqueConstraint(fields=["rental", "unit"], name="rentalunit_once_per_rental"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → rental #{self.rental_id}"


class BackhoeAcknowledgement(models.Model):
    """Art. 13(10): evidence that the person requesting a backhoe camera system acknowledged
    that it is not a safety device, with the text exactly as shown. One per request."""

    rental = models.OneToOneField(
        Rental,
        on_delete=models.PROTECT,
        related_name="backhoe_acknowledgement",
        verbose_name=_("rental"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    text = models.TextField(_("text shown"))
    sha256 = models.CharField(_("text SHA-256"), max_length=64)
    language = models.CharField(_("language"), max_length=2)
    acknowledged_at = models.DateTimeField(_("acknowledged"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("backhoe acknowledgement")
        verbose_name_plural = _("backhoe acknowledgements")
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$") & ~Q(text=""),
                name="backhoe_ack_has_text_and_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rental_id} {timezone.localtime(self.acknowledged_at):%Y-%m-%d %H:%M}"


class Charge(models.Model):
    """The fee of one rental for one calendar month (Art. 5), created by the charges job."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="charges", verbose_name=_("customer")
    )
    rental = models.ForeignKey(
        Rental, on_delete=models.PROTECT, related_name="charges", verbose_name=_("rental")
    )
    # The first day of the month charged.
    period = models.DateField(_("month"))
    amount_yen = models.PositiveIntegerField(_("amount (yen)"))
    days_charged = models.PositiveSmallIntegerField(_("days charged"))
    days_in_month = models.PositiveSmallIntegerField(_("days in the month"))
    due_on = models.DateField(_("due"))
    # Art. 12(2): set when every debt fell due at once.
    accelerated_at = models.DateTimeField(_("fell due early"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["-period", "rental_id"]
        constraints = [
            models.UniqueConstraint(fields=["rental", "period"], name="charge_one_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="charge_period_first_day"),
            models.CheckConstraint(
                condition=Q(days_charged__gte=1) & Q(days_charged__lte=models.F("days_in_month")),
                name="charge_days_within_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} #{self.rental_id} ¥{self.amount_yen:,}"


class Payment(models.Model):
    """Money actually received from a customer (Art. 5). The liability cap of Art. 13(9) is
    read from these rows. Never edited nor deleted: one recorded by mistake is voided, with
    the reason, and no longer counts (``contracts.services.billing.payment_void``)."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CREDIT_CARD = "credit_card", _("Credit card")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer")
    )
    amount_yen = models.PositiveIntegerField(
        _("amount (yen)"),
        # The staff form says why, in words, before the database constraint below refuses it.
        validators=[MinValueValidator(1, message=_("A payment is at least ¥1."))],
    )
    received_on = models.DateField(_("received"), db_index=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_yen__gte=1), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="payment_voided_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} ¥{self.amount_yen:,} ({self.customer_id})"

    def clean(self) -> None:
        if self.received_on and self.received_on > timezone.localdate():
            raise ValidationError(
                {"received_on": _("A payment cannot be received in the future.")}, code="future"
            )


class VideoDeletionRecord(models.Model):
    """Evidence that video data was deleted: a rental's cloud recordings when it ends
    (Art. 10(6)), a returned unit's SD card or NAS when it is wiped (Art. 10(7))."""

    class Storage(models.TextChoices):
        CLOUD = "cloud", _("Cloud")
        SD_CARD = "sd_card", _("SD card")
        NAS = "nas", _("NAS")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="video_deletions",
        verbose_name=_("customer"),
    )
    rental = models.ForeignKey(
        Rental,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="video_deletions",
        verbose_name=_("rental"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="video_deletions",
        verbose_name=_("unit"),
    )
    storage = models.CharField(_("storage"), max_length=16, choices=Storage.choices)
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    actor_label = models.CharField(_("recorded by (label)"), max_length=254, blank=True)
    clause = models.CharField(_("clause"), max_length=16, choices=Clause.choices)

    class Meta:
        verbose_name = _("video data deletion record")
        verbose_name_plural = _("video data deletion records")
        ordering = ["-deleted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rental__isnull=False) | Q(unit__isnull=False),
                name="videodeletion_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(clause__in=[Clause.ART10_6, Clause.ART10_7]),
                name="videodeletion_clause_art10",
            ),
            # A wipe of a unit's medium is Art. 10(7); a rental's cloud data is Art. 10(6).
            models.CheckConstraint(
                condition=(Q(storage="cloud") & Q(clause=Clause.ART10_6))
                | (
                    Q(storage__in=["sd_card", "nas"])
                    & Q(clause=Clause.ART10_7)
                    & Q(unit__isnull=False)
                ),
                name="videodeletion_storage_matches_clause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_storage_display()} {timezone.localtime(self.deleted_at):%Y-%m-%d}"
