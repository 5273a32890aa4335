"""Imports serial-numbered units from a CSV file (header ``model_code,serial[,note]``),
all or nothing, with a progress bar; bad rows are listed with their line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cameras.services import units_import

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Imports units from a CSV file (model_code,serial[,note]); nothing is written on error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                created = units_import(lines=handle, progress=self._progress)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                f"{len(exc.messages)} problem(s) in {path}; no unit was imported."
            ) from exc
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{created} unit(s) imported."))
