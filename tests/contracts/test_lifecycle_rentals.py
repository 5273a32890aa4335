"""The lifecycle wired to rentals: revocation, applied cancellations and service ends end the
rentals (with their video-data deletion records), revocation brings every charge due
(Art. 12(2)), and the units still held are on the return checklist (Art. 12(5))."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
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
from tests.contracts.rental_helpers import make_active, make_charge, make_request
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), tick=False)
def test_revocation_ends_rentals_brings_charges_due_and_lists_the_units(
    customer_a: Customer, alice: User, staff: User
) -> None:
    # November's fee is charged already (by hand here): nothing more is owed for it.
    rental = make_active(customer_a, alice, staff)
    make_charge(rental, period=date(2026, 11, 1), due_on=date(2027, 1, 31))
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


@time_machine.travel(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), tick=False)
def test_a_suspension_brings_the_unpaid_charges_due_and_its_notice_states_them(
    customer_a: Customer, alice: User, staff: User
) -> None:
    # Art. 12(2): the ground of a suspension brings every debt due as a revocation's does. The
    # rental runs on, so November's fee is not charged early; lifting the suspension does not
    # put the due date back.
    rental = make_active(customer_a, alice, staff, started=date(2026, 10, 1))
    october = make_charge(rental, period=date(2026, 10, 1), due_on=date(2026, 12, 31))
    suspension = standing.customer_suspend(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="Unpaid."
    )
    october.refresh_from_db()
    assert (october.due_on, october.accelerated_at is not None) == (date(2026, 11, 20), True)
    assert suspension.balance_due == 9800
    assert list(Charge.objects.values_list("period", flat=True)) == [date(2026, 10, 1)]
    rental.refresh_from_db()
    assert rental.state == Rental.State.ACTIVE
    [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.SUSPENSION)
    assert "直ちにお支払いいただく債務の総額: 9800円（第12条第2項）" in notice.body_text
    assert "9800円" in notice.body_html
    entry = AuditEntry.objects.get(action="contracts.customer.suspended")
    assert entry.extra["balance_due"] == 9800
    assert AuditEntry.objects.filter(action="contracts.balance.accelerated").count() == 1
    standing.customer_unsuspend(customer=customer_a, actor=staff, note="Paid.")
    october.refresh_from_db()
    assert october.due_on == date(2026, 11, 20)


def test_a_suspension_of_a_company_owing_nothing_states_nothing_due(
    customer_a: Customer, staff: User
) -> None:
    suspension = standing.customer_suspend(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x"
    )
    assert suspension.balance_due == 0
    [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.SUSPENSION)
    assert "債務の総額: 0円" in notice.body_text


@pytest.mark.parametrize("in_sql", [True, False], ids=["in-sql", "in-python"])
def test_rentals_ended_by_a_revocation_name_the_staff_member_who_revoked(
    customer_a: Customer, alice: User, staff: User, in_sql: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The set-wise end (one statement on PostgreSQL) records who acted, as the single end does.
    from contracts.services import jobs

    monkeypatch.setattr(jobs, "in_sql", lambda: in_sql)
    rental = make_active(customer_a, alice, staff)
    requested = make_request(customer_a, alice)
    standing.customer_revoke(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_2, note="False address."
    )
    deletion = VideoDeletionRecord.objects.get(rental=rental)
    assert (deletion.actor, deletion.actor_label, deletion.clause) == (
        staff,
        staff.email,
        Clause.ART10_6,
    )
    entries = AuditEntry.objects.filter(
        target_id__in=[str(rental.pk), str(requested.pk)],
        action__in=[
            "contracts.rental.ended",
            "contracts.video.deleted",
            "contracts.rental.rejected",
        ],
    )
    assert sorted(entries.values_list("action", "actor", "clause")) == [
        ("contracts.rental.ended", staff.pk, Clause.ART12_1_2),
        ("contracts.rental.rejected", staff.pk, Clause.ART12_1_2),
        ("contracts.video.deleted", staff.pk, Clause.ART10_6),
    ]
    requested.refresh_from_db()
    assert (requested.state, requested.decided_by) == (Rental.State.REJECTED, staff)


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


def test_the_return_checklist_is_worked_through_and_closes(
    customer_a: Customer, alice: User, staff: User
) -> None:
    """Art. 12(5): the unit is done when its return is recorded on the rental, the software
    and manuals when staff record them on the checklist; then the checklist closes. Before,
    nothing ever ticked an item: every checklist stayed open with everything on it."""
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from accounts.models import AuditEntry
    from tests.contracts.conftest import login

    rental = make_active(customer_a, alice, staff)
    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="x")
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    client = login(staff)
    assignment = rental.assignments.get()
    returned = client.post(
        f"/admin/contracts/rental/{rental.pk}/units/{assignment.pk}/return/", follow=True
    )
    assert returned.status_code == 200
    unit_item = checklist.items.get(kind=ReturnItem.Kind.UNIT)
    assert unit_item.done_at is not None
    assert checklist.items.filter(done_at__isnull=True).count() == 2
    checklist.refresh_from_db()
    assert checklist.closed_at is None

    url = "/admin/contracts/returnchecklist/"
    chosen = {"action": "materials_done", ACTION_CHECKBOX_NAME: [checklist.pk]}
    page = client.post(url, chosen).content.decode()
    assert "ソフトウェア・マニュアルの返還・廃棄（第12条第5項）" in page
    done = client.post(url, {**chosen, "apply": "1", "note": "廃棄証明書を受領"}, follow=True)
    assert done.status_code == 200
    checklist.refresh_from_db()
    assert checklist.closed_at is not None
    assert not checklist.items.filter(done_at__isnull=True).exists()
    entry = AuditEntry.objects.get(action="contracts.return_checklist.materials_done")
    assert entry.clause == "art12.5" and entry.extra["note"] == "廃棄証明書を受領"
    assert entry.customer_id == customer_a.pk
    # Recording it again is refused in words and changes nothing.
    again = client.post(url, {**chosen, "apply": "1", "note": ""}, follow=True)
    assert "完了済み" in again.content.decode()
    assert (
        AuditEntry.objects.filter(action="contracts.return_checklist.materials_done").count() == 1
    )


def test_a_unit_return_ticks_only_its_own_item_on_its_own_customers_checklist(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    """Only the customer's own open checklist is touched, and only the unit's own item."""
    from contracts.services import rental_operations

    rental_a = make_active(customer_a, alice, staff)
    rental_b = make_active(customer_b, charlie, staff)
    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="x")
    standing.customer_revoke(customer=customer_b, actor=staff, ground=Clause.ART12_1_6, note="x")
    rental_operations.rental_unit_return(assignment=rental_a.assignments.get(), actor=staff)
    assert ReturnItem.objects.filter(
        checklist__customer=customer_a, kind=ReturnItem.Kind.UNIT, done_at__isnull=False
    ).exists()
    assert not ReturnItem.objects.filter(
        checklist__customer=customer_b, done_at__isnull=False
    ).exists()
    assert rental_b.assignments.get().returned_at is None


def test_revocation_charges_the_fees_run_up_this_month_and_brings_them_due(
    customer_a: Customer, alice: User, staff: User
) -> None:
    # Fees are charged in arrears: on 2026-12-16 (Tokyo) nothing of December is charged yet,
    # nor November if the daily job has not run. Revoked, the company owes both at once
    # (Art. 12(2)), and the notice states them.
    rental = make_active(customer_a, alice, staff, started=date(2026, 11, 1))
    with time_machine.travel(datetime(2026, 12, 16, 3, 0, tzinfo=UTC), tick=False):
        revocation = standing.customer_revoke(
            customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="Unpaid."
        )
        charges = {c.period: c for c in Charge.objects.filter(rental=rental)}
        assert sorted(charges) == [date(2026, 11, 1), date(2026, 12, 1)]
        november, december = charges[date(2026, 11, 1)], charges[date(2026, 12, 1)]
        fee = rental.monthly_fee_yen
        assert november.amount_yen == fee
        assert (december.days_charged, december.days_in_month) == (16, 31)
        assert december.amount_yen == fee * 16 // 31
        assert november.due_on == december.due_on == date(2026, 12, 16)
        assert november.accelerated_at is not None and december.accelerated_at is not None
        assert revocation.balance_due == fee + fee * 16 // 31
        [notice] = Notice.objects.filter(customer=customer_a, kind=Notice.Kind.REVOCATION)
        assert f"{revocation.balance_due}円" in notice.body_text
    # The monthly job finds both months charged.
    from contracts.services import billing

    with time_machine.travel(datetime(2027, 1, 2, 3, 0, tzinfo=UTC), tick=False):
        assert billing.charges_create_due() == 0
    assert Charge.objects.filter(rental=rental).count() == 2
