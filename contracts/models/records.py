"""Video data records and what the provider does with them: the recordings the service holds
per rental and unit (Art. 2(1), 10), staff moderation under Art. 7(2) and 10(5), the log of
disclosures to third parties without consent (Art. 10(3)), the transfer of the contractual
position (Art. 17) and the record of personal data removed after the retention period
(Art. 11)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from accounts.models import Customer
from accounts.validators import validate_corporate_number
from cameras.models import Unit

from .rentals import Rental


class VideoRecord(models.Model):
    """Recordings the service holds for one rental (and, where known, one unit) over one
    period. Fed by staff, the import command or the camera platform's API; the video data
    itself stays on the platform, this row says what exists and where."""

    class Storage(models.TextChoices):
        CLOUD = "cloud", _("Cloud")
        SD_CARD = "sd_card", _("SD card")
        NAS = "nas", _("NAS")

    class State(models.TextChoices):
        HELD = "held", _("Held")
        # Art. 10(5): made non-public by the provider.
        HIDDEN = "hidden", _("Hidden")
        DELETED = "deleted", _("Deleted")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        IMPORT = "import", _("Import")
        API = "api", _("Camera platform")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="video_records", verbose_name=_("customer")
    )
    rental = models.ForeignKey(
        Rental, on_delete=models.PROTECT, related_name="video_records", verbose_name=_("rental")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="video_records",
        verbose_name=_("unit"),
    )
    period_start = models.DateTimeField(_("recorded from"))
    period_end = models.DateTimeField(_("recorded until"))
    storage = models.CharField(_("storage"), max_length=16, choices=Storage.choices)
    size_bytes = models.PositiveBigIntegerField(_("approximate size (bytes)"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.HELD, db_index=True
    )
    # The camera platform's identifier, so that a repeated import is refused, not doubled.
    external_ref = models.CharField(_("platform reference"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("video data record")
        verbose_name_plural = _("video data records")
        ordering = ["-period_start", "-pk"]
        indexes = [models.Index(fields=["customer", "-period_start"], name="videorecord_customer")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="videorecord_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(storage__in=["cloud", "sd_card", "nas"]),
                name="videorecord_storage_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["held", "hidden", "deleted"]),
                name="videorecord_state_valid",
            ),
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~Q(external_ref=""),
                name="videorecord_external_ref_unique",
                violation_error_message=_("A record with this platform reference exists."),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.pk} {self.get_storage_display()} "
            f"{timezone.localtime(self.period_start):%Y-%m-%d}–"
            f"{timezone.localtime(self.period_end):%Y-%m-%d}"
        )


class ProhibitedAct(models.IntegerChoices):
    """Art. 7(1): the items a moderation cites."""

    INFRINGES_RIGHTS = 1, _("(1) Infringing the rights or interests of others")
    RECORDS_INFRINGING = 2, _("(2) Recording video that infringes the rights of others")
    SENDS_INFRINGING = 3, _("(3) Sending video that infringes the rights of others")
    CRIMINAL = 4, _("(4) Criminal acts or acts against public order")
    OBSCENE = 5, _("(5) Obscene information or information harmful to minors")
    DATING = 6, _("(6) Information on dating")
    ANTISOCIAL = 7, _("(7) Benefiting anti-social forces")
    BREACH_OF_LAW = 8, _("(8) Breach of laws or industry rules")
    MALWARE = 9, _("(9) Computer viruses or other harmful programs")
    TAMPERING = 10, _("(10) Tampering with information")
    DATA_VOLUME = 11, _("(11) Sending more data than the provider's limit")
    COMMERCIAL_USE = 12, _("(12) Commercial use of the service")
    IMPERSONATION = 13, _("(13) Impersonation")
    ACCESS_CONTROL = 14, _("(14) Circumventing access control")
    PHISHING = 15, _("(15) Obtaining others' registration information")
    HARASSMENT = 16, _("(16) Excessive calls or inquiries")
    OBSTRUCTION = 17, _("(17) Obstructing the operation of the service")
    OTHER = 18, _("(18) Otherwise inappropriate")


class VideoModeration(models.Model):
    """Art. 7(2), 10(5): the provider hid or deleted a record, without prior notice, because it
    breaches an item of Art. 7(1). The customer's deletion log shows it with the item."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hidden")
        DELETE = "delete", _("Deleted")

    record = models.ForeignKey(
        VideoRecord,
        on_delete=models.PROTECT,
        related_name="moderations",
        verbose_name=_("video data record"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="video_moderations",
        verbose_name=_("customer"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    prohibited_item = models.PositiveSmallIntegerField(
        _("Art. 7(1) item"), choices=ProhibitedAct.choices
    )
    note = models.TextField(_("note"))
    clause = models.CharField(_("clause"), max_length=16, choices=Clause.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("video data moderation")
        verbose_name_plural = _("video data moderations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(prohibited_item__gte=1) & Q(prohibited_item__lte=18),
                name="videomoderation_item_1_to_18",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="videomoderation_has_note"),
            models.CheckConstraint(
                condition=Q(action__in=["hide", "delete"]), name="videomoderation_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.record_id} (Art. 7(1)({self.prohibited_item}))"


class DisclosureGround(models.IntegerChoices):
    """Art. 10(3): the grounds on which video data goes to a third party without consent."""

    LAW = 1, _("(1) Required by law")
    LIFE_OR_PROPERTY = 2, _("(2) Protection of life, body or property")
    PUBLIC_HEALTH = 3, _("(3) Public health or the sound upbringing of children")
    PUBLIC_AUTHORITY = 4, _("(4) Cooperation with a public authority")
    SERVICE_CONTRACTOR = 5, _("(5) Entrusted to a service contractor")
    SUCCESSION = 6, _("(6) Succession of the business by merger or otherwise")


class VideoDisclosure(models.Model):
    """One disclosure of a customer's video data to a third party without the customer's
    consent (Art. 10(3)). Staff only; whether the customer is told afterwards is an explicit
    decision, because ground (4) may forbid telling them."""

    class Notification(models.TextChoices):
        NOTIFY = "notify", _("Notify the customer")
        WITHHOLD = "withhold", _("Do not notify the customer")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="video_disclosures",
        verbose_name=_("customer"),
    )
    records = models.ManyToManyField(
        VideoRecord, blank=True, related_name="disclosures", verbose_name=_("records disclosed")
    )
    ground = models.PositiveSmallIntegerField(_("ground"), choices=DisclosureGround.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    what = models.TextField(_("what was disclosed"))
    disclosed_at = models.DateTimeField(_("disclosed"))
    note = models.TextField(_("note"), blank=True)
    notification = models.CharField(
        _("tell the customer"), max_length=8, choices=Notification.choices
    )
    withhold_reason = models.TextField(_("why the customer is not told"), blank=True)
    notice_id_sent = models.BigIntegerField(_("notice"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("video data disclosure")
        verbose_name_plural = _("video data disclosures")
        ordering = ["-disclosed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ground__gte=1) & Q(ground__lte=6), name="videodisclosure_ground_1_to_6"
            ),
            models.CheckConstraint(
                condition=Q(notification="notify")
                | (Q(notification="withhold") & ~Q(withhold_reason="")),
                name="videodisclosure_withhold_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{timezone.localtime(self.disclosed_at):%Y-%m-%d} → {self.recipient} ({self.ground})"
        )


class ContractTransfer(models.Model):
    """Art. 17: the customer asks to transfer its contractual position to another company; it
    happens only with the provider's written consent, recorded here by staff."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved and transferred")
        REFUSED = "refused", _("Refused")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name=_("transferring customer"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    successor_name = models.CharField(_("successor company name"), max_length=200)
    successor_corporate_number = models.CharField(
        _("successor corporate number"), max_length=13, validators=[validate_corporate_number]
    )
    successor_address = models.CharField(_("successor address"), max_length=300)
    successor_contact_name = models.CharField(_("successor contact person"), max_length=150)
    successor_contact_email = models.EmailField(_("successor contact e-mail"))
    reason = models.TextField(_("reason (merger, business transfer...)"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    successor = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("successor customer"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Art. 17: the provider's written consent (承諾書), identified and dated.
    consent_reference = models.CharField(_("written consent reference"), max_length=200, blank=True)
    consent_date = models.DateField(_("written consent date"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    moved = models.JSONField(_("what was moved"), default=dict, blank=True)

    class Meta:
        verbose_name = _("contract transfer")
        verbose_name_plural = _("contract transfers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(state="requested"),
                name="contracttransfer_one_open_per_customer",
                violation_error_message=_("A transfer request is already waiting for a decision."),
            ),
            models.CheckConstraint(
                condition=Q(successor_corporate_number__regex=r"^[0-9]{13}$"),
                name="contracttransfer_corporate_number_13_digits",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | (
                    Q(successor__isnull=False)
                    & ~Q(consent_reference="")
                    & Q(consent_date__isnull=False)
                    & Q(decided_at__isnull=False)
                ),
                name="contracttransfer_approved_has_consent",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused")
                | (~Q(refusal_reason="") & Q(decided_at__isnull=False)),
                name="contracttransfer_refused_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(successor__isnull=True) | ~Q(successor=models.F("customer")),
                name="contracttransfer_successor_differs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.successor_name} ({self.get_state_display()})"


class PersonalDataErasure(models.Model):
    """Art. 11: evidence that the personal data of a customer whose registration ended was
    removed once the retention period had passed. One per customer, so the job is idempotent."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.PROTECT,
        related_name="personal_data_erasure",
        verbose_name=_("customer"),
    )
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)
    ended_at = models.DateTimeField(_("registration ended"))
    retention_days = models.PositiveIntegerField(_("retention period (days)"))
    counts = models.JSONField(_("what was removed"), default=dict)
    actor_label = models.CharField(_("by"), max_length=254)

    class Meta:
        verbose_name = _("personal data erasure")
        verbose_name_plural = _("personal data erasures")
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.customer_id} {timezone.localtime(self.erased_at):%Y-%m-%d}"
