"""The CSV files handed out are read by spreadsheets: text that a spreadsheet would run as a
formula is written as text (ctsportal.spreadsheets), in every export."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.models import Customer, User
from ctsportal.spreadsheets import SafeDictWriter, SafeWriter, cell
from tests.contracts.rental_helpers import make_active
from tests.factories import make_video_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","クリック")',
            '\'=HYPERLINK("http://evil.example","クリック")',
        ),
        ("+81-3-1234", "'+81-3-1234"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("東京第一現場", "東京第一現場"),
        ("2026-12-01T09:00:00+09:00", "2026-12-01T09:00:00+09:00"),
        (-5, -5),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value: object, written: object) -> None:
    assert cell(value) == written


def test_the_writers_apply_it_to_every_cell() -> None:
    buffer = io.StringIO()
    SafeWriter(buffer).writerow(["=1+1", "ok", 3])
    SafeWriter(buffer).writerows([["+1"]])
    writer = SafeDictWriter(buffer, fieldnames=["a", "b"])
    writer.writerow({"a": "@x", "b": "y"})
    writer.writerows([{"a": "-2", "b": "z"}])
    assert buffer.getvalue().splitlines() == ["'=1+1,ok,3", "'+1", "'@x,y", "'-2,z"]


def test_the_video_records_csv_is_safe_and_in_tokyo_time(
    customer_a: Customer, alice: User, staff: User, alice_client: Client
) -> None:
    rental = make_active(customer_a, alice, staff)
    rental.site_name = '=HYPERLINK("http://evil.example")'
    rental.save(update_fields=["site_name"])
    record = make_video_record(rental)
    response = alice_client.get("/video/records.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0]["site"] == "'" + rental.site_name
    tokyo = record.period_start.astimezone(ZoneInfo("Asia/Tokyo"))
    assert rows[0]["period_start"] == tokyo.isoformat()
