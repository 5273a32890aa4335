"""Ends the rentals whose scheduled end has come, by hand (the beat job runs it nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from contracts.services.rental_ends import rentals_end_scheduled


class Command(BaseCommand):
    help = "Ends every rental whose scheduled end date is today or earlier. Safe to run twice."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = rentals_end_scheduled()
        self.stdout.write(f"{ended} rental(s) ended.")
