"""Transfer of the contractual position (Art. 17; succession by merger, Art. 10(3)(6)).

The customer's owner asks; provider staff approve with the written consent Art. 17 requires,
or refuse. On approval the usage contract (or, when the successor has its own, the rentals
under it), the rentals with their units, charges, payments and video data records move to the
successor customer in one transaction: any failure leaves both customers as they were."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from accounts.staff import require_staff_permission
from accounts.validators import normalize_corporate_number
from notices.models import Notice
from notices.services import notice_create

from ..models import (
    Charge,
    ContractTransfer,
    DisclosureGround,
    Payment,
    Rental,
    RentalUnit,
    UsageContract,
    VideoDeletionRecord,
    VideoDisclosure,
    VideoModeration,
    VideoRecord,
)


@dataclass(frozen=True)
class TransferRequestData:
    successor_name: str
    successor_corporate_number: str
    successor_address: str
    successor_contact_name: str
    successor_contact_email: str
    reason: str = ""


@transaction.atomic
def transfer_request(
    *,
    customer: Customer,
    user: User,
    data: TransferRequestData,
    request: HttpRequest | None = None,
) -> ContractTransfer:
    """The owner asks for the company's contractual position to pass to another company.
    Nothing moves until staff approve with written consent (Art. 17)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not Membership.objects.filter(
        user_id=user.pk, customer=customer, role=Membership.Role.OWNER
    ).exists():
        raise ValidationError(_("Only the company's owner can request a transfer."), "not_owner")
    if not customer.is_active_customer:
        raise ValidationError(
            _("Your company's registration is %(status)s; a transfer cannot be requested.")
            % {"status": customer.get_status_display()},
            "customer_not_active",
        )
    if ContractTransfer.objects.filter(
        customer=customer, state=ContractTransfer.State.REQUESTED
    ).exists():
        raise ValidationError(
            _("A transfer request is already waiting for a decision."), "already_requested"
        )
    number = normalize_corporate_number(data.successor_corporate_number)
    if customer.corporate_number and number == customer.corporate_number:
        raise ValidationError(
            {"successor_corporate_number": _("The successor must be another company.")},
            "same_company",
        )
    transfer = ContractTransfer(
        customer=customer,
        requested_by=user,
        successor_name=data.successor_name.strip(),
        successor_corporate_number=number,
        successor_address=data.successor_address.strip(),
        successor_contact_name=data.successor_contact_name.strip(),
        successor_contact_email=data.successor_contact_email.strip().lower(),
        reason=data.reason.strip(),
    )
    transfer.full_clean()
    transfer.save()
    audit_record(
        action="contracts.transfer.requested",
        actor=user,
        customer=customer,
        target=transfer,
        clause=Clause.ART17,
        request=request,
        extra={"successor_corporate_number": number},
    )
    return transfer


def _lock_open(transfer: ContractTransfer) -> ContractTransfer:
    transfer = ContractTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.state != ContractTransfer.State.REQUESTED:
        raise ValidationError(
            _("This transfer request was already decided (%(state)s).")
            % {"state": transfer.get_state_display()},
            "already_decided",
        )
    return transfer


def successor_candidate(*, transfer: ContractTransfer) -> Customer | None:
    """The registered, active customer with the successor's corporate number, if any."""
    return (
        Customer.objects.filter(
            corporate_number=transfer.successor_corporate_number,
            status__in=[Customer.Status.ACTIVE, Customer.Status.CANCELLATION_SCHEDULED],
        )
        .exclude(pk=transfer.customer_id)
        .order_by("pk")
        .first()
    )


def _move(transfer: ContractTransfer, source: Customer, successor: Customer) -> dict[str, Any]:
    """Moves every contractual row from ``source`` to ``successor``; returns what moved."""
    moved: dict[str, Any] = {}
    contract = UsageContract.objects.select_for_update().filter(customer=source).first()
    successor_contract = (
        UsageContract.objects.select_for_update().filter(customer=successor).first()
    )
    rentals = Rental.objects.select_for_update().filter(customer=source)
    rental_ids = list(rentals.values_list("pk", flat=True))
    target_contract: UsageContract | None
    if successor_contract is None and contract is not None:
        # The successor takes over the usage contract itself.
        UsageContract.objects.filter(pk=contract.pk).update(customer=successor)
        moved["usage_contract"] = contract.pk
        target_contract = contract
    else:
        target_contract = successor_contract
        moved["usage_contract"] = None
    update: dict[str, Any] = {"customer": successor, "updated_at": timezone.now()}
    if target_contract is not None:
        update["contract"] = target_contract
    moved["rentals"] = Rental.objects.filter(pk__in=rental_ids).update(**update)
    moved["units"] = RentalUnit.objects.filter(
        rental_id__in=rental_ids, returned_at__isnull=True
    ).count()
    moved["charges"] = Charge.objects.filter(customer=source).update(customer=successor)
    moved["payments"] = Payment.objects.filter(customer=source).update(customer=successor)
    record_ids = list(VideoRecord.objects.filter(customer=source).values_list("pk", flat=True))
    moved["video_records"] = VideoRecord.objects.filter(pk__in=record_ids).update(
        customer=successor
    )
    moved["video_record_ids"] = record_ids
    moved["video_moderations"] = VideoModeration.objects.filter(customer=source).update(
        customer=successor
    )
    moved["video_deletions"] = VideoDeletionRecord.objects.filter(customer=source).update(
        customer=successor
    )
    return moved


