"""Runs one delivery sweep by hand, in this process (no worker needed)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notices import services


class Command(BaseCommand):
    help = (
        "Delivers, in this process, every notice the sweep would re-queue: pending notices "
        "whose task was queued longer ago than NOTICE_SWEEP_GRACE (or --now: all pending "
        "ones past their retry time) and notices left in sending beyond NOTICE_SENDING_LEASE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            action="store_true",
            help="Do not wait for the grace period: deliver every due pending notice now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = services.notices_requeue_due(grace_seconds=0 if options["now"] else None)
        counts: Counter[str] = Counter()
        for batch in services.delivery_batches(ids):
            counts.update(o.status for o in services.notices_deliver(notice_ids=batch).values())
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none"
        self.stdout.write(f"{len(ids)} notices due ({summary}).")
