"""The HTTP benchmark's customer at scale (bench/scale.py) is built as asked and topped up,
never doubled, when the benchmark runs again."""

from __future__ import annotations

import pytest

from accounts.models import User
from bench.scale import PRODUCT, scale_customer
from contracts.models import Rental
from tests.factories import ProductFactory, make_usage_contract

pytestmark = pytest.mark.django_db


def test_the_company_gets_its_rentals_units_and_notices_once(alice: User, staff: User) -> None:
    make_usage_contract(alice.membership.customer)
    ProductFactory(model_code=PRODUCT, recording="nas", monthly_fee_yen=6800)
    built = scale_customer(
        owner_email=alice.email, staff_email=staff.email, rentals=6, units=14, notices=9
    )
    assert (built.rentals, built.units, built.notices) == (6, 14, 9)
    again = scale_customer(
        owner_email=alice.email, staff_email=staff.email, rentals=6, units=14, notices=9
    )
    assert again == built
    rental = Rental.objects.get(pk=built.rental_id)
    assert rental.customer_id == alice.membership.customer.pk
    assert sorted(r.assignments.count() for r in Rental.objects.all()) == [2, 2, 2, 2, 3, 3]
