"""The outbox and ledger of notices (Art. 16: notices go by the provider's method).

A notice is a row first and an e-mail second: it is created in the transaction of the event
it reports, with its text rendered and hashed at that moment, and a worker only delivers it.
The row is the evidence of what was said, to whom, on which clause and when."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from accounts.models import Customer


def content_digest(*, mail_subject: str, body_text: str, body_html: str) -> str:
    """SHA-256 of what was rendered: the subject, the text body and the HTML body, each
    UTF-8 encoded and separated by a NUL byte (which none of them can contain)."""
    payload = "\x00".join([mail_subject, body_text, body_html]).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


class Notice(models.Model):
    class Kind(models.TextChoices):
        REGISTRATION_APPROVED = "registration_approved", _("Registration approved")
        REGISTRATION_REFUSED = "registration_refused", _("Registration refused")
        TERMS_CHANGED = "terms_changed", _("Terms changed")
        SERVICE_INTERRUPTION = "service_interruption", _("Service interruption")
        SERVICE_END = "service_end", _("Service end")
        CANCELLATION_GIVEN = "cancellation_given", _("Cancellation given")
        CANCELLATION_REMINDER = "cancellation_reminder", _("Cancellation reminder")
        CANCELLATION_APPLIED = "cancellation_applied", _("Cancellation applied")
        SUSPENSION = "suspension", _("Suspension")
        REVOCATION = "revocation", _("Revocation")
        INACTIVITY_CONTACT = "inactivity_contact", _("Inactivity contact")
        CREDENTIALS_COMPROMISED = "credentials_compromised", _("Credentials compromised")
        MEMBER_INVITATION = "member_invitation", _("Member invitation")
        SECURITY_ALERT = "security_alert", _("Security alert")
        # To provider staff (PROVIDER_EMAIL): a report of stolen credentials (Art. 6(3)).
        INCIDENT_REPORTED = "incident_reported", _("Incident reported (to staff)")
        VIDEO_DISCLOSURE = "video_disclosure", _("Video data disclosure")
        CONTRACT_TRANSFER = "contract_transfer", _("Contract transfer")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Language(models.TextChoices):
        JA = "ja", "日本語"
        EN = "en", "English"

    # Empty only for the kinds in PERSONAL_KINDS: mail to provider staff, or to a person who
    # belongs to no company (an applicant, staff). Those never show in a customer's list.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        # (customer, -created_at) in Meta serves every lookup by customer.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    clause = models.CharField(
        _("clause basis"),
        max_length=32,
        choices=Clause.choices,
        help_text=_("The article it rests on, e.g. art12.3"),
    )
    # The object the notice concerns (a contract, a terms version, a maintenance window...).
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concerns (type)"),
        # Never looked up by type alone; content types are not deleted.
        db_index=False,
    )
    subject_id = models.CharField(_("concerns (id)"), max_length=64, blank=True, default="")
    subject = GenericForeignKey("subject_type", "subject_id")
    period = models.CharField(
        _("period"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("Tells legitimately repeated notices apart, e.g. a reminder date."),
    )
    # Unique: a repeated job, a retried task or two racing processes cannot create a second
    # copy of the same notice. Built from (customer, kind, subject, period); see dedupe_key_for.
    # (A constraint in Meta rather than ``unique=True``, which would add a pattern index.)
    dedupe_key = models.CharField(_("dedupe key"), max_length=255)
    # Fixed at creation: the evidence says to whom it was sent, whoever joins or leaves later.
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.JA
    )
    mail_subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    content_sha256 = models.CharField(_("SHA-256 of the rendered content"), max_length=64)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        # Indexed only where set (Meta): the jobs' many notices have no author.
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    # When a delivery task was last queued for it; the sweep re-queues only stale ones.
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    # Start of the current delivery attempt (the lease of the worker that claimed it).
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # Earliest time of the next attempt after a transient failure.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        # Every index is paid for by each notice a job writes in bulk: only those a query
        # uses (the state's own index went: the sweep uses the partial one below).
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="notice_customer_created"),
            models.Index(
                fields=["created_by"],
                condition=Q(created_by__isnull=False),
                name="notice_created_by_set",
            ),
            # The sweep looks only at unfinished notices; keep that index small.
            models.Index(
                fields=["state", "created_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="notice_unfinished",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notice_dedupe_key_unique"),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="notice_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=Q(state="sending", claimed_at__isnull=False) | ~Q(state="sending"),
                name="notice_sending_has_claim",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False)
                | Q(kind__in=["security_alert", "incident_reported"]),
                name="notice_customer_unless_personal",
            ),
            models.CheckConstraint(
                condition=Q(subject_type__isnull=True, subject_id="")
                | Q(subject_type__isnull=False) & ~Q(subject_id=""),
                name="notice_subject_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.customer_id} ({self.state})"

    @staticmethod
    def dedupe_key_for(
        *,
        customer_id: int | None,
        kind: str,
        subject_type_id: int | None,
        subject_id: str,
        period: str,
    ) -> str:
        return f"{customer_id or '-'}/{kind}/{subject_type_id or '-'}/{subject_id or '-'}/{period}"

    def content_matches_digest(self) -> bool:
        """True if the stored content is still what was hashed at creation."""
        return self.content_sha256 == content_digest(
            mail_subject=self.mail_subject, body_text=self.body_text, body_html=self.body_html
        )


# The period suffix of the provider's own copy of a notice about a company (the notice of
# cancellation of Art. 12(3) tells both sides): kept with the company's notices as evidence,
# addressed to the provider, never shown to the company.
PROVIDER_COPY = "provider"

# The kinds that may go to someone outside a customer (see Notice.customer).
PERSONAL_KINDS = frozenset({Notice.Kind.SECURITY_ALERT, Notice.Kind.INCIDENT_REPORTED})


class NoticeRead(models.Model):
    """Each person's own unread marker: bob reading a notice does not mark it for alice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        verbose_name = _("notice read")
        verbose_name_plural = _("notice reads")
        constraints = [
            models.UniqueConstraint(fields=["user", "notice"], name="notice_read_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notice_id}"
