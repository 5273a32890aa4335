"""Prints the liability cap of Art. 13(9) for a customer on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Customer
from contracts.services.billing import customer_liability_cap


class Command(BaseCommand):
    help = (
        "Art. 13(9): the fees actually received from the customer in the three months before "
        "a date (default: today)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--date", help="YYYY-MM-DD, the day the damage arose")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            customer = Customer.objects.get(pk=options["customer_id"])
        except Customer.DoesNotExist as exc:
            raise CommandError(f"No customer with id {options['customer_id']}.") from exc
        try:
            on = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(
                f"--date must look like 2026-11-30, not {options['date']!r}."
            ) from exc
        cap = customer_liability_cap(customer=customer, on=on)
        self.stdout.write(
            f"{customer.name}: liability cap on {cap.on} = ¥{cap.amount_yen:,} "
            f"(payments received {cap.window_start} – {cap.window_end})"
        )
