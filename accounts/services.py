"""Writes of the accounts app. Every state change of the portal goes through a service
function; the audit log they write is in ``accounts.audit``."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.validators import validate_email
from django.db import models, transaction
from django.http import HttpRequest
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .audit import audit_record, client_ip
from .models import (
    Customer,
    Incident,
    Invitation,
    Membership,
    NetworkSighting,
    SharingFlag,
    User,
)

ACTIVITY_RESOLUTION = timedelta(minutes=15)


def customer_touch_activity(*, user: User) -> None:
    """Records that the user's company used the portal now. Art. 12(1)(5) counts three
    months without use, so a resolution of a quarter hour is plenty: at most one write per
    user per quarter hour and no query at all in between, whatever the traffic."""
    key = f"user-activity:{user.pk}"
    if not cache.add(key, 1, timeout=int(ACTIVITY_RESOLUTION.total_seconds())):
        return
    Customer.objects.filter(memberships__user=user).update(last_activity_at=timezone.now())


@transaction.atomic
def customer_create_with_owner(
    *, owner: User, name: str, actor: User | None = None, **fields: Any
) -> Customer:
    """Creates a customer (status applicant unless given) with ``owner`` as its owner."""
    customer = Customer(name=name, **fields)
    customer.full_clean()
    customer.save()
    membership = Membership(user=owner, customer=customer, role=Membership.Role.OWNER)
    membership.full_clean()
    membership.save()
    audit_record(
        action="accounts.customer.created",
        actor=actor or owner,
        customer=customer,
        target=customer,
        clause="art4.1",
    )
    return customer


# --- API tokens: stored hashed (django-rest-knox), shown once, revocable ----------------------


def api_token_list(*, user: User) -> models.QuerySet[Any]:
    from knox.models import AuthToken

    return AuthToken.objects.filter(user=user).order_by("-created")


@transaction.atomic
def api_token_create(*, user: User, days: int, request: HttpRequest | None = None) -> str:
    """Creates a token valid for ``days`` (at most API_TOKEN_MAX_DAYS) and returns its
    secret, which is never stored and cannot be shown again. A person holds at most
    API_TOKEN_LIMIT_PER_USER live tokens (Art. 6(1): credentials stay few and accounted for)."""
    from knox.models import AuthToken

    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            _("A token is valid for 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS},
            code="token_lifetime",
        )
    # The user's row is locked so that two requests at once cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    live = AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.API_TOKEN_LIMIT_PER_USER:
        raise ValidationError(
            _(
                "You already have %(limit)d API tokens, the most allowed. Revoke one you no "
                "longer use before creating another."
            )
            % {"limit": settings.API_TOKEN_LIMIT_PER_USER},
            code="token_limit",
        )
    token, secret = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    audit_record(
        action="accounts.api_token.created",
        actor=user,
        customer=_customer_of(user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token.token_key, "days": days},
    )
    return secret


@transaction.atomic
def api_token_revoke(*, user: User, token_key: str, request: HttpRequest | None = None) -> None:
    """Revokes one of the user's own tokens; another user's key is a 404."""
    from django.http import Http404
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise Http404
    audit_record(
        action="accounts.api_token.revoked",
        actor=user,
        customer=_customer_of(user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token_key},
    )


def _customer_of(user: User) -> Customer | None:
    return Customer.objects.filter(memberships__user=user).first()


# --- Sessions and tokens of a person (Art. 6) ------------------------------------------------


def user_sessions_end(*, user: User, except_session_key: str | None = None) -> int:
    """Ends the user's signed-in sessions at once: the allauth.usersessions row and the
    Django session behind it. Every authenticated session is tracked there (at sign-in and
    on every request, USERSESSIONS_TRACK_ACTIVITY), so none is left behind."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.filter(user=user):
        if except_session_key and session.session_key == except_session_key:
            continue
        session.end()
        ended += 1
    return ended


