"""Working through the return checklist of an ended registration (Art. 12(5)): each rented
unit is done when its return is recorded (``rental_operations.rental_unit_return``), the
software and manuals when staff record that they were returned or destroyed; the checklist
closes when nothing is left on it."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import User

from ..models import Measure, ReturnChecklist, ReturnItem
from .lifecycle_common import require_measure


def _close_when_done(checklist: ReturnChecklist, now: datetime) -> bool:
    if checklist.items.filter(done_at__isnull=True).exists():
        return False
    checklist.closed_at = now
    checklist.full_clean()
    checklist.save(update_fields=["closed_at"])
    return True


def return_items_unit_back(*, customer_id: int, unit_id: int, now: datetime) -> None:
    """A unit on the customer's open checklist came back: its item is done (called by the
    service recording the unit's return, inside its transaction)."""
    checklist = (
        ReturnChecklist.objects.select_for_update()
        .filter(customer_id=customer_id, closed_at__isnull=True)
        .first()
    )
    if checklist is None:
        return
    done = ReturnItem.objects.filter(
        checklist=checklist, kind=ReturnItem.Kind.UNIT, unit_ref=str(unit_id), done_at=None
    ).update(done_at=now)
    if done:
        _close_when_done(checklist, now)


@transaction.atomic
def return_checklist_materials_done(
    *,
    checklist: ReturnChecklist,
    actor: User,
    note: str,
    request: HttpRequest | None = None,
) -> ReturnChecklist:
    """Staff record that the software, manuals and other things provided were returned or
    destroyed as instructed (Art. 12(5)). The units are done one by one as they come back;
    the checklist closes when nothing is left."""
    require_measure(actor, Measure.RECORD_RETURNS)
    locked = (
        ReturnChecklist.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=checklist.pk)
    )
    if locked.closed_at is not None:
        raise ValidationError(_("This return checklist is already closed."), code="closed")
    now = timezone.now()
    done = ReturnItem.objects.filter(checklist=locked, done_at=None).exclude(
        kind=ReturnItem.Kind.UNIT
    )
    count = done.update(done_at=now)
    if not count:
        raise ValidationError(
            _("The software and manuals of this checklist are already recorded."),
            code="nothing_left",
        )
    closed = _close_when_done(locked, now)
    audit_record(
        action="contracts.return_checklist.materials_done",
        actor=actor,
        customer=locked.customer,
        target=locked,
        clause=Clause.ART12_5,
        request=request,
        extra={"note": note, "items": count, "closed": closed},
    )
    checklist.refresh_from_db()
    return locked
