"""The customer record: creation with its owner, and the last-activity stamp that Art. 12(1)(5)
counts from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.clauses import Clause
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
