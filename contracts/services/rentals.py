"""Writes of rentals: the customer's request (Art. 3, 13(10)) and the staff decision on it,
approval by assigning units or rejection; with what every rental service shares (the row
lock, the checked save, the refusals). Operations on a running rental are in
``rental_operations``; the end of rentals, one or set-wise, in ``rental_ends``.

Each transition locks its rows, checks their state, writes an audit entry with its clause
(Art. 3, 5, 10(6)(7), 13(10)) and raises a translated ``ValidationError`` when refused. The
terms ask for no notice on these events, so none is created here."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record, client_ip
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from accounts.staff import require_staff
from cameras.models import Product, Unit

from ..models import (
    BackhoeAcknowledgement,
    Rental,
    RentalUnit,
    ServiceEnd,
    UsageContract,
)
from ..selectors.service_ends import service_end_for_product, service_end_time_text

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


def refused(message: Any, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def save_checked(obj: models.Model, fields: Iterable[str] | None = None) -> None:
    obj.full_clean()
    if fields is None:
        obj.save()
    else:
        obj.save(update_fields=[*fields, "updated_at"])


def lock_rental(rental: Rental) -> Rental:
    return Rental.objects.select_for_update().select_related("product").get(pk=rental.pk)


def wrong_state(rental: Rental) -> ValidationError:
    return refused(
        _("This rental is %(state)s; that cannot be done now.")
        % {"state": rental.get_state_display()},
        "invalid_state",
    )


def _same_request(rental: Rental, data: RentalRequestData, *, backhoe_acknowledged: bool) -> bool:
    """Whether ``data`` asks for what ``rental`` was made from (compared as the rental stores
    it: stripped); a backhoe rental was acknowledged, so its copy must be too."""
    return (
        rental.product_id == data.product.pk
        and rental.quantity == data.quantity
        and rental.site_name == data.site_name.strip()
        and rental.site_address == data.site_address.strip()
        and rental.desired_start == data.desired_start
        and rental.machine_maker == data.machine_maker.strip()
        and rental.machine_model == data.machine_model.strip()
        and rental.machine_number == data.machine_number.strip()
        and rental.note == data.note.strip()
        and (backhoe_acknowledged or not data.product.is_backhoe)
    )


@transaction.atomic
def rental_request(
    *,
    customer: Customer,
    user: User,
    data: RentalRequestData,
    backhoe_acknowledged: bool = False,
    acknowledgement_text: str = "",
    acknowledgement_language: str = "",
    submission_key: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> Rental:
    """A member asks for ``data.quantity`` units of a product for a site. Only an active
    company (or one whose cancellation is scheduled) may ask; a backhoe camera system needs
    the machine it goes on and the Art. 13(10) acknowledgement, every time, stored with the
    text that was shown (``acknowledgement_text``; the current text when empty).

    A request sent again with the same ``submission_key`` (a double click, a resent form)
    is the rental made the first time, returned as it is: nothing is written twice. The
    company's row is locked first, so two copies sent at once wait for each other. The same
    key with other details is refused (``submission_key_reused``): it is not a copy, and
    answering the first rental would pass the new details over in silence."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if submission_key is not None:
        earlier = Rental.objects.filter(customer=customer, submission_key=submission_key).first()
        if earlier is not None:
            if not _same_request(earlier, data, backhoe_acknowledged=backhoe_acknowledged):
                raise ValidationError(
                    _(
                        "This form was already sent with other details (rental #"
                        "%(rental)s). Open the form again to make another request."
                    ),
                    code="submission_key_reused",
                    params={"rental": earlier.pk},
                )
            return earlier
    if not customer.is_active_customer:
        raise refused(
            _(
                "Your company's registration is %(status)s, so no equipment can be requested. "
                "Please contact CTS."
            )
            % {"status": customer.get_status_display()},
            "customer_not_active",
        )
    if not Membership.objects.filter(user_id=user.pk, customer=customer).exists():
        raise refused(_("Only a member of the company can request equipment."), "not_member")
    contract = UsageContract.objects.filter(customer=customer).first()
    if contract is None:
        raise refused(
            _("Your company has no usage contract yet; equipment can be requested after approval."),
            "no_contract",
        )
    product = data.product
    if not product.is_requestable:
        raise refused({"product": _("This product cannot be requested.")}, "product_not_available")
    service_end = service_end_for_product(product=product)
    if service_end is not None:
        # Art. 8(2): a rental started now would end with the line, on fewer than the 30
        # days' notice the terms promise.
        raise refused(
            {
                "product": _(
                    "The provision of this product ends at %(date)s (Japan time), so new "
                    "rentals of it cannot be requested (Terms of use, Art. 8(2))."
                )
                % {"date": service_end_time_text(service_end.effective_at)}
            },
            "product_service_ending",
        )
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
        submission_key=submission_key,
    )
    save_checked(rental)
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


