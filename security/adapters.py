"""How the portal plugs into django-allauth: sign-up stays open to invitees when it is closed,
and allauth's e-mails about changes to a login become our security e-mails (Art. 6(3))."""

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.audit import client_ip
from accounts.current import ENDED_SIGN_IN_SESSION_KEY, person_confirmed_note
from accounts.models import Customer, Invitation, Membership, User

from .services.alerts import security_alert_send
from .services.credentials import compromise_url

# Session key set when someone opens a valid invitation link (security.views.invitation).
INVITATION_SESSION_KEY = "accounts_invitation_id"

# allauth's notification e-mails about changes to a login, and the event each one is in
# our security e-mails (templates/emails/security_alert.*).
SECURITY_EVENTS = {
    "account/email/password_changed": "password_changed",
    "account/email/password_set": "password_set",
    "account/email/password_reset": "password_reset",
    "account/email/email_changed": "email_changed",
    "account/email/email_deleted": "email_deleted",
    "mfa/email/totp_activated": "mfa_added",
    "mfa/email/webauthn_added": "mfa_added",
    "mfa/email/totp_deactivated": "mfa_removed",
    "mfa/email/webauthn_removed": "mfa_removed",
    "mfa/email/recovery_codes_generated": "recovery_codes_generated",
}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # An operator can close self-service sign-up (SIGNUP_OPEN=false); invitations still work.
        if settings.SIGNUP_OPEN:
            return True
        invitation_id = request.session.get(INVITATION_SESSION_KEY)
        return bool(
            invitation_id
            and Invitation.objects.filter(
                pk=invitation_id,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            ).exists()
        )

    def clean_email(self, email: str) -> str:
        """allauth's forms (sign-up, adding an address) accept Django's 320 characters; the
        login is at most the column's 254, which only saving refused (a server error)."""
        email = super().clean_email(email)
        limit = User._meta.get_field("email").max_length
        if limit is not None:
            MaxLengthValidator(limit)(email)
        return email

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits and session list see the client address the audit log
        records (TRUSTED_PROXY_COUNT)."""
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def respond_user_inactive(self, request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
        """The right password of a login disabled by its company's cancellation (Art. 12(3))
        leads to a page saying so, with what the company must return (Art. 12(5)) and the
        notices it was sent (``ctsportal.views.account_inactive``), not to a bare "inactive"."""
        membership = Membership.objects.filter(
            user_id=user.pk, customer__status=Customer.Status.CANCELLED
        ).first()
        if membership is None:
            request.session.pop(ENDED_SIGN_IN_SESSION_KEY, None)
        else:
            request.session[ENDED_SIGN_IN_SESSION_KEY] = {
                "customer": membership.customer_id,
                "user": user.pk,
            }
        return super().respond_user_inactive(request, user)

    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        """A correct password entered again also confirms the person for sensitive API
        calls made with their tokens (ctsportal.policy)."""
        confirmed = super().reauthenticate(user, password)
        if confirmed:
            person_confirmed_note(user.pk, time.time())
        return confirmed

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """allauth decides when a change to a login is worth an e-mail; we send it as a
        security e-mail with the "this wasn't me" link (Art. 6(3)), through the notices
        outbox for members of a company."""
        if not account_settings.EMAIL_NOTIFICATIONS or not isinstance(user, User):
            return
        event = SECURITY_EVENTS.get(template_prefix)
        if event is None:
            ctx = {**(context or {}), "compromised_url": compromise_url(user)}
            super().send_notification_mail(template_prefix, user, ctx, email)
            return
        details = {k: str(v) for k, v in (context or {}).items() if k in _DETAIL_KEYS}
        security_alert_send(
            user=user, event=event, request=self.request, email=email, details=details
        )


_DETAIL_KEYS = {"from_email", "to_email", "deleted_email", "email"}
