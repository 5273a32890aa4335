"""Writes of rentals: request, approve by assigning units, delivery, returns, wipes, the end
of a rental, and the set-wise ends the lifecycle of a customer or of the service needs.

Each transition locks its rows, checks their state, writes an audit entry with its clause
(Art. 3, 5, 10(6)(7), 13(10)) and raises a translated ``ValidationError`` when refused. The
terms ask for no notice on these events, so none is created here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import SCHEDULER, audit_record, client_ip
from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, Membership, User
from cameras.models import Product, Unit

from ..models import (
    BackhoeAcknowledgement,
    Rental,
    RentalUnit,
    UsageContract,
    VideoDeletionRecord,
)
from .records import (
    video_records_mark_deleted_for_rentals,
    video_records_mark_deleted_for_unit,
)

# Art. 13(10), shown next to the checkbox of every backhoe request and stored as evidence.
BACKHOE_ACKNOWLEDGEMENT_TEXT = {
    "ja": (
        "バックホウカメラシステムは、バックホウに取り付け、当社のオペレーター（運転者又は運転者を"
        "補助するため指示を出す者）がモニターを通して周辺状況の確認をするものであり、バックホウの"
        "旋回方向の視認不注意を防止し、又は悪天候時の視界不良下での操作を支援する装置ではなく、"
        "あらゆる状況で事故を回避するものではないことを認識した上で利用します"
        "（利用規約第13条第10項）。"
    ),
    "en": (
        "We understand that the backhoe camera system is fitted to a backhoe so that our "
        "operator (the driver, or the person directing the driver) can check the surroundings "
        "on a monitor; that it is not a device that prevents inattention in the direction of "
        "swing or supports operation in poor visibility in bad weather; and that it does not "
        "avoid accidents in every situation (Terms of Use, Art. 13(10))."
    ),
}


def backhoe_acknowledgement_text(language: str | None = None) -> tuple[str, str]:
    """The Art. 13(10) acknowledgement in ``language`` (default: the active one) and its
    language code."""
    lang = (language or translation.get_language() or "ja")[:2]
    lang = lang if lang in BACKHOE_ACKNOWLEDGEMENT_TEXT else "ja"
    return BACKHOE_ACKNOWLEDGEMENT_TEXT[lang], lang


@dataclass(frozen=True)
class RentalRequestData:
    product: Product
    quantity: int
    site_name: str
    site_address: str
    desired_start: date
    machine_maker: str = ""
    machine_model: str = ""
    machine_number: str = ""
    note: str = ""


def _refused(message: Any, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _save(obj: models.Model, fields: Iterable[str] | None = None) -> None:
    obj.full_clean()
    if fields is None:
        obj.save()
    else:
        obj.save(update_fields=[*fields, "updated_at"])


def _lock_rental(rental: Rental) -> Rental:
    return Rental.objects.select_for_update().select_related("product").get(pk=rental.pk)


def _wrong_state(rental: Rental) -> ValidationError:
    return _refused(
        _("This rental is %(state)s; that cannot be done now.")
        % {"state": rental.get_state_display()},
        "invalid_state",
    )


# --- Request (Art. 3, 13(10)) ---------------------------------------------------------------


@transaction.atomic
def rental_request(
    *,
    customer: Customer,
    user: User,
    data: RentalRequestData,
    backhoe_acknowledged: bool = False,
    acknowledgement_text: str = "",
    acknowledgement_language: str = "",
    request: HttpRequest | None = None,
) -> Rental:
    """A member asks for ``data.quantity`` units of a product for a site. Only an active
    company (or one whose cancellation is scheduled) may ask; a backhoe camera system needs
    the machine it goes on and the Art. 13(10) acknowledgement, every time, stored with the
    text that was shown (``acknowledgement_text``; the current text when empty)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.is_active_customer:
        raise _refused(
            _(
                "Your company's registration is %(status)s, so no equipment can be requested. "
                "Please contact CTS."
            )
            % {"status": customer.get_status_display()},
            "customer_not_active",
        )
    if not Membership.objects.filter(user_id=user.pk, customer=customer).exists():
        raise _refused(_("Only a member of the company can request equipment."), "not_member")
    contract = UsageContract.objects.filter(customer=customer).first()
    if contract is None:
        raise _refused(
            _("Your company has no usage contract yet; equipment can be requested after approval."),
            "no_contract",
        )
    product = data.product
    if not product.active or product.category == Product.Category.ACCESSORY:
        raise _refused({"product": _("This product cannot be requested.")}, "product_not_available")
    errors: dict[str, list[str]] = {}
    if product.is_backhoe:
        for name in ("machine_maker", "machine_model", "machine_number"):
            if not getattr(data, name).strip():
                errors.setdefault(name, []).append(
                    _("Name the backhoe this system will be fitted to.")
                )
        if not backhoe_acknowledged:
            errors.setdefault("backhoe_acknowledged", []).append(
                _(
                    "Please confirm that you understand the backhoe camera system is not a "
                    "safety device (Art. 13(10))."
                )
            )
    if data.desired_start < timezone.localdate():
        errors.setdefault("desired_start", []).append(_("The desired start is in the past."))
    if errors:
        raise ValidationError(errors, code="invalid")
    rental = Rental(
        customer=customer,
        contract=contract,
        product=product,
        quantity=data.quantity,
        site_name=data.site_name.strip(),
        site_address=data.site_address.strip(),
        desired_start=data.desired_start,
        machine_maker=data.machine_maker.strip(),
        machine_model=data.machine_model.strip(),
        machine_number=data.machine_number.strip(),
        recording=product.recording,
        note=data.note.strip(),
        requested_by=user,
    )
    _save(rental)
    if product.is_backhoe:
        text, language = backhoe_acknowledgement_text(acknowledgement_language or None)
        if acknowledgement_text:
            text = acknowledgement_text
        ack = BackhoeAcknowledgement(
            rental=rental,
            user=user,
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            language=language,
            ip_address=client_ip(request),
        )
        ack.full_clean()
        ack.save()
        audit_record(
            action="contracts.rental.backhoe_acknowledged",
            actor=user,
            customer=customer,
            target=rental,
            clause=Clause.ART13_10,
            request=request,
            extra={"sha256": ack.sha256, "language": language},
        )
    audit_record(
        action="contracts.rental.requested",
        actor=user,
        customer=customer,
        target=rental,
        clause=Clause.ART3,
        request=request,
        extra={"product": product.model_code, "quantity": rental.quantity},
    )
    return rental


