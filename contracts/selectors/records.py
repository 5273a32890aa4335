"""Reads of the video data records the service holds for the customer (Art. 2(1), 10): the
records, the deletion log with the Art. 7(1) item of each moderation (Art. 7(2), 10(5)), and
the backup warning before a cancellation takes effect (Art. 10(4)(6))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Customer
from accounts.selectors import get_for_customer

from ..models import (
    ProhibitedAct,
    VideoModeration,
    VideoRecord,
)
from .rentals import video_deletion_list


def video_record_list(*, customer: Customer) -> models.QuerySet[VideoRecord]:
    """The recordings the service holds or held for the customer, newest first."""
    return (
        VideoRecord.objects.filter(customer=customer)
        .select_related("rental__product", "unit")
        .order_by("-period_start", "-pk")
    )


def video_record_get(*, customer: Customer, pk: object) -> VideoRecord:
    return get_for_customer(
        customer=customer, queryset=VideoRecord.objects.select_related("rental", "unit"), pk=pk
    )


@dataclass(frozen=True)
class DeletionLogEntry:
    """One line of the customer's deletion log: the end of a contract or a wipe (Art. 10(6)(7))
    or a moderation by the provider (Art. 7(2), 10(5)) with the Art. 7(1) item cited."""

    at: datetime
    kind: str
    storage: str
    rental_id: int | None
    unit: str
    clause: str
    prohibited_item: int | None
    prohibited_item_label: str
    action: str


def video_deletion_log(*, customer: Customer) -> list[DeletionLogEntry]:
    """The customer's deletion log, newest first, in two queries."""
    entries = [
        DeletionLogEntry(
            at=d.deleted_at,
            kind="deletion",
            storage=d.get_storage_display(),
            rental_id=d.rental_id,
            unit=str(d.unit) if d.unit else "",
            clause=d.clause,
            prohibited_item=None,
            prohibited_item_label="",
            action=str(_lazy("Deleted")),
        )
        for d in video_deletion_list(customer=customer)
    ]
    moderations = VideoModeration.objects.filter(customer=customer).select_related(
        "record__unit__product"
    )
    for m in moderations:
        entries.append(
            DeletionLogEntry(
                at=m.created_at,
                kind="moderation",
                storage=m.record.get_storage_display(),
                rental_id=m.record.rental_id,
                unit=str(m.record.unit) if m.record.unit else "",
                clause=m.clause,
                prohibited_item=m.prohibited_item,
                prohibited_item_label=str(ProhibitedAct(m.prohibited_item).label),
                action=m.get_action_display(),
            )
        )
    return sorted(entries, key=lambda e: e.at, reverse=True)


@dataclass(frozen=True)
class VideoBackupWarning:
    """Art. 10(4)(6): shown before a cancellation takes effect — the provider keeps no video
    data afterwards, so the customer backs it up now."""

    effective_at: datetime | None
    held_records: int


def video_backup_warning(*, customer: Customer) -> VideoBackupWarning | None:
    """The warning to show while a cancellation is scheduled, or None. A suspended company
    keeps its status while its notice runs (the date says it is scheduled)."""
    scheduled = customer.status == Customer.Status.CANCELLATION_SCHEDULED or (
        customer.status == Customer.Status.SUSPENDED
        and customer.cancellation_effective_at is not None
    )
    if not scheduled:
        return None
    held = VideoRecord.objects.filter(
        customer=customer, state__in=[VideoRecord.State.HELD, VideoRecord.State.HIDDEN]
    ).count()
    return VideoBackupWarning(effective_at=customer.cancellation_effective_at, held_records=held)
