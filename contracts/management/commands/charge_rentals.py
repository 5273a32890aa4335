"""Creates the monthly charges by hand (the beat job runs it daily); idempotent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from contracts.services.billing import charges_create_due, charges_create_for_month, month_start


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--month must look like 2026-10, not {value!r}.") from exc


class Command(BaseCommand):
    help = "Charges every rental's fee for a month (default: last month). Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM; default: the month before today")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            period = _month(options["month"])
            if period >= month_start(timezone.localdate()):
                # A month is charged once, whole or pro rata, when it is over: charging it
                # earlier would bill days not yet used, and the charge is never made again.
                raise CommandError(
                    f"{options['month']} is not over yet (Japan time): only past months "
                    "can be charged."
                )
            created = charges_create_for_month(period=period)
        else:
            period = None
            created = charges_create_due()
        label = period.strftime("%Y-%m") if period else "last month"
        self.stdout.write(f"{created} charge(s) created for {label}.")
