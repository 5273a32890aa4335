"""Moderation of video data by provider staff (Art. 7(2), 10(5)): a record that breaches an
item of Art. 7(1) is hidden or deleted, without prior notice, citing the item."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import User
from accounts.staff import require_staff_permission

from ..models import (
    ProhibitedAct,
    VideoModeration,
    VideoRecord,
)

# --- Moderation (Art. 7(2), 10(5)) -----------------------------------------------------------


@transaction.atomic
def video_record_moderate(
    *,
    record: VideoRecord,
    action: str,
    prohibited_item: int,
    note: str,
    actor: User,
    request: HttpRequest | None = None,
) -> VideoModeration:
    """Staff hide or delete a record that breaches an item of Art. 7(1); no prior notice is
    needed (Art. 7(2), 10(5)). A deleted record stays deleted; a hidden one may be deleted."""
    require_staff_permission(
        actor,
        "contracts.change_videorecord",
        _("Only staff entitled to moderate video records may hide or delete one."),
    )
    record = VideoRecord.objects.select_for_update().select_related("customer").get(pk=record.pk)
    if action not in VideoModeration.Action.values:
        raise ValidationError(_("Unknown moderation action."), code="invalid_action")
    if prohibited_item not in ProhibitedAct.values:
        raise ValidationError(
            {"prohibited_item": _("Cite the item of Art. 7(1) (1 to 18) that is breached.")},
            code="invalid_item",
        )
    if not note.strip():
        raise ValidationError({"note": _("Say what was found.")}, code="note_required")
    if record.state == VideoRecord.State.DELETED or (
        action == VideoModeration.Action.HIDE and record.state == VideoRecord.State.HIDDEN
    ):
        raise ValidationError(
            _("This record is already %(state)s.") % {"state": record.get_state_display()},
            code="invalid_state",
        )
    moderation = VideoModeration(
        record=record,
        customer=record.customer,
        action=action,
        prohibited_item=prohibited_item,
        note=note.strip(),
        clause=Clause.ART10_5,
        actor=actor,
    )
    moderation.full_clean()
    moderation.save()
    record.state = (
        VideoRecord.State.HIDDEN
        if action == VideoModeration.Action.HIDE
        else VideoRecord.State.DELETED
    )
    record.state_changed_at = moderation.created_at
    record.full_clean()
    record.save(update_fields=["state", "state_changed_at", "updated_at"])
    audit_record(
        action=f"contracts.video_record.{'hidden' if action == 'hide' else 'deleted'}",
        actor=actor,
        customer=record.customer,
        target=record,
        clause=Clause.ART10_5,
        request=request,
        extra={"art7_1_item": prohibited_item, "moderation": moderation.pk},
    )
    return moderation
