"""Builders of rentals in each state, through the services (the path staff and customers
take)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Customer, Membership, User
from cameras.models import Product, Unit
from contracts.models import Charge, Payment, Rental
from contracts.services import rental_operations
from contracts.services import rentals as services
from tests.factories import ProductFactory, UnitFactory, make_usage_contract


def request_data(product: Product, **overrides: Any) -> services.RentalRequestData:
    values: dict[str, Any] = {
        "product": product,
        "quantity": 1,
        "site_name": "札幌駅前再開発工区",
        "site_address": "北海道札幌市北区北6条西4丁目",
        "desired_start": timezone.localdate() + timedelta(days=7),
    }
    if product.is_backhoe:
        values.update(machine_maker="コマツ", machine_model="PC200-11", machine_number="K-0001")
    values.update(overrides)
    return services.RentalRequestData(**values)


def make_request(
    customer: Customer, user: User, product: Product | None = None, **overrides: Any
) -> Rental:
    make_usage_contract(customer)
    product = product or ProductFactory()
    return services.rental_request(
        customer=customer,
        user=user,
        data=request_data(product, **overrides),
        backhoe_acknowledged=product.is_backhoe,
    )


def make_units(product: Product, count: int) -> list[Unit]:
    return [UnitFactory(product=product) for _ in range(count)]


def make_approved(customer: Customer, user: User, staff: User, **overrides: Any) -> Rental:
    rental = make_request(customer, user, **overrides)
    units = make_units(rental.product, rental.quantity)
    return services.rental_approve(rental=rental, unit_ids=[u.pk for u in units], actor=staff)


def make_active(
    customer: Customer,
    user: User,
    staff: User,
    *,
    started: date | None = None,
    **overrides: Any,
) -> Rental:
    rental = make_approved(customer, user, staff, **overrides)
    delivered_at = None
    if started is not None:
        delivered_at = timezone.make_aware(datetime(started.year, started.month, started.day, 10))
    return rental_operations.rental_record_delivery(
        rental=rental, actor=staff, delivered_at=delivered_at
    )


def bulk_rentals(customer: Customer, staff: User, count: int) -> list[Rental]:
    """``count`` active rentals with one unit, one charge, one payment and one deletion
    record each, inserted in bulk (for query-count tests at many rows)."""
    from contracts.models import Charge, Payment, RentalUnit, VideoDeletionRecord

    contract = make_usage_contract(customer)
    product = ProductFactory()
    requester = Membership.objects.filter(customer=customer).first().user
    now = timezone.now()
    rentals = Rental.objects.bulk_create(
        [
            Rental(
                customer=customer,
                contract=contract,
                product=product,
                quantity=1,
                state=Rental.State.ACTIVE,
                site_name=f"現場{i}",
                site_address="東京都",
                desired_start=now.date(),
                requested_by=requester,
                decided_by=staff,
                decided_at=now,
                started_at=now,
                unit_fee_yen=9800,
                monthly_fee_yen=9800,
            )
            for i in range(count)
        ]
    )
    units = Unit.objects.bulk_create(
        [
            Unit(product=product, serial=f"BULK-{customer.pk}-{i:05d}", state="assigned")
            for i in range(count)
        ]
    )
    RentalUnit.objects.bulk_create(
        [
            RentalUnit(rental=r, unit=u, assigned_by=staff)
            for r, u in zip(rentals, units, strict=True)
        ]
    )
    Charge.objects.bulk_create([_january_charge(customer, r) for r in rentals])
    Payment.objects.bulk_create([_january_payment(customer) for _ in rentals])
    VideoDeletionRecord.objects.bulk_create(
        [
            VideoDeletionRecord(
                customer=customer, rental=r, unit=u, storage="sd_card", clause="art10.7"
            )
            for r, u in zip(rentals, units, strict=True)
        ]
    )
    return rentals


def make_charge(rental: Rental, *, period: date, due_on: date, amount_yen: int = 9800) -> Charge:
    """A whole month's charge of ``rental``, made by hand (where the monthly job is not what
    a test is about)."""
    days = calendar.monthrange(period.year, period.month)[1]
    return Charge.objects.create(
        customer=rental.customer,
        rental=rental,
        period=period,
        amount_yen=amount_yen,
        days_charged=days,
        days_in_month=days,
        due_on=due_on,
    )


def _january_charge(customer: Customer, rental: Rental) -> Charge:
    """January's charge of ``rental`` (9,800 yen, due at the end of February), unsaved."""
    return Charge(
        customer=customer,
        rental=rental,
        period=date(2026, 1, 1),
        amount_yen=9800,
        days_charged=31,
        days_in_month=31,
        due_on=date(2026, 2, 28),
    )


def _january_payment(customer: Customer) -> Payment:
    """The payment of one January charge, unsaved."""
    return Payment(customer=customer, amount_yen=9800, received_on=date(2026, 2, 1), method="other")


def make_charge_and_payment(customer: Customer, rental: Rental) -> tuple[Charge, Payment]:
    """January's charge of ``rental`` and its payment."""
    charge = _january_charge(customer, rental)
    charge.save()
    payment = _january_payment(customer)
    payment.save()
    return charge, payment
