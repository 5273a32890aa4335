"""Writes of video data records (Art. 2(1), 10): recording what the service holds (by staff,
by import, by the camera platform) and their deletion at the end of a rental or on return
(Art. 10(6)(7)). Staff moderation is in ``moderation``, the disclosure log in ``disclosures``.

An import is all or nothing: every row is checked first and a single bad row refuses the
whole file, with the line number of every bad row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.audit import SCHEDULER, audit_record
from accounts.models import User
from cameras.models import Unit
from notices.services import Sql

from ..models import (
    Rental,
    RentalUnit,
    VideoRecord,
)

# Columns of an import file (CSV header or JSON keys). ``unit_serial`` may be empty.
IMPORT_FIELDS = (
    "rental",
    "unit_serial",
    "period_start",
    "period_end",
    "storage",
    "size_bytes",
    "external_ref",
)
REQUIRED_IMPORT_FIELDS = ("rental", "period_start", "period_end", "storage", "size_bytes")


@dataclass(frozen=True)
class VideoRecordData:
    rental: Rental
    unit: Unit | None
    period_start: datetime
    period_end: datetime
    storage: str
    size_bytes: int
    external_ref: str = ""


def _check_unit_on_rental(rental: Rental, unit: Unit | None) -> None:
    if unit is not None and not RentalUnit.objects.filter(rental=rental, unit=unit).exists():
        raise ValidationError(
            {"unit": _("This unit was never assigned to this rental.")}, code="unit_not_on_rental"
        )


def _build(data: VideoRecordData, *, source: str) -> VideoRecord:
    record = VideoRecord(
        customer_id=data.rental.customer_id,
        rental=data.rental,
        unit=data.unit,
        period_start=data.period_start,
        period_end=data.period_end,
        storage=data.storage,
        size_bytes=data.size_bytes,
        external_ref=data.external_ref.strip(),
        source=source,
    )
    if record.period_end <= record.period_start:
        raise ValidationError(
            {"period_end": _("The end of the period must be after its start.")},
            code="period_order",
        )
    record.full_clean()
    return record


@transaction.atomic
def video_record_create(
    *,
    data: VideoRecordData,
    actor: User | None,
    source: str = VideoRecord.Source.STAFF,
    request: HttpRequest | None = None,
) -> VideoRecord:
    """Records one set of recordings the service holds for a rental (Art. 10)."""
    _check_unit_on_rental(data.rental, data.unit)
    record = _build(data, source=source)
    record.save()
    audit_record(
        action="contracts.video_record.created",
        actor=actor,
        customer=data.rental.customer,
        target=record,
        request=request,
        extra={"source": source, "rental": data.rental.pk},
    )
    return record


# The ids a database row can have (a bigint); a larger number names no rental, and SQLite
# refuses to even compare with it (an OverflowError, a 500 before).
_MAX_ID = 2**63 - 1


def _within_calendar_in_utc(value: datetime) -> bool:
    """9999-12-31T23:59-12:00 parses, but is in year 10000 in UTC, where it is stored."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _parse_row(
    row: Mapping[str, Any], rentals: dict[int, Rental], units: dict[tuple[int, str], Unit]
) -> VideoRecordData:
    """One row of an import as text values → the data of a record; raises ValidationError
    with every problem of the row."""
    problems: list[str] = []
    values = {key: ("" if row.get(key) is None else str(row.get(key)).strip()) for key in row}
    unknown = sorted(set(values) - set(IMPORT_FIELDS))
    if unknown:
        problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
    for name in REQUIRED_IMPORT_FIELDS:
        if not values.get(name):
            problems.append(_("%(field)s is required") % {"field": name})
    rental = None
    if values.get("rental"):
        try:
            rental = rentals.get(int(values["rental"]))  # absent when out of range too
        except ValueError:
            rental = None
        if rental is None:
            problems.append(_("no rental %(id)s") % {"id": values["rental"]})
    unit = None
    serial = values.get("unit_serial", "")
    if serial and rental is not None:
        unit = units.get((rental.pk, serial))
        if unit is None:
            problems.append(
                _("unit %(serial)s was never assigned to rental %(id)s")
                % {"serial": serial, "id": rental.pk}
            )
    times: dict[str, datetime] = {}
    for name in ("period_start", "period_end"):
        if values.get(name):
            try:
                parsed = parse_datetime(values[name])
            except ValueError:
                parsed = None
            if parsed is None or timezone.is_naive(parsed):
                problems.append(
                    _("%(field)s is not an ISO 8601 time with a UTC offset") % {"field": name}
                )
            elif not _within_calendar_in_utc(parsed):
                problems.append(_("%(field)s is out of range") % {"field": name})
            else:
                times[name] = parsed
    storage = values.get("storage", "")
    if storage and storage not in VideoRecord.Storage.values:
        problems.append(
            _("storage must be one of %(choices)s")
            % {"choices": ", ".join(VideoRecord.Storage.values)}
        )
    size = -1
    if values.get("size_bytes"):
        try:
            size = int(values["size_bytes"])
        except ValueError:
            size = -1
        if size < 0:
            problems.append(_("size_bytes must be a whole number of bytes"))
    if problems:
        raise ValidationError(problems)
    assert rental is not None
    return VideoRecordData(
        rental=rental,
        unit=unit,
        period_start=times["period_start"],
        period_end=times["period_end"],
        storage=storage,
        size_bytes=size,
        external_ref=values.get("external_ref", ""),
    )


