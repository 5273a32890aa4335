"""Stolen or misused credentials (Art. 6(3)): the "this wasn't me" link, the report that
neutralises the login and opens an incident for staff, and the incident's handling."""

from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    Incident,
    Membership,
    User,
)
from accounts.services.sessions import user_sessions_end
from accounts.services.tokens import user_tokens_revoke_all
from notices.models import Notice
from notices.services import notice_create

# --- Compromised credentials (Art. 6(3)) -------------------------------------------------------

COMPROMISE_SALT = "accounts.credentials.compromised"


def compromise_token_make(user: User) -> str:
    """The token of the "this wasn't me" link in security e-mails. It works without signing
    in, because the password may already be in someone else's hands."""
    return signing.TimestampSigner(salt=COMPROMISE_SALT).sign(str(user.pk))


def compromise_token_user(token: str) -> User | None:
    max_age = timedelta(days=settings.COMPROMISE_LINK_MAX_AGE_DAYS)
    try:
        pk = signing.TimestampSigner(salt=COMPROMISE_SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def compromise_url(user: User) -> str:
    return settings.SITE_URL + reverse(
        "account_compromised_link", args=[compromise_token_make(user)]
    )


def _request_for_links(request: HttpRequest | None) -> HttpRequest:
    """allauth builds the reset link from a request; outside one (a shell, a task) the
    site's own address stands in."""
    if request is not None:
        return request
    from allauth.core import context

    if context.request is not None:
        return context.request
    return _SiteRequest()


class _SiteRequest(HttpRequest):
    """A request for the site's own address (SITE_URL), to build absolute links."""

    def __init__(self) -> None:
        super().__init__()
        site = urlsplit(settings.SITE_URL)
        self._site_scheme = site.scheme or "https"
        self.META["SERVER_NAME"] = site.hostname or "localhost"
        self.META["SERVER_PORT"] = str(site.port or (443 if site.scheme == "https" else 80))
        self.META["HTTP_HOST"] = site.netloc
        self.META["REMOTE_ADDR"] = "127.0.0.1"
        self.session = {}  # type: ignore[assignment]

    def _get_scheme(self) -> str:
        return self._site_scheme


def _send_password_reset(user_id: int, request: HttpRequest) -> None:
    """allauth's own reset flow, so the link is the one its reset page accepts. Runs after
    the commit, possibly outside the request, hence the explicit allauth request context."""
    from allauth.account.forms import ResetPasswordForm
    from allauth.core import context

    user = User.objects.get(pk=user_id)
    form = ResetPasswordForm(data={"email": user.email})
    if form.is_valid():
        with context.request_context(request):
            form.save(request)


@transaction.atomic
def credentials_report_compromised(
    *,
    user: User,
    reporter: User | None,
    scope: str = "user",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> Incident:
    """Art. 6(3): the customer tells the provider that credentials were stolen or misused.

    Ends every session of the user (of every member, when the owner reports for the whole
    company), deletes their API tokens, makes their passwords unusable and sends each a
    password reset, opens an incident for staff and tells the customer what happens next.
    A report while an incident of the user is still unresolved is added to that incident:
    the neutralising steps run again, the incident and the notice are not duplicated."""

    if scope not in Incident.Scope.values:
        raise ValueError(f"Unknown scope: {scope}")
    if channel not in Incident.Channel.values:
        raise ValueError(f"Unknown channel: {channel}")
    # Serialises concurrent reports of one user (the incident constraint backs this up).
    user = User.objects.select_for_update().get(pk=user.pk)
    membership = Membership.objects.select_related("customer").filter(user=user).first()
    customer = membership.customer if membership else None
    if scope == Incident.Scope.COMPANY:
        if membership is None or not membership.is_owner or reporter != user:
            raise PermissionDenied(_("Only the company's owner can report for the whole company."))
        affected = list(
            User.objects.select_for_update().filter(membership__customer=customer).order_by("pk")
        )
    else:
        affected = [user]

    now = timezone.now()
    incident = (
        Incident.objects.select_for_update()
        .filter(user=user)
        .exclude(state=Incident.State.RESOLVED)
        .first()
    )
    reused = incident is not None
    if incident is None:
        incident = Incident(
            customer=customer,
            user=user,
            reported_by=reporter,
            channel=channel,
            scope=scope,
            created_at=now,
            last_reported_at=now,
        )
        incident.full_clean()
        incident.save()
        _alert_staff_of_incident(incident, actor=reporter)
    else:
        incident.reports += 1
        incident.last_reported_at = now
        if scope == Incident.Scope.COMPANY:
            incident.scope = scope
        incident.full_clean()
        incident.save(update_fields=["reports", "last_reported_at", "scope"])

    sessions = tokens = 0
    link_request = _request_for_links(request)
    for person in affected:
        sessions += user_sessions_end(user=person)
        tokens += user_tokens_revoke_all(user=person)
        person.set_unusable_password()
        person.save(update_fields=["password"])
        transaction.on_commit(functools.partial(_send_password_reset, person.pk, link_request))

    audit_record(
        action="accounts.credentials.reported_compromised",
        actor=reporter,
        actor_label="" if reporter else f"{user.email} (e-mailed link)",
        customer=customer,
        target=incident,
        clause=Clause.ART6_3,
        request=request,
        extra={
            "channel": channel,
            "scope": scope,
            "users": [person.email for person in affected],
            "sessions_ended": sessions,
            "tokens_revoked": tokens,
            "added_to_open_incident": reused,
        },
    )
    if customer is not None:
        if incident.scope == Incident.Scope.COMPANY:
            recipients = None
        else:
            owner = Membership.objects.filter(customer=customer, role=Membership.Role.OWNER)
            recipients = list(
                dict.fromkeys([user.email, *owner.values_list("user__email", flat=True)])
            )
        notice_create(
            customer=customer,
            kind=Notice.Kind.CREDENTIALS_COMPROMISED,
            clause=Clause.ART6_3,
            subject=incident,
            period=f"incident-{incident.pk}",
            recipients=recipients,
            actor=reporter,
            context={
                "incident": incident,
                "affected_user": user,
                "company_wide": incident.scope == Incident.Scope.COMPANY,
                "provider_email": settings.PROVIDER_EMAIL,
            },
        )
    return incident


def _alert_staff_of_incident(incident: Incident, *, actor: User | None) -> None:
    """Staff learn of a new incident at once (Art. 6(3): the provider gives instructions):
    a notice to PROVIDER_EMAIL, kept in the notice ledger like every other mail."""
    notice_create(
        customer=None,
        kind=Notice.Kind.INCIDENT_REPORTED,
        clause=Clause.ART6_3,
        subject=incident,
        recipients=[settings.PROVIDER_EMAIL],
        language=settings.LANGUAGE_CODE,
        actor=actor,
        context={
            "incident": incident,
            "company": incident.customer,
            "admin_url": settings.SITE_URL
            + reverse("admin:accounts_incident_change", args=[incident.pk]),
        },
    )


def _incident_save(
    incident: Incident,
    *,
    action: str,
    actor: User,
    note: str,
    request: HttpRequest | None,
    fields: list[str],
) -> Incident:
    """Appends staff's note to the incident's notes, saves ``fields`` and audits ``action``."""
    note = note.strip()
    if note:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        incident.notes = f"{incident.notes}\n[{stamp} {actor.email}] {note}".strip()
    incident.full_clean()
    incident.save(update_fields=[*fields, "notes"])
    audit_record(
        action=action,
        actor=actor,
        customer=incident.customer,
        target=incident,
        clause=Clause.ART6_3,
        request=request,
        extra={"note": note},
    )
    return incident


@transaction.atomic
def incident_acknowledge(
    *, incident: Incident, actor: User, note: str = "", request: HttpRequest | None = None
) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.state != Incident.State.OPEN:
        raise ValidationError(_("Only an open incident can be acknowledged."), code="state")
    incident.state = Incident.State.ACKNOWLEDGED
    incident.acknowledged_at = timezone.now()
    incident.acknowledged_by = actor
    return _incident_save(
        incident,
        action="accounts.incident.acknowledged",
        actor=actor,
        note=note,
        request=request,
        fields=["state", "acknowledged_at", "acknowledged_by"],
    )


@transaction.atomic
def incident_resolve(
    *, incident: Incident, actor: User, note: str = "", request: HttpRequest | None = None
) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.state == Incident.State.RESOLVED:
        raise ValidationError(_("This incident is already resolved."), code="state")
    now = timezone.now()
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor
    incident.state = Incident.State.RESOLVED
    incident.resolved_at = now
    incident.resolved_by = actor
    return _incident_save(
        incident,
        action="accounts.incident.resolved",
        actor=actor,
        note=note,
        request=request,
        fields=["state", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by"],
    )
