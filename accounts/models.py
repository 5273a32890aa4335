"""Users, the tenant (Customer, 甲 in the terms), memberships and the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import (
    validate_corporate_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One login per person (Art. 6(1): IDs are never lent or shared). The e-mail is the ID."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("provider staff"), default=False, help_text=_("Can use the staff admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email


class Customer(models.Model):
    """The tenant: a company that applies for and rents equipment (甲)."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLATION_SCHEDULED = "cancellation_scheduled", _("Cancellation scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        REVOKED = "revoked", _("Revoked")

    class Language(models.TextChoices):
        JA = "ja", "日本語"
        EN = "en", "English"

    name = models.CharField(_("company name"), max_length=200)
    name_kana = models.CharField(
        _("company name (kana)"), max_length=200, blank=True, validators=[validate_kana]
    )
    corporate_number = models.CharField(
        _("corporate number"),
        max_length=13,
        blank=True,
        db_index=True,
        validators=[validate_corporate_number],
        help_text=_("法人番号: 13 digits."),
    )
    postal_code = models.CharField(
        _("postal code"), max_length=8, blank=True, validators=[validate_postal_code]
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
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
            models.CheckConstraint(
                condition=Q(corporate_number="") | Q(corporate_number__regex=r"^[0-9]{13}$"),
                name="customer_corporate_number_13_digits",
            ),
            models.CheckConstraint(
                condition=Q(postal_code="") | Q(postal_code__regex=r"^[0-9]{3}-[0-9]{4}$"),
                name="customer_postal_code_format",
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


class Membership(models.Model):
    """Links a person to the company they act for, with a role.

    A user belongs to at most one customer (one-to-one), and each customer has exactly one
    owner: at most one by the partial unique constraint, at least one by a deferred
    PostgreSQL constraint trigger (migration 0002) checked at commit."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
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


class AuditEntry(models.Model):
    """Who did what, when, to what, and on which clause of the terms. Written only through
    ``accounts.services.audit_record``; never changed afterwards."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
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
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=300, blank=True)
    clause = models.CharField(
        _("clause basis"), max_length=32, blank=True, help_text=_("e.g. art12.1.5")
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Invitation(models.Model):
    """An owner's invitation of a colleague (Art. 6(1): each person gets their own login).

    Only the SHA-256 of the token is stored; the token itself exists only in the e-mailed
    link. An invitation is used once, expires, and can be revoked."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("customer")
    )
    email = models.EmailField(_("e-mail address"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # A new invitation to the same address replaces (revokes) the open one.
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(accepted_by__isnull=False),
                name="invitation_accepted_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.customer}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class Incident(models.Model):
    """A report of stolen or misused credentials (Art. 6(3)) that staff work through."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    class Channel(models.TextChoices):
        WEB = "web", _("Account page")
        API = "api", _("API")
        EMAIL_LINK = "email_link", _("Link in a security e-mail")

    class Scope(models.TextChoices):
        USER = "user", _("This user")
        COMPANY = "company", _("Every member of the company")

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("customer"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("user whose credentials are affected"),
    )
    # None when reported through the e-mailed link, which works without signing in.
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.USER)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    notes = models.TextField(_("staff notes"), blank=True)
    reports = models.PositiveIntegerField(_("reports"), default=1)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    last_reported_at = models.DateTimeField(_("last reported"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("credentials incident")
        verbose_name_plural = _("credentials incidents")
        ordering = ["-created_at"]
        constraints = [
            # Art. 6(3): reporting again while an incident is being handled adds to it.
            models.UniqueConstraint(
                fields=["user"],
                condition=~Q(state="resolved"),
                name="incident_one_unresolved_per_user",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(acknowledged_at__isnull=False),
                name="incident_acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | Q(resolved_at__isnull=False),
                name="incident_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.user} ({self.get_state_display()})"


class NetworkSighting(models.Model):
    """A user seen signing in, or a session of theirs moving, from a network. Feeds the
    credential-sharing signal (Art. 6(1)) and the "new device" security e-mail."""

    class Source(models.TextChoices):
        LOGIN = "login", _("Sign-in")
        SESSION = "session", _("Session activity")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(_("network"), max_length=64)
    ip_address = models.GenericIPAddressField(_("IP address"))
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # The browser without its version numbers, so that an update is not a "new device".
    device_key = models.CharField(_("device key"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    seen_at = models.DateTimeField(_("seen"), default=timezone.now)

    class Meta:
        verbose_name = _("network sighting")
        verbose_name_plural = _("network sightings")
        indexes = [
            models.Index(fields=["user", "-seen_at"]),
            models.Index(fields=["user", "device_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.network} {self.seen_at:%Y-%m-%d %H:%M}"


class SharingFlag(models.Model):
    """Evidence that one login is used from several networks at once (Art. 6(1) forbids
    lending IDs). Staff review it; it never locks anyone out by itself."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sharing_flags",
        verbose_name=_("user"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sharing_flags",
        verbose_name=_("customer"),
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    updated_at = models.DateTimeField(_("last evidence"), default=timezone.now)
    network_count = models.PositiveIntegerField(_("distinct networks"))
    evidence = models.JSONField(_("evidence"), default=list)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("credential-sharing flag")
        verbose_name_plural = _("credential-sharing flags")
        ordering = ["-created_at"]
        constraints = [
            # While a flag awaits review, new evidence is added to it instead of a new flag.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(reviewed_at__isnull=True),
                name="sharingflag_one_unreviewed_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.network_count})"
