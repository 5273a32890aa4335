"""The company's members (Art. 6(1): one login per person): removal and ownership transfer.
Only the owner may change who belongs to the company; provider staff may also hand ownership
over (from the admin)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    Customer,
    Membership,
    User,
)

from .sessions import user_sessions_end
from .tokens import user_tokens_revoke_all


def membership_require_owner(*, customer: Customer, actor: User) -> Membership:
    """The actor's membership if the actor owns ``customer``; PermissionDenied otherwise."""
    membership = Membership.objects.filter(user=actor, customer=customer).first()
    if membership is None or not membership.is_owner:
        raise PermissionDenied(_("Only the company's owner can do this."))
    return membership


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
    membership_require_owner(customer=customer, actor=actor)
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
        clause=Clause.ART6_1,
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
    """The owner hands ownership to another member."""
    current = membership_require_owner(customer=customer, actor=actor)
    if to_membership.pk == current.pk:
        raise ValidationError(_("You are already the owner."), code="already_owner")
    return _ownership_move(
        customer=customer, to_membership=to_membership, actor=actor, request=request, extra={}
    )


@transaction.atomic
def ownership_transfer_by_staff(
    *,
    membership: Membership,
    actor: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> Membership:
    """Provider staff make ``membership`` the owner of its company (for example when the
    owner has left and cannot hand over), with a note saying why."""
    if not actor.is_staff:
        raise PermissionDenied
    if membership.role == Membership.Role.OWNER:
        raise ValidationError(_("This member is already the owner."), code="already_owner")
    return _ownership_move(
        customer=membership.customer,
        to_membership=membership,
        actor=actor,
        request=request,
        extra={"by_staff": True, "note": note.strip()},
    )


def _ownership_move(
    *,
    customer: Customer,
    to_membership: Membership,
    actor: User,
    request: HttpRequest | None,
    extra: dict[str, Any],
) -> Membership:
    """Demote and promote in one transaction, so the company has exactly one owner before
    and after (the partial unique constraint and the deferred owner trigger of migration
    0002 hold at commit)."""
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update()
        .select_related("user")
        .filter(customer=customer)
        .filter(Q(pk=to_membership.pk) | Q(role=Membership.Role.OWNER))
        .order_by("pk")
    }
    target = rows.get(to_membership.pk)
    if target is None:
        raise Membership.DoesNotExist
    current = next(m for m in rows.values() if m.role == Membership.Role.OWNER)
    if target.pk == current.pk:
        raise ValidationError(_("This member is already the owner."), code="already_owner")
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
        clause=Clause.ART6_1,
        request=request,
        extra={"from": current.user.email, "to": target.user.email, **extra},
    )
    return target
