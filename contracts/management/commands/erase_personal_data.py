"""Removes the personal data of ended customers past the retention period by hand (the beat
job runs it nightly); idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from contracts.services.privacy import personal_data_erase_due


class Command(BaseCommand):
    help = (
        "Removes the personal data of cancelled or revoked customers whose registration ended "
        "more than PERSONAL_DATA_RETENTION_DAYS ago (Art. 11). Safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = personal_data_erase_due()
        self.stdout.write(
            f"Personal data removed for {done} customer(s) "
            f"(retention {settings.PERSONAL_DATA_RETENTION_DAYS} days)."
        )