def import_rows_parse(content: str, *, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """The rows of an import file as ``(line, values)``: CSV with a header line (data starts
    on line 2), or JSON, a list of objects or ``{"records": [...]}`` (numbered from 1)."""
    content = content.lstrip("\ufeff")
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content))
        if reader.fieldnames is None:
            raise ValidationError(_("The file has no header line."), code="no_header")
        rows = []
        for row in reader:
            if None in row:
                raise ValidationError(
                    _("line %(line)s: more values than columns") % {"line": reader.line_num},
                    code="bad_csv",
                )
            rows.append((reader.line_num, dict(row)))
        return rows
    if fmt == "json":
        try:
            document = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("The file is not valid JSON (line %(line)s).") % {"line": exc.lineno},
                code="bad_json",
            ) from exc
        if isinstance(document, dict):
            document = document.get("records")
        if not isinstance(document, list) or not all(isinstance(i, dict) for i in document):
            raise ValidationError(
                _('JSON must be a list of objects, or {"records": [...]}.'), code="bad_json"
            )
        return list(enumerate(document, start=1))
    raise ValidationError(_("Unknown format: use csv or json."), code="bad_format")


@transaction.atomic
def video_records_import(
    *,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    source: str,
    actor: User | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> list[VideoRecord]:
    """Imports the rows ``(line number, values)`` of a file or an API call, all or nothing.
    If any row is bad, nothing is saved and the ValidationError lists every bad row as
    "line N: problem; problem"."""
    if not rows:
        raise ValidationError(_("The file has no records."), code="empty")
    rental_ids = set()
    for _line, row in rows:
        try:
            rental_id = int(str(row.get("rental") or "").strip())
        except ValueError:
            continue
        if 0 < rental_id <= _MAX_ID:
            rental_ids.add(rental_id)
    rentals = {r.pk: r for r in Rental.objects.filter(pk__in=rental_ids).select_related("customer")}
    units = {
        (ru.rental_id, ru.unit.serial): ru.unit
        for ru in RentalUnit.objects.filter(rental_id__in=rental_ids).select_related("unit")
    }
    refs_in_file: dict[str, int] = {}
    built: list[VideoRecord] = []
    errors: list[str] = []
    for line, row in rows:
        try:
            data = _parse_row(row, rentals, units)
            record = _build(data, source=source)
            if record.external_ref:
                if record.external_ref in refs_in_file:
                    raise ValidationError(
                        _("external_ref repeats line %(line)s")
                        % {"line": refs_in_file[record.external_ref]}
                    )
                refs_in_file[record.external_ref] = line
            built.append(record)
        except ValidationError as exc:
            errors.append(
                _("line %(line)s: %(problems)s")
                % {"line": line, "problems": "; ".join(exc.messages)}
            )
    if errors:
        raise ValidationError(errors, code="invalid_rows")
    VideoRecord.objects.bulk_create(built)
    customers = {r.customer_id: r.customer for r in rentals.values()}
    for customer_id in sorted({r.customer_id for r in built}):
        audit_record(
            action="contracts.video_record.imported",
            actor=actor,
            actor_label=actor_label or SCHEDULER,
            customer=customers[customer_id],
            request=request,
            extra={
                "source": source,
                "records": [r.pk for r in built if r.customer_id == customer_id],
            },
        )
    return built


# --- Deletion at the end of a contract or on return (Art. 10(6)(7)) -------------------------


def video_records_mark_deleted_for_rentals(*, rental_ids: Sequence[int], at: datetime) -> int:
    """Art. 10(6): a rental's end deletes its cloud recordings; its records say so. One
    UPDATE, called by the rental services inside their transaction."""
    return VideoRecord.objects.filter(
        rental_id__in=list(rental_ids),
        storage=VideoRecord.Storage.CLOUD,
        state__in=[VideoRecord.State.HELD, VideoRecord.State.HIDDEN],
    ).update(state=VideoRecord.State.DELETED, state_changed_at=at, updated_at=at)


def video_records_mark_deleted_sql(*, rentals: str, at: datetime) -> Sql:
    """``video_records_mark_deleted_for_rentals`` as a data-modifying CTE named ``records``
    of a statement in which ``rentals`` names the ended rentals (a relation with ``id``)."""
    return Sql(
        f"records AS (UPDATE {VideoRecord._meta.db_table} v SET state = %s,"  # noqa: S608
        f" state_changed_at = %s, updated_at = %s WHERE v.rental_id IN (SELECT id FROM {rentals})"
        " AND v.storage = %s AND v.state IN (%s, %s))",
        VideoRecord.State.DELETED,
        at,
        at,
        VideoRecord.Storage.CLOUD,
        VideoRecord.State.HELD,
        VideoRecord.State.HIDDEN,
    )


def video_records_mark_deleted_for_unit(*, unit_id: int, rental_id: int, at: datetime) -> int:
    """Art. 10(7): wiping a returned unit deletes what its SD card or NAS held for the rental
    it came back from."""
    return VideoRecord.objects.filter(
        rental_id=rental_id,
        unit_id=unit_id,
        storage__in=[VideoRecord.Storage.SD_CARD, VideoRecord.Storage.NAS],
        state__in=[VideoRecord.State.HELD, VideoRecord.State.HIDDEN],
    ).update(state=VideoRecord.State.DELETED, state_changed_at=at, updated_at=at)
