"""Invitations of colleagues (Art. 6(1): each person signs in with their own login). Creating
one sends a notice, so this workflow sits above the notices app."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    Customer,
    Invitation,
    Membership,
    User,
)
from accounts.services.members import membership_require_owner
from notices.models import Notice
from notices.services import notice_create


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

    membership_require_owner(customer=customer, actor=actor)
    email = User.objects.normalize_email(email).strip().lower()
    validate_email(email)
    # Art. 6(1): a person acts for one company only, with their own login.
    existing = Membership.objects.filter(user__email__iexact=email).first()
    if existing is not None and existing.customer_id == customer.pk:
        raise ValidationError(
            _("This person is already a member of your company."), code="already_member"
        )
    if existing is not None:
        # Whether an address belongs to another company is that company's business: the
        # inviter learns only that it cannot be invited.
        raise ValidationError(_("This address cannot be invited."), code="cannot_invite")
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
        clause=Clause.ART6_1,
        request=request,
        extra={"email": email},
    )
    notice_create(
        customer=customer,
        kind=Notice.Kind.MEMBER_INVITATION,
        clause=Clause.ART6_1,
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
    if invitation.customer.has_ended:
        raise ValidationError(
            _("The company's registration has ended; it cannot take new members."),
            code="closed",
        )
    if invitation.customer.status == Customer.Status.SUSPENDED:
        # Art. 12(1): a suspended company changes nothing, its members included; an
        # invitation sent before the suspension waits until it is lifted.
        raise ValidationError(
            _(
                "The company's use of the service is suspended, so it cannot take new members "
                "now. Please try again after the suspension is lifted."
            ),
            code="suspended",
        )


def invitation_check_person(invitation: Invitation, user: User) -> None:
    """Raises why ``user`` cannot accept ``invitation``: another address than the invited
    one, or a member of a company already. Checked when the link is opened signed in (so the
    page says so at once) and again, under the lock, when it is accepted."""
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email},
            code="wrong_email",
        )
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


@transaction.atomic
def invitation_accept(*, token: str, user: User, request: HttpRequest | None = None) -> Membership:
    """Makes ``user`` a member of the inviting company. The user must have verified the
    invited e-mail address and must not belong to any company yet."""

    found = invitation_for_token(token)
    invitation = (
        Invitation.objects.select_for_update().get(pk=found.pk) if found is not None else None
    )
    invitation_check(invitation)
    assert invitation is not None
    User.objects.select_for_update().get(pk=user.pk)
    invitation_check_person(invitation, user)
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
        clause=Clause.ART6_1,
        request=request,
    )
    return membership


@transaction.atomic
def invitation_revoke(
    *, customer: Customer, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> Invitation:
    membership_require_owner(customer=customer, actor=actor)
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
        clause=Clause.ART6_1,
        request=request,
        extra={"email": invitation.email},
    )
    return invitation
