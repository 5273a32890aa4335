"""The customer record: creation with its owner, and the last-activity stamp that Art. 12(1)(5)
counts from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.freshness import unseen_writes
from accounts.models import (
    Customer,
    Membership,
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
    with unseen_writes():
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
        clause=Clause.ART4_1,
    )
    return customer


# The company's registration details, which staff may correct in the admin. The status and
# its dates change only through the lifecycle services; mfa_required only by the owner.
CUSTOMER_DETAIL_FIELDS = (
    "name",
    "name_kana",
    "corporate_number",
    "postal_code",
    "address",
    "phone",
    "language",
)


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    actor: User,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
) -> Customer:
    """Staff correct the company's registration details. Each change is audited with the
    old and the new value; fields outside CUSTOMER_DETAIL_FIELDS are refused."""
    refused = set(changes) - set(CUSTOMER_DETAIL_FIELDS)
    if refused:
        raise ValueError(f"Not editable here: {', '.join(sorted(refused))}")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    changed = {
        field: [getattr(customer, field), value]
        for field, value in changes.items()
        if getattr(customer, field) != value
    }
    if not changed:
        return customer
    for field, (_old, new) in changed.items():
        setattr(customer, field, new)
    customer.full_clean()
    customer.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action="accounts.customer.updated",
        actor=actor,
        customer=customer,
        target=customer,
        request=request,
        extra={"changes": changed},
    )
    return customer
