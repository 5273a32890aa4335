"""The lifecycle wired to rentals: revocation, applied cancellations and service ends end the
rentals (with their video-data deletion records), revocation brings every charge due
(Art. 12(2)), and the units still held are on the return checklist (Art. 12(5))."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.clauses import Clause
from accounts.models import Customer, User
from contracts.models import (
    Charge,
    Rental,
    ReturnChecklist,
    ReturnItem,
    ServiceEnd,
    ServiceInterruption,
    VideoDeletionRecord,
)
from contracts.services import cancellations, service_events, standing
from notices.models import Notice
from tests.contracts.rental_helpers import make_active
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_revocation_ends_rentals_brings_charges_due_and_lists_the_units(
    customer_a: Customer, alice: User, staff: User
) -> None:
    rental = make_active(customer_a, alice, staff)
    Charge.objects.create(
        customer=customer_a,
        rental=rental,
        period=date(2026, 11, 1),
        amount_yen=9800,
        days_charged=30,
        days_in_month=30,
        due_on=date(2027, 1, 31),
    )
    revocation = standing.customer_revoke(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="Unpaid."
    )
    rental.refresh_from_db()
    assert rental.state == Rental.State.ENDED
    assert revocation.rentals_ended == 1
    assert revocation.balance_due == 9800
    assert Charge.objects.get().accelerated_at is not None
    assert VideoDeletionRecord.objects.filter(rental=rental).exists()
    units = ReturnItem.objects.filter(checklist__customer=customer_a, kind=ReturnItem.Kind.UNIT)
    assert [i.unit_ref for i in units] == [str(a.unit_id) for a in rental.assignments.all()]
    [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.REVOCATION)
    assert "9800円" in notice.body_text
    assert "レンタル機材" in notice.body_text


def test_an_applied_cancellation_ends_the_rentals_and_lists_the_units(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    rental = make_active(customer_a, alice, staff)
    other = make_active(customer_b, charlie, staff)
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(cancellation.effective_at + timedelta(minutes=1), tick=False):
        assert cancellations.cancellations_apply_due().changed == 1
    rental.refresh_from_db()
    other.refresh_from_db()
    cancellation.refresh_from_db()
    assert rental.state == Rental.State.ENDED
    assert other.state == Rental.State.ACTIVE
    assert cancellation.rentals_ended == 1
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    assert checklist.items.filter(kind=ReturnItem.Kind.UNIT).count() == 1
    [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.CANCELLATION_APPLIED)
    assert "終了したレンタル契約: 1件" in notice.body_text


def test_a_product_line_end_ends_only_its_rentals_and_tells_only_its_renters(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    backhoe = ProductFactory(category="backhoe_camera_system", model_code="BH-1")
    camera_rental = make_active(customer_a, alice, staff)
    backhoe_rental = make_active(customer_b, charlie, staff, product=backhoe)
    t0 = datetime.now(UTC)
    service_end = service_events.service_end_announce(
        actor=staff,
        scope=ServiceEnd.Scope.CATEGORY,
        category="backhoe_camera_system",
        title="バックホウカメラの提供終了",
        effective_at=t0 + timedelta(days=31),
    )
    assert Notice.objects.filter(kind=Notice.Kind.SERVICE_END).count() == 1
    assert Notice.objects.get(kind=Notice.Kind.SERVICE_END).customer == customer_b
    with time_machine.travel(service_end.effective_at, tick=False):
        assert service_events.service_ends_apply_due().changed == 1
    camera_rental.refresh_from_db()
    backhoe_rental.refresh_from_db()
    service_end.refresh_from_db()
    assert camera_rental.state == Rental.State.ACTIVE
    assert backhoe_rental.state == Rental.State.ENDED
    assert service_end.rentals_ended == 1


def test_a_category_interruption_reaches_the_customers_renting_in_it(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    make_active(customer_a, alice, staff)
    t0 = datetime.now(UTC)
    interruption = service_events.interruption_schedule(
        actor=staff,
        scope=ServiceInterruption.Scope.CATEGORY,
        category="network_camera",
        reason=Clause.ART8_1_4,
        title="通信事業者の保守",
        starts_at=t0 + timedelta(days=1),
        ends_at=t0 + timedelta(days=1, hours=4),
    )
    assert list(service_events.interruption_affected_customers(interruption)) == [customer_a]
    assert service_events.interruptions_for_customer(customer=customer_a) == [interruption]
    assert service_events.interruptions_for_customer(customer=customer_b) == []