def _require_decider(actor: User) -> None:
    require_staff_permission(
        actor,
        "contracts.change_contracttransfer",
        _("Only staff entitled to decide transfers may approve or refuse one (Art. 17)."),
    )


@transaction.atomic
def transfer_approve(
    *,
    transfer: ContractTransfer,
    actor: User,
    consent_reference: str,
    consent_date: date,
    request: HttpRequest | None = None,
) -> ContractTransfer:
    """Staff approve with the written consent's reference and date (Art. 17). The successor
    must be registered in the portal (Art. 4), identified by its corporate number. Everything
    moves in this one transaction; both sides are notified."""
    _require_decider(actor)
    transfer = _lock_open(transfer)
    if not consent_reference.strip():
        raise ValidationError(
            {"consent_reference": _("Record the written consent (Art. 17).")}, "consent_required"
        )
    if consent_date > timezone.localdate():
        # Art. 17: the consent comes before the transfer; one dated later is not yet given.
        raise ValidationError(
            {"consent_date": _("The written consent cannot be dated in the future.")},
            "consent_in_future",
        )
    successor = successor_candidate(transfer=transfer)
    if successor is None:
        raise ValidationError(
            _(
                "No active customer with corporate number %(number)s is registered. The "
                "successor must register and be approved first (Art. 4)."
            )
            % {"number": transfer.successor_corporate_number},
            "successor_not_registered",
        )
    # Both companies locked in a fixed order, so two transfers cannot deadlock.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[transfer.customer_id, successor.pk])
        .order_by("pk")
    }
    source, successor = locked[transfer.customer_id], locked[successor.pk]
    moved = _move(transfer, source, successor)
    transfer.state = ContractTransfer.State.APPROVED
    transfer.successor = successor
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.consent_reference = consent_reference.strip()
    transfer.consent_date = consent_date
    transfer.moved = moved
    transfer.full_clean()
    transfer.save()
    notices = {}
    for customer, role in ((source, "from"), (successor, "to")):
        audit_record(
            action=f"contracts.transfer.approved_{role}",
            actor=actor,
            customer=customer,
            target=transfer,
            clause=Clause.ART17,
            request=request,
            extra={"moved": moved, "consent_reference": transfer.consent_reference},
        )
        notices[role] = notice_create(
            customer=customer,
            kind=Notice.Kind.CONTRACT_TRANSFER,
            clause=Clause.ART17,
            subject=transfer,
            context={"transfer": transfer, "side": role, "moved": moved},
            actor=actor,
        )
    if moved["video_record_ids"]:
        # Art. 10(3)(6): the video data passes to the successor by the succession; the
        # disclosure log says so, and the transfer notice told the customer.
        disclosure = VideoDisclosure(
            customer=source,
            ground=DisclosureGround.SUCCESSION,
            recipient=f"{successor.name} ({successor.corporate_number})",
            what=_("Video data records moved with the contractual position (Art. 17)."),
            disclosed_at=transfer.decided_at,
            notification=VideoDisclosure.Notification.NOTIFY,
            notice_id_sent=notices["from"].pk,
            recorded_by=actor,
        )
        disclosure.full_clean()
        disclosure.save()
        disclosure.records.set(moved["video_record_ids"])
        audit_record(
            action="contracts.video_disclosure.recorded",
            actor=actor,
            customer=source,
            target=disclosure,
            clause=Clause.ART10_3,
            request=request,
            extra={"ground": disclosure.ground, "transfer": transfer.pk},
        )
    return transfer


@transaction.atomic
def transfer_refuse(
    *,
    transfer: ContractTransfer,
    actor: User,
    reason: str,
    request: HttpRequest | None = None,
) -> ContractTransfer:
    """Staff refuse the request with a reason; nothing moves and the customer is notified."""
    _require_decider(actor)
    transfer = _lock_open(transfer)
    if not reason.strip():
        raise ValidationError({"refusal_reason": _("Give the reason.")}, "reason_required")
    transfer.state = ContractTransfer.State.REFUSED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.refusal_reason = reason.strip()
    transfer.full_clean()
    transfer.save()
    customer = Customer.objects.get(pk=transfer.customer_id)
    audit_record(
        action="contracts.transfer.refused",
        actor=actor,
        customer=customer,
        target=transfer,
        clause=Clause.ART17,
        request=request,
    )
    notice_create(
        customer=customer,
        kind=Notice.Kind.CONTRACT_TRANSFER,
        clause=Clause.ART17,
        subject=transfer,
        context={"transfer": transfer, "side": "from", "moved": {}},
        actor=actor,
    )
    return transfer
