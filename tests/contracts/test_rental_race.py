"""Two members of staff assigning the same unit to two requests at the same moment: one
wins, the other is told the unit is taken. Real threads, real transactions, real row locks
on PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry
from cameras.models import Unit
from contracts.models import Rental, RentalUnit
from contracts.services import rentals as services
from tests.contracts.rental_helpers import make_request
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_staff_assigning_the_same_unit_at_once_one_wins() -> None:
    customer = CustomerFactory()
    user = UserFactory()
    MembershipFactory(user=user, customer=customer, role="owner")
    first = make_request(customer, user)
    second = make_request(customer, user, first.product)
    unit = UnitFactory(product=first.product)
    staff_1 = StaffFactory(mfa=False)
    staff_2 = StaffFactory(mfa=False)

    results = race(
        [
            lambda: services.rental_approve(rental=first, unit_ids=[unit.pk], actor=staff_1),
            lambda: services.rental_approve(rental=second, unit_ids=[unit.pk], actor=staff_2),
        ]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError)
    assert errors[0].code in {"unit_not_in_stock", "unit_taken"}
    assert RentalUnit.objects.filter(unit=unit).count() == 1
    assert Rental.objects.filter(state="approved").count() == 1
    assert Rental.objects.filter(state="requested").count() == 1
    assert Unit.objects.get(pk=unit.pk).state == Unit.State.ASSIGNED
    assert AuditEntry.objects.filter(action="contracts.rental.approved").count() == 1