def user_tokens_revoke_all(*, user: User) -> int:
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_session_end(*, user: User, session_id: object, request: HttpRequest | None = None) -> None:
    """Ends one of the user's own sessions; another user's session is a 404."""
    from allauth.usersessions.models import UserSession
    from django.http import Http404

    try:
        session = UserSession.objects.get(user=user, pk=session_id)
    except (UserSession.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    audit_record(
        action="accounts.session.ended",
        actor=user,
        customer=_customer_of(user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"ip": session.ip, "user_agent": session.user_agent[:200]},
    )
    session.end()


# --- Members and invitations (Art. 6(1): one login per person) --------------------------------


def _require_owner(*, customer: Customer, actor: User) -> Membership:
    membership = Membership.objects.filter(user=actor, customer=customer).first()
    if membership is None or not membership.is_owner:
        raise PermissionDenied(_("Only the company's owner can do this."))
    return membership


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("account_invitation", args=[token])


@transaction.atomic
def invitation_create(
    *, customer: Customer, email: str, actor: User, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Invites ``email`` to join ``customer`` as a member and e-mails the link. Returns the
    invitation and its token (the token is not stored; only its SHA-256 is)."""
    from notices.services import notice_create

    _require_owner(customer=customer, actor=actor)
    email = User.objects.normalize_email(email).strip().lower()
    validate_email(email)
    # Art. 6(1): a person acts for one company only, with their own login.
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError(
            _("This e-mail address already belongs to a member of a company."),
            code="already_member",
        )
    Customer.objects.select_for_update().get(pk=customer.pk)
    now = timezone.now()
    # A fresh invitation to the same address replaces the open one (its link stops working).
    Invitation.objects.filter(
        customer=customer, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        customer=customer,
        email=email,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        action="accounts.invitation.created",
        actor=actor,
        customer=customer,
        target=invitation,
        clause="art6.1",
        request=request,
        extra={"email": email},
    )
    notice_create(
        customer=customer,
        kind="member_invitation",
        clause="art6.1",
        subject=invitation,
        recipients=[email],
        actor=actor,
        context={
            "invitation": invitation,
            "inviter": actor,
            "link": invitation_url(token),
            "expires_at": invitation.expires_at,
        },
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("customer", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_check(invitation: Invitation | None) -> None:
    """Raises a ValidationError saying why the invitation cannot be used, if it cannot."""
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was withdrawn."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.is_expired:
        raise ValidationError(
            _("This invitation has expired. Ask your company's owner for a new one."),
            code="expired",
        )
    if invitation.customer.status in {Customer.Status.CANCELLED, Customer.Status.REVOKED}:
        raise ValidationError(
            _("The company's registration has ended; it cannot take new members."),
            code="closed",
        )


@transaction.atomic
def invitation_accept(*, token: str, user: User, request: HttpRequest | None = None) -> Membership:
    """Makes ``user`` a member of the inviting company. The user must have verified the
    invited e-mail address and must not belong to any company yet."""
    from allauth.account.models import EmailAddress

    found = invitation_for_token(token)
    invitation = (
        Invitation.objects.select_for_update().get(pk=found.pk) if found is not None else None
    )
    invitation_check(invitation)
    assert invitation is not None
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email},
            code="wrong_email",
        )
    User.objects.select_for_update().get(pk=user.pk)
    existing = Membership.objects.filter(user=user).select_related("customer").first()
    if existing is not None:
        raise ValidationError(
            _(
                "You already belong to %(company)s. A person can act for one company only; "
                "ask its owner to remove you first."
            )
            % {"company": existing.customer.name},
            code="already_member",
        )
    membership = Membership(user=user, customer=invitation.customer, role=Membership.Role.MEMBER)
    membership.full_clean()
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.full_clean()
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        action="accounts.invitation.accepted",
        actor=user,
        customer=invitation.customer,
        target=invitation,
        clause="art6.1",
        request=request,
    )
    return membership


@transaction.atomic
def invitation_revoke(
    *, customer: Customer, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> Invitation:
    _require_owner(customer=customer, actor=actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk, customer=customer)
    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer open."), code="not_open")
    invitation.revoked_at = timezone.now()
    invitation.full_clean()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        action="accounts.invitation.revoked",
        actor=actor,
        customer=customer,
        target=invitation,
        clause="art6.1",
        request=request,
        extra={"email": invitation.email},
    )
    return invitation


@transaction.atomic
def member_remove(
    *,
    customer: Customer,
    membership: Membership,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """Removes a member from the company. Their sessions end and their API tokens stop
    working at once; the login itself stays theirs (it may join another company later)."""
    _require_owner(customer=customer, actor=actor)
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=membership.pk, customer=customer)
    )
    if membership.is_owner:
        raise ValidationError(
            _("The owner cannot be removed. Hand ownership to another member first."),
            code="owner",
        )
    user = membership.user
    membership.delete()
    sessions = user_sessions_end(user=user)
    tokens = user_tokens_revoke_all(user=user)
    audit_record(
        action="accounts.member.removed",
        actor=actor,
        customer=customer,
        target=user,
        clause="art6.1",
        request=request,
        extra={"email": user.email, "sessions_ended": sessions, "tokens_revoked": tokens},
    )


@transaction.atomic
def ownership_transfer(
    *,
    customer: Customer,
    to_membership: Membership,
    actor: User,
    request: HttpRequest | None = None,
) -> Membership:
    """Hands ownership to another member. Demote and promote happen in one transaction, so
    the company has exactly one owner before and after (the partial unique constraint and
    the deferred owner trigger of migration 0002 hold at commit)."""
    current = _require_owner(customer=customer, actor=actor)
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update()
        .select_related("user")
        .filter(customer=customer, pk__in=[current.pk, to_membership.pk])
        .order_by("pk")
    }
    target = rows.get(to_membership.pk)
    if target is None:
        raise Membership.DoesNotExist
    if target.pk == current.pk:
        raise ValidationError(_("You are already the owner."), code="already_owner")
    current = rows[current.pk]
    current.role = Membership.Role.MEMBER
    current.full_clean()
    current.save(update_fields=["role"])
    target.role = Membership.Role.OWNER
    target.full_clean()
    target.save(update_fields=["role"])
    audit_record(
        action="accounts.customer.ownership_transferred",
        actor=actor,
        customer=customer,
        target=target.user,
        clause="art6.1",
        request=request,
        extra={"from": current.user.email, "to": target.user.email},
    )
    return target


def user_has_mfa(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


@transaction.atomic
def customer_set_mfa_required(
    *, customer: Customer, required: bool, actor: User, request: HttpRequest | None = None
) -> Customer:
    """Art. 6(1): the owner may require two-factor authentication of every member. The
    owner must use it first, so that the rule cannot lock the owner out of the setting."""
    _require_owner(customer=customer, actor=actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if required and not user_has_mfa(actor):
        raise ValidationError(
            _("Set up two-factor authentication for yourself before requiring it of everyone."),
            code="owner_without_mfa",
        )
    if customer.mfa_required == required:
        return customer
    customer.mfa_required = required
    customer.full_clean()
    customer.save(update_fields=["mfa_required", "updated_at"])
    audit_record(
        action="accounts.customer.mfa_required" if required else "accounts.customer.mfa_optional",
        actor=actor,
        customer=customer,
        target=customer,
        clause="art6.1",
        request=request,
    )
    return customer


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
    from notices.services import notice_create

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
        transaction.on_commit(functools.partial(_alert_staff_of_incident, incident.pk))
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
        clause="art6.3",
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
            kind="credentials_compromised",
            clause="art6.3",
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


def _alert_staff_of_incident(incident_id: int) -> None:
    """Staff learn of a new incident at once (Art. 6(3): the provider gives instructions)."""
    incident = Incident.objects.select_related("customer", "user").get(pk=incident_id)
    link = settings.SITE_URL + reverse("admin:accounts_incident_change", args=[incident.pk])
    company = incident.customer.name if incident.customer else "-"
    send_mail(
        subject=f"[CTS] Credentials incident #{incident.pk}: {incident.user.email}",
        message=(
            f"Stolen or misused credentials were reported (Art. 6(3)).\n\n"
            f"Company: {company}\nLogin: {incident.user.email}\n"
            f"Channel: {incident.channel}\nScope: {incident.scope}\n\n{link}\n"
        ),
        from_email=None,
        recipient_list=[settings.PROVIDER_EMAIL],
    )


def _incident_note(incident: Incident, *, actor: User, note: str) -> None:
    note = note.strip()
    if note:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        entry = f"[{stamp} {actor.email}] {note}"
        incident.notes = f"{incident.notes}\n{entry}".strip()


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
    _incident_note(incident, actor=actor, note=note)
    incident.full_clean()
    incident.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "notes"])
    audit_record(
        action="accounts.incident.acknowledged",
        actor=actor,
        customer=incident.customer,
        target=incident,
        clause="art6.3",
        request=request,
        extra={"note": note.strip()},
    )
    return incident


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
    _incident_note(incident, actor=actor, note=note)
    incident.full_clean()
    incident.save(
        update_fields=[
            "state",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "notes",
        ]
    )
    audit_record(
        action="accounts.incident.resolved",
        actor=actor,
        customer=incident.customer,
        target=incident,
        clause="art6.3",
        request=request,
        extra={"note": note.strip()},
    )
    return incident


# --- Credential-sharing signal and unseen devices (Art. 6(1)) ---------------------------------


def network_of(ip: str) -> str:
    """The network an address belongs to: /24 for IPv4, /48 for IPv6, so that a device
    hopping between addresses of one provider counts once."""
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@transaction.atomic
def sighting_record(
    *, user: User, ip: str | None, user_agent: str, source: str
) -> NetworkSighting | None:
    """Notes that ``user`` was active from ``ip``, and raises (or adds evidence to) a
    sharing flag when the user is seen from more than SHARING_MAX_NETWORKS networks within
    SHARING_WINDOW_MINUTES. Called at sign-in and when a session's address changes, so it
    costs a few queries per sign-in, not per request. Never locks anyone out."""
    if not ip:
        return None
    try:
        network = network_of(ip)
    except ValueError:
        return None
    now = timezone.now()
    NetworkSighting.objects.filter(
        user=user, seen_at__lt=now - timedelta(days=settings.SIGHTING_RETENTION_DAYS)
    ).delete()
    sighting = NetworkSighting.objects.create(
        user=user,
        network=network,
        ip_address=ip,
        user_agent=user_agent[:300],
        device_key=device_key(user_agent),
        source=source,
        seen_at=now,
    )
    window = NetworkSighting.objects.filter(
        user=user, seen_at__gte=now - timedelta(minutes=settings.SHARING_WINDOW_MINUTES)
    ).order_by("seen_at")
    networks = set(window.values_list("network", flat=True))
    if len(networks) > settings.SHARING_MAX_NETWORKS:
        _sharing_flag_raise(user=user, networks=networks, window=window)
    return sighting


def _sharing_flag_raise(
    *, user: User, networks: set[str], window: models.QuerySet[NetworkSighting]
) -> SharingFlag:
    evidence = [
        {
            "network": s.network,
            "ip": s.ip_address,
            "user_agent": s.user_agent,
            "seen_at": s.seen_at.isoformat(),
            "source": s.source,
        }
        for s in window[:100]
    ]
    User.objects.select_for_update().get(pk=user.pk)
    flag = SharingFlag.objects.filter(user=user, reviewed_at__isnull=True).first()
    now = timezone.now()
    if flag is not None:
        known = {(e["ip"], e["seen_at"]) for e in flag.evidence}
        flag.evidence = [
            *flag.evidence,
            *(e for e in evidence if (e["ip"], e["seen_at"]) not in known),
        ][-300:]
        flag.network_count = max(flag.network_count, len(networks))
        flag.updated_at = now
        flag.save(update_fields=["evidence", "network_count", "updated_at"])
        return flag
    customer = _customer_of(user)
    flag = SharingFlag(
        user=user,
        customer=customer,
        created_at=now,
        updated_at=now,
        network_count=len(networks),
        evidence=evidence,
    )
    flag.full_clean()
    flag.save()
    audit_record(
        action="accounts.sharing.flagged",
        actor_label="sharing signal",
        customer=customer,
        target=flag,
        clause="art6.1",
        extra={"networks": sorted(networks)},
    )
    return flag


@transaction.atomic
def sharing_flag_review(
    *, flag: SharingFlag, actor: User, note: str = "", request: HttpRequest | None = None
) -> SharingFlag:
    flag = SharingFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        raise ValidationError(_("This flag has already been reviewed."), code="reviewed")
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = actor
    flag.review_note = note.strip()
    flag.full_clean()
    flag.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    audit_record(
        action="accounts.sharing.reviewed",
        actor=actor,
        customer=flag.customer,
        target=flag,
        clause="art6.1",
        request=request,
        extra={"note": flag.review_note},
    )
    return flag


def device_key(user_agent: str) -> str:
    """The browser and system named by a user agent, without version numbers."""
    family = re.sub(r"[0-9][0-9._]*", "", user_agent).strip().lower()
    return hashlib.sha256(family.encode("utf-8")).hexdigest()[:32]


def device_is_unseen(*, user: User, user_agent: str) -> bool:
    """True when the user has signed in before, but never from this kind of browser and
    system. The first sign-in of a new login is not an alert."""
    seen = NetworkSighting.objects.filter(user=user)
    if not seen.exists():
        return False
    return not seen.filter(device_key=device_key(user_agent)).exists()


# --- Security e-mails (Art. 6(3): the customer must learn of misuse at once) ------------------


def security_alert_send(
    *,
    user: User,
    event: str,
    request: HttpRequest | None = None,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Tells the user about a change to their login, with the "this wasn't me" link. For a
    member it is a notice (stored, Art. 16); for someone without a company (staff, an
    applicant) the same text is e-mailed directly, as there is no customer to file it under."""
    from notices.services import notice_create

    to = email or user.email
    context: dict[str, Any] = {
        "event": event,
        "user": user,
        "occurred_at": timezone.now(),
        "ip": client_ip(request) or "",
        "user_agent": (request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        "compromised_url": compromise_url(user),
        "link_days": settings.COMPROMISE_LINK_MAX_AGE_DAYS,
        "details": details or {},
    }
    customer = _customer_of(user)
    if customer is not None:
        notice_create(
            customer=customer,
            kind="security_alert",
            clause="art6.3",
            subject=user,
            period=f"{event}:{uuid.uuid4().hex}"[:64],
            recipients=[to],
            context=context,
        )
        return
    language = translation.get_language() or settings.LANGUAGE_CODE
    language = "en" if language.startswith("en") else "ja"
    base = f"emails/security_alert.{language}"
    full = {"customer": None, "notice": None, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        # Plain-text parts are rendered without HTML escaping, as notices do.
        subject_tpl: Any = get_template(f"{base}.subject.txt")
        text_tpl: Any = get_template(f"{base}.txt")
        subject = " ".join(subject_tpl.template.render(Context(full, autoescape=False)).split())
        text = text_tpl.template.render(Context(full, autoescape=False))
        html = get_template(f"{base}.html").render(full)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(lambda: message.send(fail_silently=False))
