"""Two-factor authentication: whether a person uses it, and the owner's rule that every member
must (Art. 6(1))."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    Customer,
    User,
)

from .members import membership_require_owner


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
    membership_require_owner(customer=customer, actor=actor)
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
        clause=Clause.ART6_1,
        request=request,
    )
    return customer
