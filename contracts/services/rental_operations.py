"""Staff operations on a rental after its approval: delivery (the fee is fixed from then,
Art. 5), suspension and resumption (Art. 8(1), 12(1)), the end now or on a date, and per
unit the return and the wipe of its SD card or NAS (Art. 10(7)). Each locks the rental,
checks its state and writes an audit entry with its clause."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import User
from accounts.staff import require_staff
from cameras.models import Product, Unit

from ..models import (
    Rental,
    RentalUnit,
    VideoDeletionRecord,
)
from . import returns
from .records import (
    video_records_mark_deleted_for_unit,
)
from .rental_ends import (
    end_locked,
)
from .rentals import (
    lock_rental,
    refused,
    save_checked,
    wrong_state,
)


@transaction.atomic
def rental_record_delivery(
    *,
    rental: Rental,
    actor: User,
    delivered_at: Any = None,
    request: HttpRequest | None = None,
) -> Rental:
    """The units reached the site: the rental starts and its monthly fee is fixed from the
    catalogue fee at this moment, times the quantity (Art. 5)."""
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state != Rental.State.APPROVED:
        raise wrong_state(rental)
    rental.state = Rental.State.ACTIVE
    rental.started_at = delivered_at or timezone.now()
    rental.unit_fee_yen = rental.product.monthly_fee_yen
    rental.monthly_fee_yen = rental.product.monthly_fee_yen * rental.quantity
    save_checked(rental, ["state", "started_at", "unit_fee_yen", "monthly_fee_yen"])
    audit_record(
        action="contracts.rental.activated",
        actor=actor,
        customer=rental.customer,
        target=rental,
        clause=Clause.ART5,
        request=request,
        extra={"monthly_fee_yen": rental.monthly_fee_yen, "started_at": str(rental.started_at)},
    )
    return rental


@transaction.atomic
def rental_suspend(
    *, rental: Rental, actor: User, clause: Clause, reason: str, request: HttpRequest | None = None
) -> Rental:
    """Staff suspend one rental (Art. 8(1) or 12(1)); the fee keeps running."""
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state != Rental.State.ACTIVE:
        raise wrong_state(rental)
    rental.state = Rental.State.SUSPENDED
    save_checked(rental, ["state"])
    audit_record(
        action="contracts.rental.suspended",
        actor=actor,
        customer=rental.customer,
        target=rental,
        clause=Clause(clause),
        request=request,
        extra={"reason": reason},
    )
    return rental


@transaction.atomic
def rental_resume(*, rental: Rental, actor: User, request: HttpRequest | None = None) -> Rental:
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state != Rental.State.SUSPENDED:
        raise wrong_state(rental)
    rental.state = Rental.State.ACTIVE
    save_checked(rental, ["state"])
    audit_record(
        action="contracts.rental.resumed",
        actor=actor,
        customer=rental.customer,
        target=rental,
        request=request,
    )
    return rental


@transaction.atomic
def rental_schedule_end(
    *, rental: Rental, actor: User, ends_on: date, request: HttpRequest | None = None
) -> Rental:
    """Notes the date a running rental is to end (the customer asked, or staff agreed);
    ``rental_end`` ends it."""
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state not in (Rental.State.ACTIVE, Rental.State.SUSPENDED):
        raise wrong_state(rental)
    if ends_on < timezone.localdate():
        raise refused({"ends_on": _("The end date is in the past.")}, "end_in_past")
    rental.state = Rental.State.ENDING
    rental.ends_on = ends_on
    save_checked(rental, ["state", "ends_on"])
    audit_record(
        action="contracts.rental.end_scheduled",
        actor=actor,
        customer=rental.customer,
        target=rental,
        request=request,
        extra={"ends_on": ends_on.isoformat()},
    )
    return rental


@transaction.atomic
def rental_end(
    *,
    rental: Rental,
    actor: User | None,
    clause: Clause = Clause.ART3,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Rental:
    """Ends one live rental now and records the deletion of its cloud video data
    (Art. 10(6)); its units stay assigned until each is returned."""
    if actor is not None:
        require_staff(actor)
    rental = lock_rental(rental)
    if rental.state not in Rental.LIVE_STATES:
        raise wrong_state(rental)
    end_locked([rental], actor=actor, clause=Clause(clause), reason=reason, request=request)
    rental.refresh_from_db()
    return rental


@transaction.atomic
def rental_unit_return(
    *, assignment: RentalUnit, actor: User, request: HttpRequest | None = None
) -> RentalUnit:
    """A unit came back from the customer. Its SD card or NAS still holds video data until
    it is wiped (``unit_wipe``). When the last unit of an ending rental is back, nothing else
    changes: the rental's own end is a separate act."""
    require_staff(actor)
    assignment = (
        RentalUnit.objects.select_for_update()
        .select_related("unit", "rental")
        .get(pk=assignment.pk)
    )
    if assignment.returned_at is not None:
        raise refused(_("This unit's return is already recorded."), "already_returned")
    unit = Unit.objects.select_for_update().get(pk=assignment.unit_id)
    now = timezone.now()
    assignment.returned_at = now
    assignment.returned_by = actor
    assignment.full_clean()
    assignment.save(update_fields=["returned_at", "returned_by"])
    unit.state = Unit.State.RETURNED
    save_checked(unit, ["state"])
    # Art. 12(5): the unit is done on the return checklist of an ended registration.
    returns.return_items_unit_back(
        customer_id=assignment.rental.customer_id, unit_id=unit.pk, now=now
    )
    audit_record(
        action="contracts.unit.returned",
        actor=actor,
        customer=assignment.rental.customer,
        target=unit,
        clause=Clause.ART12_5 if assignment.rental.state == Rental.State.ENDED else None,
        request=request,
        extra={"rental": assignment.rental_id, "serial": unit.serial},
    )
    return assignment


@transaction.atomic
def unit_wipe(*, unit: Unit, actor: User, request: HttpRequest | None = None) -> Unit:
    """A returned unit's storage was wiped. For a unit recording to an SD card or a NAS the
    wipe is recorded as the deletion of the customer's video data (Art. 10(7)), shown to the
    customer of the rental it came back from."""
    require_staff(actor)
    unit = Unit.objects.select_for_update().select_related("product").get(pk=unit.pk)
    if unit.state != Unit.State.RETURNED:
        raise refused(
            _("Only a returned unit can be wiped (unit %(serial)s is %(state)s).")
            % {"serial": unit.serial, "state": unit.get_state_display()},
            "unit_not_returned",
        )
    last = (
        RentalUnit.objects.filter(unit=unit, returned_at__isnull=False)
        .select_related("rental")
        .order_by("-returned_at")
        .first()
    )
    unit.state = Unit.State.WIPED
    save_checked(unit, ["state"])
    storage = unit.product.recording
    record = None
    if last is not None and storage in (Product.Recording.SD_CARD, Product.Recording.NAS):
        record = VideoDeletionRecord(
            customer_id=last.rental.customer_id,
            rental=last.rental,
            unit=unit,
            storage=storage,
            actor=actor,
            actor_label=actor.email,
            clause=Clause.ART10_7,
        )
        record.full_clean()
        record.save()
        video_records_mark_deleted_for_unit(
            unit_id=unit.pk, rental_id=last.rental_id, at=record.deleted_at
        )
    audit_record(
        action="contracts.unit.wiped",
        actor=actor,
        customer=last.rental.customer if last is not None else None,
        target=unit,
        clause=Clause.ART10_7 if record is not None else None,
        request=request,
        extra={"storage": storage, "deletion_record": record.pk if record else None},
    )
    return unit
