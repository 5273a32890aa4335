"""Imports video data records from the camera platform's export (Art. 10), all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.models import VideoRecord
from contracts.services.records import IMPORT_FIELDS, import_rows_parse, video_records_import


class Command(BaseCommand):
    help = (
        "Imports video data records from FILE (CSV with a header, or JSON). Columns: "
        + ", ".join(IMPORT_FIELDS)
        + ". Times are ISO 8601 with an offset. If any row is bad nothing is imported and "
        "every bad row is listed with its line number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=["csv", "json"], help="default: from the file's extension"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        fmt = options["format"] or path.suffix.lower().lstrip(".")
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            rows = import_rows_parse(content, fmt=fmt)
            records = video_records_import(
                rows=rows, source=VideoRecord.Source.IMPORT, actor_label=f"import {path.name}"
            )
        except ValidationError as exc:
            raise CommandError(
                "Nothing was imported:\n" + "\n".join(f"  {m}" for m in exc.messages)
            ) from exc
        self.stdout.write(f"{len(records)} video data record(s) imported from {path.name}.")
