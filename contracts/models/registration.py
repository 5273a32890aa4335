"""Registration (Art. 4) and the usage contract (利用契約, Art. 2(5)) it forms.

A company applies through a ``RegistrationApplication``; provider staff approve or refuse it.
Approval is notified, and that notice completes registration and forms the
``UsageContract`` (Art. 4(3))."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from accounts.models.company import (
    address_field,
    company_constraints,
    company_name_field,
    company_name_kana_field,
    corporate_number_field,
    phone_field,
    postal_code_field,
)
from accounts.validators import (
    normalize_corporate_number,
    normalize_kana,
    normalize_phone,
    normalize_postal_code,
    validate_corporate_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)

REVIEWERS_GROUP = "reviewers"

# Field → (normaliser, validator) of the Japanese business form: full-width and half-width
# input are both accepted and stored half-width.
NORMALIZED_FIELDS: dict[str, tuple[Callable[[str], str], Callable[[str], None]]] = {
    "corporate_number": (normalize_corporate_number, validate_corporate_number),
    "postal_code": (normalize_postal_code, validate_postal_code),
    "phone": (normalize_phone, validate_phone),
    "contact_phone": (normalize_phone, validate_phone),
    "company_name_kana": (normalize_kana, validate_kana),
}


def normalize_values(values: dict[str, Any]) -> dict[str, Any]:
    """Normalises the Japanese-form fields of ``values`` in place (blank stays blank)."""
    for name, (normalize, _validate) in NORMALIZED_FIELDS.items():
        if values.get(name):
            values[name] = normalize(str(values[name]))
    return values


class RefusalGround(models.TextChoices):
    """Art. 4(2): the provider may refuse a registration on one or more of these grounds."""

    TERMS_VIOLATION_RISK = "1", _("(1) There is a risk that the applicant will violate the terms")
    FALSE_INFORMATION = (
        "2",
        _("(2) The registration information is false, wrong or incomplete in whole or in part"),
    )
    PREVIOUSLY_REVOKED = "3", _("(3) The applicant's registration was revoked in the past")
    ANTISOCIAL_FORCES = (
        "4",
        _(
            "(4) The applicant falls under the anti-social forces clauses of the Rental Basic "
            "Terms or the Subscription Clauses"
        ),
    )
    OTHER = "5", _("(5) The provider otherwise judges the registration inappropriate")


# Art. 4(2)(1)–(5) in the wording of the terms (2023-04-01), cited in Japanese notices.
REFUSAL_GROUND_TEXT_JA = {
    "1": "本規約に違反するおそれがあると当社が判断した場合",
    "2": "乙に提供された登録情報の全部又は一部につき虚偽、誤記又は記載漏れがあった場合",
    "3": "過去に本サービスの利用の登録を取り消された者である場合",
    "4": "乙が別途定める約款及び契約条項における反社会的勢力に係る条項のいずれかに該当する場合",
    "5": "その他、乙が登録を適当でないと判断した場合",
}

# What the applicant writes (Art. 4(1): 登録情報), in the order of the form: the company, then
# the people to contact. Everything else is set by the transitions.
COMPANY_FIELDS = (
    "company_name",
    "company_name_kana",
    "corporate_number",
    "representative_name",
    "representative_title",
    "postal_code",
    "address",
    "phone",
)
CONTACT_FIELDS = (
    "contact_name",
    "contact_department",
    "contact_email",
    "contact_phone",
    "billing_contact_name",
    "billing_department",
    "billing_email",
    "intended_use",
)

# Fields the applicant must fill before submitting (Art. 4(1): 登録情報).
REQUIRED_FIELDS = (
    "company_name",
    "company_name_kana",
    "corporate_number",
    "representative_name",
    "postal_code",
    "address",
    "phone",
    "contact_name",
    "contact_department",
    "contact_email",
    "billing_contact_name",
    "billing_email",
    "intended_use",
)


class RegistrationApplication(models.Model):
    """An application for registration (Art. 4(1)). Drafts may be partial; submission is
    final; a decision is taken once, by a reviewer, on the grounds of Art. 4(2)–(3)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    OPEN_STATES = (State.DRAFT, State.SUBMITTED)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registration_applications",
        verbose_name=_("applicant"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="registration_applications",
        verbose_name=_("customer"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )

    company_name = company_name_field()
    company_name_kana = company_name_kana_field()
    corporate_number = corporate_number_field()
    representative_name = models.CharField(_("representative"), max_length=150, blank=True)
    representative_title = models.CharField(_("representative's title"), max_length=100, blank=True)
    postal_code = postal_code_field(_("head office postal code"))
    address = address_field(_("head office address"))
    phone = phone_field()
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_department = models.CharField(_("contact department"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[validate_phone]
    )
    billing_contact_name = models.CharField(_("billing contact"), max_length=150, blank=True)
    billing_department = models.CharField(_("billing department"), max_length=150, blank=True)
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    intended_use = models.TextField(_("intended use"), blank=True, max_length=2000)

    # Art. 4(2)(4): evidence of the applicant's declaration of non-affiliation with
    # anti-social forces, exactly as it was shown.
    antisocial_declared_at = models.DateTimeField(
        _("anti-social forces declaration made"), null=True, blank=True
    )
    antisocial_declaration_version = models.CharField(
        _("declaration version"), max_length=32, blank=True
    )
    antisocial_declaration_language = models.CharField(
        _("declaration language"), max_length=2, blank=True
    )
    antisocial_declaration_text = models.TextField(_("declaration text"), blank=True)
    antisocial_declaration_sha256 = models.CharField(
        _("declaration text SHA-256"), max_length=64, blank=True
    )
    antisocial_declaration_ip = models.GenericIPAddressField(
        _("declaration IP address"), null=True, blank=True
    )
    antisocial_declaration_user_agent = models.CharField(
        _("declaration user agent"), max_length=300, blank=True
    )
    # Art. 4(1): the terms versions the applicant agreed to, as
    # [{"document": slug, "label": version label, "sha256": text hash}, ...].
    terms_accepted = models.JSONField(_("terms versions accepted"), default=list, blank=True)

    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # Art. 4(2): ground codes "1".."5" (RefusalGround), at least one on refusal.
    refusal_grounds = models.JSONField(_("refusal grounds"), default=list, blank=True)
    # The reviewer's reasoning, for the provider only (audit, later reviews); never shown to
    # the applicant, who reads ``refusal_message`` and, if staff chose so, the grounds.
    refusal_note = models.TextField(_("internal note"), blank=True)
    refusal_message = models.TextField(_("message to the applicant"), blank=True)
    refusal_grounds_disclosed = models.BooleanField(
        _("grounds named to the applicant"), default=False
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted", "approved", "refused"]),
                name="application_state_valid",
            ),
            # One open application per corporate number and per company.
            models.UniqueConstraint(
                fields=["corporate_number"],
                condition=Q(state__in=["draft", "submitted"]) & ~Q(corporate_number=""),
                name="application_one_open_per_corporate_number",
                violation_error_message=_(
                    "An application for this corporate number is already in progress."
                ),
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(state__in=["draft", "submitted"]),
                name="application_one_open_per_customer",
                violation_error_message=_("Your company already has an open application."),
            ),
            *company_constraints("application"),
            # Submission needs the Art. 4(2)(4) declaration and a time.
            models.CheckConstraint(
                condition=Q(state="draft")
                | (
                    Q(submitted_at__isnull=False)
                    & Q(antisocial_declared_at__isnull=False)
                    & ~Q(antisocial_declaration_sha256="")
                ),
                name="application_submitted_has_declaration",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted"])
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="application_decision_has_time_and_reviewer",
            ),
            # Art. 4(2): a refusal names at least one ground and explains itself.
            models.CheckConstraint(
                condition=~Q(state="refused") | (~Q(refusal_grounds=[]) & ~Q(refusal_note="")),
                name="application_refusal_has_grounds_and_note",
            ),
            models.CheckConstraint(
                condition=Q(state="refused") | (Q(refusal_grounds=[]) & Q(refusal_note="")),
                name="application_grounds_only_on_refusal",
            ),
            models.CheckConstraint(
                condition=(Q(state="refused") & ~Q(refusal_message=""))
                | (~Q(state="refused") & Q(refusal_message="")),
                name="application_refusal_message_on_refusal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.get_state_display()})"

    def clean(self) -> None:
        # Japanese keyboards type full-width digits and hyphens: store the half-width form.
        for name, (normalize, _validate) in NORMALIZED_FIELDS.items():
            if getattr(self, name):
                setattr(self, name, normalize(getattr(self, name)))
        for name in ("company_name", "representative_name", "address", "contact_name"):
            setattr(self, name, (getattr(self, name) or "").strip())
        codes = {c.value for c in RefusalGround}
        if any(code not in codes for code in self.refusal_grounds or []):
            raise ValidationError({"refusal_grounds": _("Unknown refusal ground.")})

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_decided(self) -> bool:
        return self.state in {self.State.APPROVED, self.State.REFUSED}

    def missing_fields(self) -> list[str]:
        """The required fields still empty, by name."""
        return [name for name in REQUIRED_FIELDS if not str(getattr(self, name) or "").strip()]

    def missing_field_labels(self) -> list[str]:
        return [
            str(getattr(self._meta.get_field(name), "verbose_name", name))
            for name in self.missing_fields()
        ]

    def refusal_ground_labels(self) -> list[str]:
        return [str(RefusalGround(code).label) for code in sorted(self.refusal_grounds or [])]

    @property
    def disclosed_ground_labels(self) -> list[str]:
        """What the applicant may read of the grounds: nothing unless staff named them."""
        return self.refusal_ground_labels() if self.refusal_grounds_disclosed else []


class UsageContract(models.Model):
    """The usage contract (利用契約, Art. 2(5)), formed when the approval notice is given
    (Art. 4(3)). One per customer."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.PROTECT,
        related_name="usage_contract",
        verbose_name=_("customer"),
    )
    application = models.OneToOneField(
        RegistrationApplication,
        on_delete=models.PROTECT,
        related_name="usage_contract",
        verbose_name=_("application"),
    )
    # Art. 4(3): the contract is formed by the approval notice, at the notice's time.
    formed_at = models.DateTimeField(_("formed"), default=timezone.now)
    approval_notice_id = models.BigIntegerField(_("approval notice"), null=True, blank=True)
    terms_versions = models.JSONField(_("terms versions accepted"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("usage contract")
        verbose_name_plural = _("usage contracts")
        ordering = ["-formed_at"]

    def __str__(self) -> str:
        return f"{self.customer} ({timezone.localtime(self.formed_at):%Y-%m-%d})"
