"""seed_demo fills the catalogue, the units and one running rental for the demo company;
running it again adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cameras.models import Product, Unit
from contracts.models import BackhoeAcknowledgement, Rental, UsageContract

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_catalogue_and_a_running_rental_once() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    products, units = Product.objects.count(), Unit.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert (Product.objects.count(), Unit.objects.count()) == (products, units)
    categories = set(Product.objects.values_list("category", flat=True))
    assert categories == {"network_camera", "backhoe_camera_system", "accessory"}
    assert Product.objects.filter(connectivity="lte", power="solar_battery").exists()
    assert Product.objects.get(model_code="NC-SOLAR-LTE02").accessories.count() == 2
    rental = Rental.objects.get()
    assert rental.customer.name == "株式会社山田建設"
    assert rental.state == "active" and rental.monthly_fee_yen == 15000
    assert rental.assignments.get().unit.state == "assigned"
    assert BackhoeAcknowledgement.objects.filter(rental=rental).exists()
    contract = UsageContract.objects.get(customer=rental.customer)
    assert contract.terms_versions


def test_every_demo_company_has_its_usage_contract_and_can_request_equipment() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Customer, Membership
    from contracts.services import rentals

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    camera = Product.objects.filter(category="network_camera", active=True).first()
    assert camera is not None
    customers = list(Customer.objects.filter(status="active"))
    assert customers, "the demo data has active companies"
    for customer in customers:
        assert UsageContract.objects.filter(customer=customer).count() == 1, customer.name
        owner = Membership.objects.get(customer=customer, role="owner").user
        rental = rentals.rental_request(
            customer=customer,
            user=owner,
            data=rentals.RentalRequestData(
                product=camera,
                quantity=1,
                site_name="デモ現場",
                site_address="東京都千代田区",
                desired_start=timezone.localdate() + timedelta(days=7),
            ),
        )
        assert rental.state == "requested" and rental.contract.customer_id == customer.pk
