"""Security records: reports of stolen credentials (Art. 6(3)) and the credential-sharing
signal (Art. 6(1)/(2))."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer


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
        return f"{self.user_id} {self.network} {timezone.localtime(self.seen_at):%Y-%m-%d %H:%M}"


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
