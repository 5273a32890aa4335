"""Rental services: the request and its checks, the backhoe acknowledgement (Art. 13(10)),
approval by assigning units, delivery and the fee snapshot, returns, wipes and deletion
records (Art. 10(6)(7)), and the set-wise ends the customer lifecycle calls."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from cameras import services as camera_services
from cameras.models import Product, Unit
from contracts.models import (
    BackhoeAcknowledgement,
    Rental,
    RentalUnit,
    VideoDeletionRecord,
)
from contracts.selectors.rentals import units_to_return
from contracts.services import rental_ends, rental_operations
from contracts.services import rentals as services
from tests.contracts.rental_helpers import (
    make_active,
    make_approved,
    make_request,
    make_units,
    request_data,
)
from tests.factories import CustomerFactory, ProductFactory, UnitFactory, make_usage_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def backhoe() -> Product:
    return ProductFactory(
        category=Product.Category.BACKHOE_CAMERA_SYSTEM,
        model_code="BH-100",
        recording=Product.Recording.SD_CARD,
        connectivity=Product.Connectivity.WIFI,
        power=Product.Power.VEHICLE,
        monthly_fee_yen=15000,
    )


# --- Request ---------------------------------------------------------------------------------


def test_an_active_customer_requests_a_camera_for_a_site(customer_a: Customer, alice: User):
    rental = make_request(customer_a, alice, quantity=2)
    assert rental.state == Rental.State.REQUESTED
    assert rental.contract.customer == customer_a
    assert rental.quantity == 2
    assert rental.recording == "cloud"
    assert rental.monthly_fee_yen is None
    assert AuditEntry.objects.filter(action="contracts.rental.requested", clause="art3").exists()


def test_suspended_customer_cannot_request(customer_a: Customer, alice: User):
    make_usage_contract(customer_a)
    customer_a.status = Customer.Status.SUSPENDED
    customer_a.save()
    with pytest.raises(ValidationError) as exc:
        make_request(customer_a, alice)
    assert exc.value.code == "customer_not_active"
    assert Rental.objects.count() == 0


def test_a_customer_whose_cancellation_is_scheduled_may_still_request(
    customer_a: Customer, alice: User
):
    customer_a.status = Customer.Status.CANCELLATION_SCHEDULED
    customer_a.save()
    assert make_request(customer_a, alice).state == Rental.State.REQUESTED


def test_a_request_needs_the_usage_contract(customer_a: Customer, alice: User):
    with pytest.raises(ValidationError) as exc:
        services.rental_request(
            customer=customer_a, user=alice, data=request_data(ProductFactory())
        )
    assert exc.value.code == "no_contract"


def test_another_companys_user_cannot_request_for_it(customer_a: Customer, charlie: User):
    make_usage_contract(customer_a)
    with pytest.raises(ValidationError) as exc:
        make_request(customer_a, charlie)
    assert exc.value.code == "not_member"


def test_inactive_products_and_accessories_cannot_be_requested(customer_a: Customer, alice: User):
    for product in (
        ProductFactory(active=False),
        ProductFactory(category=Product.Category.ACCESSORY),
    ):
        with pytest.raises(ValidationError):
            make_request(customer_a, alice, product)


def test_backhoe_acknowledgement_is_required_on_every_request(
    customer_a: Customer, alice: User, backhoe: Product
):
    first = make_request(customer_a, alice, backhoe)
    ack = BackhoeAcknowledgement.objects.get(rental=first)
    assert "事故を回避するものではない" in ack.text
    assert ack.sha256 == hashlib.sha256(ack.text.encode()).hexdigest()
    assert ack.user == alice
    # The second request of the same product asks again.
    with pytest.raises(ValidationError) as exc:
        services.rental_request(
            customer=customer_a,
            user=alice,
            data=request_data(backhoe),
            backhoe_acknowledged=False,
        )
    assert "backhoe_acknowledged" in exc.value.message_dict
    assert Rental.objects.filter(product=backhoe).count() == 1
    assert (
        AuditEntry.objects.filter(
            action="contracts.rental.backhoe_acknowledged", clause="art13.10"
        ).count()
        == 1
    )


def test_a_backhoe_request_names_the_machine(customer_a: Customer, alice: User, backhoe: Product):
    make_usage_contract(customer_a)
    with pytest.raises(ValidationError) as exc:
        services.rental_request(
            customer=customer_a,
            user=alice,
            data=request_data(backhoe, machine_number=""),
            backhoe_acknowledged=True,
        )
    assert "machine_number" in exc.value.message_dict


def test_the_acknowledgement_keeps_the_text_shown_in_english(
    customer_a: Customer, alice: User, backhoe: Product
):
    make_usage_contract(customer_a)
    text, language = services.backhoe_acknowledgement_text("en")
    rental = services.rental_request(
        customer=customer_a,
        user=alice,
        data=request_data(backhoe),
        backhoe_acknowledged=True,
        acknowledgement_text=text,
        acknowledgement_language=language,
    )
    ack = rental.backhoe_acknowledgement
    assert ack.language == "en" and "not a device" in ack.text


# --- Approval and units ---------------------------------------------------------------------


def test_staff_approve_by_assigning_in_stock_units(customer_a: Customer, alice: User, staff: User):
    rental = make_request(customer_a, alice, quantity=2)
    units = make_units(rental.product, 2)
    services.rental_approve(rental=rental, unit_ids=[u.pk for u in units], actor=staff)
    rental.refresh_from_db()
    assert rental.state == Rental.State.APPROVED
    assert rental.decided_by == staff
    assert {a.unit_id for a in rental.assignments.all()} == {u.pk for u in units}
    assert set(
        Unit.objects.filter(pk__in=[u.pk for u in units]).values_list("state", flat=True)
    ) == {"assigned"}


def test_only_provider_staff_decide_deliver_and_end_rentals(
    customer_a: Customer, alice: User, staff: User
):
    """The staff-only acts refuse anyone else in the service itself, not only in the admin."""
    from django.core.exceptions import PermissionDenied

    requested = make_request(customer_a, alice)
    units = make_units(requested.product, 1)
    active = make_active(customer_a, alice, staff)
    unit = active.assignments.get().unit
    acts = [
        lambda: services.rental_approve(rental=requested, unit_ids=[units[0].pk], actor=alice),
        lambda: services.rental_reject(rental=requested, actor=alice, reason="no"),
        lambda: rental_operations.rental_suspend(
            rental=active, actor=alice, clause=Clause.ART8_1, reason="x"
        ),
        lambda: rental_operations.rental_end(rental=active, actor=alice),
        lambda: rental_operations.unit_wipe(unit=unit, actor=alice),
    ]
    audited = AuditEntry.objects.count()
    for act in acts:
        with pytest.raises(PermissionDenied):
            act()
    requested.refresh_from_db()
    active.refresh_from_db()
    assert (requested.state, active.state) == (Rental.State.REQUESTED, Rental.State.ACTIVE)
    assert AuditEntry.objects.count() == audited


def test_approval_needs_exactly_the_quantity(customer_a: Customer, alice: User, staff: User):
    rental = make_request(customer_a, alice, quantity=2)
    units = make_units(rental.product, 3)
    for ids in ([units[0].pk], [u.pk for u in units]):
        with pytest.raises(ValidationError) as exc:
            services.rental_approve(rental=rental, unit_ids=ids, actor=staff)
        assert exc.value.code == "wrong_unit_count"


def test_only_in_stock_units_of_the_product_can_be_assigned(
    customer_a: Customer, alice: User, staff: User
):
    rental = make_request(customer_a, alice)
    other = UnitFactory()
    with pytest.raises(ValidationError) as exc:
        services.rental_approve(rental=rental, unit_ids=[other.pk], actor=staff)
    assert exc.value.code == "unit_wrong_product"
    busy = UnitFactory(product=rental.product, state=Unit.State.RETURNED)
    with pytest.raises(ValidationError) as exc:
        services.rental_approve(rental=rental, unit_ids=[busy.pk], actor=staff)
    assert exc.value.code == "unit_not_in_stock"


def test_a_unit_already_on_a_live_rental_cannot_be_assigned_again(
    customer_a: Customer, alice: User, staff: User
):
    first = make_approved(customer_a, alice, staff)
    unit = first.assignments.get().unit
    second = make_request(customer_a, alice, first.product)
    with pytest.raises(ValidationError) as exc:
        services.rental_approve(rental=second, unit_ids=[unit.pk], actor=staff)
    assert exc.value.code == "unit_not_in_stock"


def test_the_database_keeps_a_unit_on_at_most_one_live_rental(
    customer_a: Customer, alice: User, staff: User
):
    first = make_approved(customer_a, alice, staff)
    unit = first.assignments.get().unit
    second = make_request(customer_a, alice, first.product)
    with pytest.raises(IntegrityError), transaction.atomic():
        RentalUnit.objects.create(rental=second, unit=unit, assigned_by=staff)


def test_a_returned_unit_may_go_on_a_new_rental(customer_a: Customer, alice: User, staff: User):
    first = make_approved(customer_a, alice, staff)
    assignment = first.assignments.get()
    rental_operations.rental_unit_return(assignment=assignment, actor=staff)
    second = make_request(customer_a, alice, first.product)
    RentalUnit.objects.create(rental=second, unit=assignment.unit, assigned_by=staff)


def test_unit_constraints(staff: User):
    unit = UnitFactory(serial="AB-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(product=unit.product, serial="AB-1")
    UnitFactory(serial="AB-1")  # the same serial on another product is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(state="lost")


def test_reject_needs_a_reason(customer_a: Customer, alice: User, staff: User):
    rental = make_request(customer_a, alice)
    with pytest.raises(ValidationError):
        services.rental_reject(rental=rental, actor=staff, reason=" ")
    services.rental_reject(rental=rental, actor=staff, reason="在庫不足のため")
    rental.refresh_from_db()
    assert rental.state == Rental.State.REJECTED
    with pytest.raises(ValidationError) as exc:
        services.rental_approve(rental=rental, unit_ids=[], actor=staff)
    assert exc.value.code == "invalid_state"


# --- Delivery, fee snapshot -----------------------------------------------------------------


def test_delivery_starts_the_rental_and_fixes_the_fee(
    customer_a: Customer, alice: User, staff: User
):
    rental = make_approved(customer_a, alice, staff, quantity=2)
    rental_operations.rental_record_delivery(rental=rental, actor=staff)
    rental.refresh_from_db()
    assert rental.state == Rental.State.ACTIVE
    assert rental.started_at is not None
    assert (rental.unit_fee_yen, rental.monthly_fee_yen) == (9800, 19600)
    # A later change of the catalogue fee does not move the running rental's fee.
    Product.objects.filter(pk=rental.product_id).update(monthly_fee_yen=12000)
    rental.refresh_from_db()
    assert rental.monthly_fee_yen == 19600
    with pytest.raises(ValidationError):
        rental_operations.rental_record_delivery(rental=rental, actor=staff)


def test_a_started_rental_must_carry_its_fee(customer_a: Customer, alice: User, staff: User):
    rental = make_approved(customer_a, alice, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rental.objects.filter(pk=rental.pk).update(state="active")


def test_suspend_resume_and_schedule_end(customer_a: Customer, alice: User, staff: User):
    from datetime import timedelta

    from django.utils import timezone

    rental = make_active(customer_a, alice, staff)
    rental_operations.rental_suspend(
        rental=rental, actor=staff, clause=Clause.ART12_1_6, reason="未払い"
    )
    rental_operations.rental_resume(rental=rental, actor=staff)
    ends_on = timezone.localdate() + timedelta(days=10)
    rental = rental_operations.rental_schedule_end(rental=rental, actor=staff, ends_on=ends_on)
    assert (rental.state, rental.ends_on) == (Rental.State.ENDING, ends_on)


# --- Returns, wipes, deletion records (Art. 10(6)(7)) ---------------------------------------


def test_ending_a_rental_records_the_cloud_deletion_and_leaves_units_to_return(
    customer_a: Customer, alice: User, staff: User
):
    rental = make_active(customer_a, alice, staff, quantity=2)
    rental_operations.rental_end(rental=rental, actor=staff, reason="工事完了")
    rental.refresh_from_db()
    assert rental.state == Rental.State.ENDED and rental.ended_at is not None
    record = VideoDeletionRecord.objects.get(rental=rental)
    assert (record.storage, record.clause, record.customer) == ("cloud", "art10.6", customer_a)
    assert units_to_return(customer=customer_a).count() == 2
    assert AuditEntry.objects.filter(action="contracts.rental.ended", clause="art3").exists()
    assert AuditEntry.objects.filter(action="contracts.video.deleted", clause="art10.6").exists()


def test_returning_and_wiping_an_sd_unit_records_the_wipe(
    customer_a: Customer, alice: User, staff: User, backhoe: Product
):
    rental = make_active(customer_a, alice, staff, product=backhoe)
    rental_operations.rental_end(rental=rental, actor=staff)
    assignment = rental.assignments.get()
    rental_operations.rental_unit_return(assignment=assignment, actor=staff)
    unit = Unit.objects.get(pk=assignment.unit_id)
    assert unit.state == Unit.State.RETURNED
    assert units_to_return(customer=customer_a).count() == 0
    with pytest.raises(ValidationError):
        rental_operations.rental_unit_return(assignment=assignment, actor=staff)
    rental_operations.unit_wipe(unit=unit, actor=staff)
    record = VideoDeletionRecord.objects.get(unit=unit)
    assert (record.storage, record.clause, record.rental) == ("sd_card", "art10.7", rental)
    camera_services.unit_restock(unit=unit, actor=staff)
    assert Unit.objects.get(pk=unit.pk).state == Unit.State.IN_STOCK


def test_a_cloud_unit_wipe_records_no_medium_deletion(
    customer_a: Customer, alice: User, staff: User
):
    rental = make_active(customer_a, alice, staff)
    assignment = rental.assignments.get()
    rental_operations.rental_unit_return(assignment=assignment, actor=staff)
    rental_operations.unit_wipe(unit=assignment.unit, actor=staff)
    assert not VideoDeletionRecord.objects.filter(unit=assignment.unit).exists()


def test_unit_state_machine_refuses_skipped_steps(customer_a: Customer, alice: User, staff: User):
    unit = UnitFactory()
    with pytest.raises(ValidationError):
        rental_operations.unit_wipe(unit=unit, actor=staff)
    with pytest.raises(ValidationError):
        camera_services.unit_restock(unit=unit, actor=staff)
    rental = make_approved(customer_a, alice, staff)
    with pytest.raises(ValidationError):
        camera_services.unit_retire(unit=rental.assignments.get().unit, actor=staff)
    camera_services.unit_retire(unit=unit, actor=staff, note="落下破損")
    assert Unit.objects.get(pk=unit.pk).state == Unit.State.RETIRED


# --- Set-wise ends for the customer lifecycle -----------------------------------------------


def _live_rentals(customer: Customer, user: User, staff: User, count: int) -> list[Rental]:
    return [make_active(customer, user, staff) for _ in range(count)]


def test_rentals_end_for_customer_ends_every_live_rental(
    customer_a: Customer, alice: User, charlie: User, customer_b: Customer, staff: User
):
    rentals = _live_rentals(customer_a, alice, staff, 2)
    approved = make_approved(customer_a, alice, staff)
    pending = make_request(customer_a, alice)
    other = make_active(customer_b, charlie, staff)
    ended = rental_ends.rentals_end_for_customer(
        customer=customer_a, actor=staff, clause=Clause.ART12_3, reason="解約"
    )
    assert ended == 3
    states = dict(Rental.objects.values_list("pk", "state"))
    assert {states[r.pk] for r in [*rentals, approved]} == {"ended"}
    assert states[pending.pk] == "rejected"
    assert states[other.pk] == "active"
    assert VideoDeletionRecord.objects.filter(customer=customer_a, storage="cloud").count() == 3
    assert Rental.objects.get(pk=rentals[0].pk).end_clause == "art12.3"
    assert (
        AuditEntry.objects.filter(action="contracts.rental.ended", clause=Clause.ART12_3).count()
        == 3
    )
    # Units stay out until returned (Art. 12(5)).
    assert units_to_return(customer=customer_a).count() == 3
    # A second run finds nothing live.
    assert (
        rental_ends.rentals_end_for_customer(
            customer=customer_a, actor=staff, clause=Clause.ART12_3
        )
        == 0
    )


@pytest.mark.parametrize("count", [1, 20])
def test_rentals_end_for_customer_takes_a_fixed_number_of_queries(
    customer_a: Customer,
    alice: User,
    staff: User,
    count: int,
    django_assert_num_queries,
):
    _live_rentals(customer_a, alice, staff, count)
    # Warm the content-type cache as a running process has it.
    rental_ends.rentals_end_for_customer(
        customer=CustomerFactory(), actor=staff, clause=Clause.ART12_3
    )
    # On PostgreSQL one statement (the savepoint and its release around it): the rentals
    # ended, requests declined, deletion records, video records marked deleted (Art. 10(6))
    # and the audit entries.
    with django_assert_num_queries(3):
        assert (
            rental_ends.rentals_end_for_customer(
                customer=customer_a, actor=staff, clause=Clause.ART12_1
            )
            == count
        )


def test_rentals_end_for_products_ends_that_service_for_everyone(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
):
    product = ProductFactory()
    a = make_active(customer_a, alice, staff, product=product)
    b = make_active(customer_b, charlie, staff, product=product)
    untouched = make_active(customer_a, alice, staff)
    assert (
        rental_ends.rentals_end_for_products(
            product_ids=[product.pk], actor=None, clause=Clause.ART8_2
        )
        == 2
    )
    assert set(Rental.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True)) == {
        "ended"
    }
    assert Rental.objects.get(pk=untouched.pk).state == "active"
    record = VideoDeletionRecord.objects.get(rental=a)
    assert record.actor is None and record.actor_label == "scheduler"


def test_units_to_return_lists_only_the_customers_units(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
):
    mine = make_active(customer_a, alice, staff, quantity=2)
    make_active(customer_b, charlie, staff)
    serials = set(units_to_return(customer=customer_a).values_list("serial", flat=True))
    assert serials == {a.unit.serial for a in mine.assignments.select_related("unit")}


def test_a_scheduled_end_is_applied_by_the_nightly_job_on_its_day(
    customer_a: Customer, alice: User, staff: User
):
    from datetime import date
    from io import StringIO

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    from contracts import tasks

    with time_machine.travel("2026-10-01 10:00 +0900", tick=False):
        rental = make_active(customer_a, alice, staff)
        other = make_active(customer_a, alice, staff)
        rental_operations.rental_schedule_end(
            rental=rental, actor=staff, ends_on=date(2026, 10, 20)
        )
        rental_operations.rental_schedule_end(rental=other, actor=staff, ends_on=date(2026, 10, 21))
    with time_machine.travel("2026-10-19 23:55 +0900", tick=False):
        assert tasks.rentals_end_scheduled() == 0
    with time_machine.travel("2026-10-20 23:55 +0900", tick=False):
        out = StringIO()
        call_command("end_scheduled_rentals", stdout=out)
        assert "1 rental(s) ended." in out.getvalue()
        assert tasks.rentals_end_scheduled() == 0
    rental.refresh_from_db()
    assert rental.state == Rental.State.ENDED
    assert timezone.localdate(rental.ended_at) == date(2026, 10, 20)
    assert VideoDeletionRecord.objects.filter(rental=rental, storage="cloud").exists()
    assert Rental.objects.get(pk=other.pk).state == Rental.State.ENDING
