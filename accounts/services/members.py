"""The company's members (Art. 6(1): one login per person): removal and ownership transfer.
Only the owner may change who belongs to the company."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
    """Hands ownership to another member. Demote and promote happen in one transaction, so
    the company has exactly one owner before and after (the partial unique constraint and
    the deferred owner trigger of migration 0002 hold at commit)."""
    current = membership_require_owner(customer=customer, actor=actor)
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
        clause=Clause.ART6_1,
        request=request,
        extra={"from": current.user.email, "to": target.user.email},
    )
    return target