def service_ending_refusal(service_end: ServiceEnd) -> ValidationError:
    """Art. 8(2): staff may not start a rental of a line whose end is announced; the request
    is rejected with a reason for the customer instead (or ended with the line on its date,
    which declines the requests still undecided)."""
    line = (
        _("the whole service")
        if service_end.scope == ServiceEnd.Scope.ALL
        else service_end.get_category_display()
    )
    return refused(
        _(
            "The end of %(line)s (%(title)s) takes effect at %(date)s (Japan time, Art. 8(2)): "
            "a new rental of this product cannot be approved. Reject the request with a "
            "reason for the customer."
        )
        % {
            "line": line,
            "date": service_end_time_text(service_end.effective_at),
            "title": service_end.title,
        },
        "product_service_ending",
    )


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
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state != Rental.State.REQUESTED:
        raise wrong_state(rental)
    customer = Customer.objects.get(pk=rental.customer_id)
    if not customer.is_active_customer:
        raise refused(
            _("The customer's registration is %(status)s; the request cannot be approved.")
            % {"status": customer.get_status_display()},
            "customer_not_active",
        )
    service_end = service_end_for_product(product=rental.product)
    if service_end is not None:
        raise service_ending_refusal(service_end)
    ids = sorted({int(pk) for pk in unit_ids})
    if len(ids) != rental.quantity:
        raise refused(
            _("Assign exactly %(count)d unit(s) to this request.") % {"count": rental.quantity},
            "wrong_unit_count",
        )
    # Locked in id order so two approvals never wait on each other in a cycle.
    units = list(Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(units) != len(ids):
        raise refused(_("A unit to assign does not exist."), "unit_missing")
    for unit in units:
        if unit.product_id != rental.product_id:
            raise refused(
                _("Unit %(serial)s is not a %(product)s.")
                % {"serial": unit.serial, "product": rental.product.model_code},
                "unit_wrong_product",
            )
        if unit.state != Unit.State.IN_STOCK:
            raise refused(
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
        raise refused(
            _("One of these units was just assigned to another rental."), "unit_taken"
        ) from exc
    Unit.objects.filter(pk__in=ids).update(state=Unit.State.ASSIGNED, updated_at=now)
    rental.state = Rental.State.APPROVED
    rental.decided_by = actor
    rental.decided_at = now
    save_checked(rental, ["state", "decided_by", "decided_at"])
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
    require_staff(actor)
    rental = lock_rental(rental)
    if rental.state != Rental.State.REQUESTED:
        raise wrong_state(rental)
    if not reason.strip():
        raise refused({"reason": _("Give the reason for the rejection.")}, "reason_required")
    rental.state = Rental.State.REJECTED
    rental.decided_by = actor
    rental.decided_at = timezone.now()
    rental.rejection_reason = reason.strip()
    save_checked(rental, ["state", "decided_by", "decided_at", "rejection_reason"])
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
