"""``import_units``: a CSV of new units, with a progress bar; all or nothing, bad rows
reported with their line numbers."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cameras.models import Unit
from tests.factories import ProductFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_imports_every_unit_with_a_progress_bar(tmp_path: Path):
    ProductFactory(model_code="NC-100")
    ProductFactory(model_code="BH-200")
    rows = "".join(f"NC-100,SN{i:04d},\n" for i in range(1200))
    path = _write(tmp_path, "model_code,serial,note\n" + rows + "BH-200,BH-0001,予備機\n")
    out = StringIO()
    call_command("import_units", str(path), stdout=out)
    assert Unit.objects.count() == 1201
    assert Unit.objects.get(serial="BH-0001").note == "予備機"
    text = out.getvalue()
    assert "[##############################] 1201/1201" in text
    assert "500/1201" in text
    assert "1201 unit(s) imported." in text


def test_a_bad_file_writes_nothing_and_names_the_lines(tmp_path: Path):
    product = ProductFactory(model_code="NC-100")
    UnitFactory(product=product, serial="TAKEN")
    path = _write(
        tmp_path,
        "model_code,serial\n"
        "NC-100,OK-1\n"  # line 2
        "XX-999,OK-2\n"  # line 3: unknown model
        "NC-100,\n"  # line 4: no serial
        "NC-100,TAKEN\n"  # line 5: exists
        "NC-100,OK-1\n",  # line 6: repeats line 2
    )
    err = StringIO()
    with pytest.raises(CommandError, match="4 problem"):
        call_command("import_units", str(path), stdout=StringIO(), stderr=err)
    messages = err.getvalue()
    # Commands speak the site language (Japanese by default): "Line 3: …" / "3行目：…".
    reported = {int(m) for m in re.findall(r"^(?:Line )?(\d+)(?::|行目)", messages, re.M)}
    assert reported == {3, 4, 5, 6}
    assert Unit.objects.count() == 1


def test_a_file_without_the_header_is_refused(tmp_path: Path):
    path = _write(tmp_path, "serial\nA\n")
    with pytest.raises(CommandError):
        call_command("import_units", str(path), stdout=StringIO(), stderr=StringIO())