# --- Staff decisions ------------------------------------------------------------------------


@transaction.atomic
def rental_approve(
    *,
    rental: Rental,
    unit_ids: Sequence[int],
    actor: User,
    request: HttpRequest | None = None,
) -> Rental:
    """Staff approve a request by assigning exactly ``quantity`` in-stock units of the
    requested product. The units are locked first; when another member of staff assigned one
    of them a moment earlier, this one is refused with the unit named (the partial unique
    index of ``RentalUnit`` is the last word if two transactions still meet)."""
    rental = _lock_rental(rental)
    if rental.state != Rental.State.REQUESTED:
        raise _wrong_state(rental)
    customer = Customer.objects.get(pk=rental.customer_id)
    if not customer.is_active_customer:
        raise _refused(
            _("The customer's registration is %(status)s; the request cannot be approved.")
            % {"status": customer.get_status_display()},
            "customer_not_active",
        )
    ids = sorted({int(pk) for pk in unit_ids})
    if len(ids) != rental.quantity:
        raise _refused(
            _("Assign exactly %(count)d unit(s) to this request.") % {"count": rental.quantity},
            "wrong_unit_count",
        )
    # Locked in id order so two approvals never wait on each other in a cycle.
    units = list(Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(units) != len(ids):
        raise _refused(_("A unit to assign does not exist."), "unit_missing")
    for unit in units:
        if unit.product_id != rental.product_id:
            raise _refused(
                _("Unit %(serial)s is not a %(product)s.")
                % {"serial": unit.serial, "product": rental.product.model_code},
                "unit_wrong_product",
            )
        if unit.state != Unit.State.IN_STOCK:
            raise _refused(
                _("Unit %(serial)s is no longer in stock (it is %(state)s).")
                % {"serial": unit.serial, "state": unit.get_state_display()},
                "unit_not_in_stock",
            )
    now = timezone.now()
    try:
        with transaction.atomic():
            RentalUnit.objects.bulk_create(
                [
                    RentalUnit(rental=rental, unit=unit, assigned_at=now, assigned_by=actor)
                    for unit in units
                ]
            )
    except IntegrityError as exc:
        raise _refused(
            _("One of these units was just assigned to another rental."), "unit_taken"
        ) from exc
    Unit.objects.filter(pk__in=ids).update(state=Unit.State.ASSIGNED, updated_at=now)
    rental.state = Rental.State.APPROVED
    rental.decided_by = actor
    rental.decided_at = now
    _save(rental, ["state", "decided_by", "decided_at"])
    audit_record(
        action="contracts.rental.approved",
        actor=actor,
        customer=customer,
        target=rental,
        clause=Clause.ART3,
        request=request,
        extra={"units": [u.serial for u in units]},
    )
    return rental


@transaction.atomic
def rental_reject(
    *, rental: Rental, actor: User, reason: str, request: HttpRequest | None = None
) -> Rental:
    """Staff decline a request, with a reason the customer sees."""
    rental = _lock_rental(rental)
    if rental.state != Rental.State.REQUESTED:
        raise _wrong_state(rental)
    if not reason.strip():
        raise _refused({"reason": _("Give the reason for the rejection.")}, "reason_required")
    rental.state = Rental.State.REJECTED
    rental.decided_by = actor
    rental.decided_at = timezone.now()
    rental.rejection_reason = reason.strip()
    _save(rental, ["state", "decided_by", "decided_at", "rejection_reason"])
    audit_record(
        action="contracts.rental.rejected",
        actor=actor,
        customer=rental.customer,
        target=rental,
        clause=Clause.ART3,
        request=request,
        extra={"reason": rental.rejection_reason},
    )
    return rental


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
    rental = _lock_rental(rental)
    if rental.state != Rental.State.APPROVED:
        raise _wrong_state(rental)
    rental.state = Rental.State.ACTIVE
    rental.started_at = delivered_at or timezone.now()
    rental.unit_fee_yen = rental.product.monthly_fee_yen
    rental.monthly_fee_yen = rental.product.monthly_fee_yen * rental.quantity
    _save(rental, ["state", "started_at", "unit_fee_yen", "monthly_fee_yen"])
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
    rental = _lock_rental(rental)
    if rental.state != Rental.State.ACTIVE:
        raise _wrong_state(rental)
    rental.state = Rental.State.SUSPENDED
    _save(rental, ["state"])
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
    rental = _lock_rental(rental)
    if rental.state != Rental.State.SUSPENDED:
        raise _wrong_state(rental)
    rental.state = Rental.State.ACTIVE
    _save(rental, ["state"])
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
    rental = _lock_rental(rental)
    if rental.state not in (Rental.State.ACTIVE, Rental.State.SUSPENDED):
        raise _wrong_state(rental)
    if ends_on < timezone.localdate():
        raise _refused({"ends_on": _("The end date is in the past.")}, "end_in_past")
    rental.state = Rental.State.ENDING
    rental.ends_on = ends_on
    _save(rental, ["state", "ends_on"])
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
    rental = _lock_rental(rental)
    if rental.state not in Rental.LIVE_STATES:
        raise _wrong_state(rental)
    _end_locked([rental], actor=actor, clause=Clause(clause), reason=reason, request=request)
    rental.refresh_from_db()
    return rental


def _audit_entry(
    *,
    action: str,
    actor: User | None,
    customer_id: int | None,
    target: models.Model,
    content_type: ContentType,
    clause: Clause,
    extra: dict[str, Any],
    request: HttpRequest | None = None,
) -> AuditEntry:
    """An audit entry built like ``audit_record`` writes it, for a bulk insert."""
    return AuditEntry(
        action=action,
        actor=actor,
        actor_label=actor.email if actor is not None else SCHEDULER,
        customer_id=customer_id,
        clause=clause,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        extra=extra,
        target_type=content_type,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
    )


def _end_locked(
    rentals: list[Rental],
    *,
    actor: User | None,
    clause: Clause,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Ends the given locked live rentals in a fixed number of queries: one update, one
    insert of the cloud deletion records (Art. 10(6)), one insert of the audit entries."""
    if not rentals:
        return 0
    if actor is not None and not actor.is_authenticated:
        actor = None
    now = timezone.now()
    Rental.objects.filter(pk__in=[r.pk for r in rentals]).update(
        state=Rental.State.ENDED,
        ended_at=now,
        end_clause=clause,
        end_reason=reason,
        updated_at=now,
    )
    label = actor.email if actor is not None else SCHEDULER
    VideoDeletionRecord.objects.bulk_create(
        [
            VideoDeletionRecord(
                customer_id=r.customer_id,
                rental=r,
                storage=VideoDeletionRecord.Storage.CLOUD,
                deleted_at=now,
                actor=actor,
                actor_label=label,
                clause=Clause.ART10_6,
            )
            for r in rentals
        ]
    )
    video_records_mark_deleted_for_rentals(rental_ids=[r.pk for r in rentals], at=now)
    content_type = ContentType.objects.get_for_model(Rental)
    entries = []
    for r in rentals:
        for action, basis, extra in (
            ("contracts.rental.ended", clause, {"ended_at": now.isoformat(), "reason": reason}),
            ("contracts.video.deleted", Clause.ART10_6, {"storage": "cloud"}),
        ):
            entries.append(
                _audit_entry(
                    action=action,
                    actor=actor,
                    customer_id=r.customer_id,
                    target=r,
                    content_type=content_type,
                    clause=basis,
                    extra=extra,
                    request=request,
                )
            )
    AuditEntry.objects.bulk_create(entries)
    return len(rentals)


def _end_pending_requests(
    requests: list[Rental], *, actor: User | None, clause: Clause, reason: str
) -> None:
    """Requests not yet decided are declined when the customer or the service ends."""
    if not requests:
        return
    now = timezone.now()
    text = reason or str(gettext_lazy("The registration or the service ended."))
    Rental.objects.filter(pk__in=[r.pk for r in requests]).update(
        state=Rental.State.REJECTED,
        decided_at=now,
        decided_by=actor,
        rejection_reason=text,
        updated_at=now,
    )
    content_type = ContentType.objects.get_for_model(Rental)
    AuditEntry.objects.bulk_create(
        [
            _audit_entry(
                action="contracts.rental.rejected",
                actor=actor,
                customer_id=r.customer_id,
                target=r,
                content_type=content_type,
                clause=clause,
                extra={"reason": text},
            )
            for r in requests
        ]
    )


def _end_set(
    queryset: models.QuerySet[Rental], *, actor: User | None, clause: Clause, reason: str
) -> int:
    clause = Clause(clause)
    if actor is not None and not actor.is_authenticated:
        actor = None
    locked = list(
        queryset.filter(state__in=[*Rental.LIVE_STATES, Rental.State.REQUESTED])
        .select_for_update()
        .select_related("product")
        .order_by("pk")
    )
    live = [r for r in locked if r.state != Rental.State.REQUESTED]
    _end_pending_requests(
        [r for r in locked if r.state == Rental.State.REQUESTED],
        actor=actor,
        clause=clause,
        reason=reason,
    )
    return _end_locked(live, actor=actor, clause=clause, reason=reason)


@transaction.atomic
def rentals_end_for_customer(
    *, customer: Customer, actor: User | None, clause: Clause, reason: str = ""
) -> int:
    """Ends every live rental of ``customer`` (its cancellation, Art. 12(3), or revocation,
    Art. 12(1)), recording the deletion of each rental's cloud video data (Art. 10(6)).
    Assigned units stay on their rentals awaiting return (``units_to_return``); requests not
    yet decided are declined. Returns how many live rentals ended. A fixed number of queries
    whatever the count."""
    return _end_set(
        Rental.objects.filter(customer=customer), actor=actor, clause=clause, reason=reason
    )


@transaction.atomic
def rentals_end_for_customers(
    *, customer_ids: Iterable[int], actor: User | None, clause: Clause, reason: str = ""
) -> int:
    """``rentals_end_for_customer`` for many customers at once (the scheduler applying the
    cancellations due, Art. 12(3)): a fixed number of queries whatever their number."""
    return _end_set(
        Rental.objects.filter(customer_id__in=list(customer_ids)),
        actor=actor,
        clause=clause,
        reason=reason,
    )


@transaction.atomic
def rentals_end_for_products(
    *, product_ids: Iterable[int], actor: User | None, clause: Clause, reason: str = ""
) -> int:
    """The same as ``rentals_end_for_customer`` for every live rental of these products,
    whoever the customer (the end of that service, Art. 8(2))."""
    return _end_set(
        Rental.objects.filter(product_id__in=list(product_ids)),
        actor=actor,
        clause=clause,
        reason=reason,
    )


@transaction.atomic
def rentals_end_scheduled(*, today: date | None = None) -> int:
    """The beat job: ends every rental whose scheduled end (``ends_on``) is today or earlier,
    with its cloud video data deletion (Art. 10(6)). It runs late in the evening (Asia/Tokyo)
    so that the end day is the last day charged. Set-based and idempotent."""
    today = today or timezone.localdate()
    return _end_set(
        Rental.objects.filter(state=Rental.State.ENDING, ends_on__lte=today),
        actor=None,
        clause=Clause.ART3,
        reason=str(gettext_lazy("Scheduled end of the rental.")),
    )


# --- Returns and wipes (Art. 10(7)) ---------------------------------------------------------


@transaction.atomic
def rental_unit_return(
    *, assignment: RentalUnit, actor: User, request: HttpRequest | None = None
) -> RentalUnit:
    """A unit came back from the customer. Its SD card or NAS still holds video data until
    it is wiped (``unit_wipe``). When the last unit of an ending rental is back, nothing else
    changes: the rental's own end is a separate act."""
    assignment = (
        RentalUnit.objects.select_for_update()
        .select_related("unit", "rental")
        .get(pk=assignment.pk)
    )
    if assignment.returned_at is not None:
        raise _refused(_("This unit's return is already recorded."), "already_returned")
    unit = Unit.objects.select_for_update().get(pk=assignment.unit_id)
    now = timezone.now()
    assignment.returned_at = now
    assignment.returned_by = actor
    assignment.full_clean()
    assignment.save(update_fields=["returned_at", "returned_by"])
    unit.state = Unit.State.RETURNED
    _save(unit, ["state"])
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
    unit = Unit.objects.select_for_update().select_related("product").get(pk=unit.pk)
    if unit.state != Unit.State.RETURNED:
        raise _refused(
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
    _save(unit, ["state"])
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
