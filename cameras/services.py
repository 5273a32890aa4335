"""Writes of the catalogue's units that need nothing of the rentals: back into stock,
retirement, and the bulk import of new serial-numbered units. Assigning, returning and
wiping a unit belong to a rental (contracts.services.rentals, rental_operations)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User

from .models import Product, Unit

IMPORT_COLUMNS = ("model_code", "serial")
IMPORT_BATCH = 500


def _save(unit: Unit, fields: Iterable[str]) -> None:
    unit.full_clean()
    unit.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def unit_restock(*, unit: Unit, actor: User, request: HttpRequest | None = None) -> Unit:
    """A wiped unit goes back on the shelf."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.state != Unit.State.WIPED:
        raise ValidationError(
            _("Only a wiped unit can go back into stock (unit %(serial)s is %(state)s).")
            % {"serial": unit.serial, "state": unit.get_state_display()},
            code="unit_not_wiped",
        )
    unit.state = Unit.State.IN_STOCK
    _save(unit, ["state"])
    audit_record(action="cameras.unit.restocked", actor=actor, target=unit, request=request)
    return unit


@transaction.atomic
def unit_retire(
    *, unit: Unit, actor: User, note: str = "", request: HttpRequest | None = None
) -> Unit:
    """A unit leaves service for good. Only a unit on no rental (in stock or wiped) can."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.state not in (Unit.State.IN_STOCK, Unit.State.WIPED):
        raise ValidationError(
            _("Unit %(serial)s is %(state)s and cannot be retired.")
            % {"serial": unit.serial, "state": unit.get_state_display()},
            code="unit_in_use",
        )
    unit.state = Unit.State.RETIRED
    if note:
        unit.note = note[:300]
    _save(unit, ["state", "note"])
    audit_record(
        action="cameras.unit.retired",
        actor=actor,
        target=unit,
        request=request,
        extra={"note": note},
    )
    return unit


@dataclass(frozen=True)
class ImportRow:
    line: int
    product: Product
    serial: str
    note: str


def units_import_parse(lines: Iterable[str]) -> list[ImportRow]:
    """Reads a CSV of new units (header ``model_code,serial[,note]``). Every bad row is
    reported with its line number in one ``ValidationError``; nothing is returned then."""
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in IMPORT_COLUMNS if name not in header]
    if missing:
        raise ValidationError(
            _("Line 1: the header needs the columns %(columns)s.")
            % {"columns": ", ".join(IMPORT_COLUMNS)},
            code="bad_header",
        )
    raw = []
    for record in reader:
        values = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        raw.append((reader.line_num, values))
    products = {
        p.model_code: p
        for p in Product.objects.filter(
            model_code__in={v.get("model_code", "") for _line, v in raw}
        )
    }
    existing = set(
        Unit.objects.filter(product__in=products.values()).values_list(
            "product__model_code", "serial"
        )
    )
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    rows: list[ImportRow] = []
    for line, values in raw:
        code, serial = values.get("model_code", ""), values.get("serial", "")
        problem = ""
        if code not in products:
            problem = _("unknown model code %(code)r") % {"code": code}
        elif not serial:
            problem = _("the serial number is empty")
        elif len(serial) > 64:
            problem = _("the serial number is longer than 64 characters")
        elif (code, serial) in existing:
            problem = _("%(code)s %(serial)s already exists") % {"code": code, "serial": serial}
        elif (code, serial) in seen:
            problem = _("%(code)s %(serial)s repeats line %(line)d") % {
                "code": code,
                "serial": serial,
                "line": seen[(code, serial)],
            }
        if problem:
            errors.append(_("Line %(line)d: %(problem)s.") % {"line": line, "problem": problem})
            continue
        seen[(code, serial)] = line
        rows.append(ImportRow(line, products[code], serial, values.get("note", "")[:300]))
    if errors:
        raise ValidationError(errors, code="bad_rows")
    if not rows:
        raise ValidationError(_("The file has no units."), code="empty")
    return rows


@transaction.atomic
def units_import(
    *,
    lines: Iterable[str],
    actor: User | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Creates the units of a CSV file, all or nothing: a bad row writes none of them.
    ``progress(done, total)`` is called after each batch. Returns how many were created."""
    rows = units_import_parse(lines)
    total = len(rows)
    done = 0
    for start in range(0, total, IMPORT_BATCH):
        batch = rows[start : start + IMPORT_BATCH]
        Unit.objects.bulk_create(
            [Unit(product=row.product, serial=row.serial, note=row.note) for row in batch]
        )
        done += len(batch)
        if progress is not None:
            progress(done, total)
    audit_record(action="cameras.units.imported", actor=actor, extra={"count": total})
    return total
