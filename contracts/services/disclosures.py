"""The log of disclosures of video data to third parties without the customer's consent
(Art. 10(3)): only on grounds (1)–(6), with the choice to notify the customer or to withhold
the notice with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, User
from notices.models import Notice
from notices.services import notice_create

from ..models import (
    DisclosureGround,
    VideoDisclosure,
    VideoRecord,
)

# --- Disclosures to third parties (Art. 10(3)) ----------------------------------------------


@dataclass(frozen=True)
class DisclosureData:
    ground: int
    recipient: str
    what: str
    disclosed_at: datetime
    notification: str
    withhold_reason: str = ""
    note: str = ""


@transaction.atomic
def video_disclosure_record(
    *,
    customer: Customer,
    records: Iterable[VideoRecord],
    data: DisclosureData,
    actor: User,
    request: HttpRequest | None = None,
) -> VideoDisclosure:
    """Staff record a disclosure of the customer's video data without consent, on one of the
    grounds (1)–(6) of Art. 10(3). Telling the customer is an explicit choice: when chosen,
    the notice is created with the record; when withheld, the reason is kept."""
    records = list(records)
    if any(r.customer_id != customer.pk for r in records):
        raise ValidationError(
            {"records": _("Every record disclosed must belong to this customer.")},
            code="records_other_customer",
        )
    if data.ground not in DisclosureGround.values:
        raise ValidationError({"ground": _("Choose the ground (1) to (6).")}, code="invalid_ground")
    if data.disclosed_at > timezone.now():
        raise ValidationError(
            {"disclosed_at": _("A disclosure is recorded after it happened.")}, code="future"
        )
    disclosure = VideoDisclosure(
        customer=customer,
        ground=data.ground,
        recipient=data.recipient.strip(),
        what=data.what.strip(),
        disclosed_at=data.disclosed_at,
        note=data.note.strip(),
        notification=data.notification,
        withhold_reason=data.withhold_reason.strip()
        if data.notification == VideoDisclosure.Notification.WITHHOLD
        else "",
        recorded_by=actor,
    )
    if (
        disclosure.notification == VideoDisclosure.Notification.WITHHOLD
        and not disclosure.withhold_reason
    ):
        raise ValidationError(
            {"withhold_reason": _("Say why the customer is not told.")}, code="reason_required"
        )
    disclosure.full_clean()
    disclosure.save()
    disclosure.records.set(records)
    if disclosure.notification == VideoDisclosure.Notification.NOTIFY:
        notice = notice_create(
            customer=customer,
            kind=Notice.Kind.VIDEO_DISCLOSURE,
            clause=Clause.ART10_3,
            subject=disclosure,
            context={
                "disclosure": disclosure,
                "ground_label": DisclosureGround(disclosure.ground).label,
                "records": records,
            },
            actor=actor,
        )
        disclosure.notice_id_sent = notice.pk
        disclosure.save(update_fields=["notice_id_sent"])
    audit_record(
        action="contracts.video_disclosure.recorded",
        actor=actor,
        customer=customer,
        target=disclosure,
        clause=Clause.ART10_3,
        request=request,
        extra={
            "ground": disclosure.ground,
            "recipient": disclosure.recipient,
            "records": [r.pk for r in records],
            "notified": disclosure.notification == VideoDisclosure.Notification.NOTIFY,
        },
    )
    return disclosure
