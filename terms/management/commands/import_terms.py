"""`manage.py import_terms FILE --document terms-of-use --version 2023-04-01 --effective
2023-04-01 [--enacted 2020-10-01] [--summary TEXT] [--publish [--urgent-reason TEXT]]
[--structural-change]`: stores a version of the provider's terms from text extracted from its
PDF. Nothing is written unless it all works.

The text is first compared with the version in force; every article, paragraph, item, annex
entry or closing line lost, merged or added is listed, and the import is refused unless
--structural-change confirms that the change of structure is deliberate (Art. 15)."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from terms.parsing import TermsParseError
from terms.services import (
    TermsImportError,
    TermsStructureError,
    terms_import,
    terms_import_preview,
)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Imports a version of a terms document from a UTF-8 text file."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version names the terms version here, not Django's; ours replaces the built-in.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="UTF-8 text extracted from the provider's PDF")
        parser.add_argument("--document", default="terms-of-use", help="document slug")
        parser.add_argument("--version", dest="label", required=True, help="label, e.g. 2023-04-01")
        parser.add_argument("--effective", required=True, help="date it binds from (YYYY-MM-DD)")
        parser.add_argument("--enacted", help="date first enacted (default: from the text)")
        parser.add_argument("--summary", default="", help="summary of the changes (Art. 15)")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish it too: notifies every active customer (Art. 15)",
        )
        parser.add_argument(
            "--structural-change",
            action="store_true",
            help="confirm that articles, paragraphs, items, the annex or closing lines "
            "differ from the version in force on purpose (listed before the import)",
        )
        parser.add_argument(
            "--urgent-reason",
            default="",
            help="with --publish: why the change takes effect with less than "
            "TERMS_NOTICE_DAYS of notice (recorded)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            preview = terms_import_preview(document_slug=options["document"], raw=raw)
        except TermsParseError as exc:
            raise CommandError(
                f"{path}: refused, nothing was written: {exc}\n{path}: {exc.message_ja}"
            ) from exc
        except TermsImportError as exc:
            raise CommandError(f"refused, nothing was written: {exc}") from exc
        if preview.changes:
            assert preview.reference is not None
            self.stdout.write(
                f"Structural differences from {preview.reference.label} (the version in force):"
            )
            for change in preview.changes:
                self.stdout.write(f"  [{change.kind}] {change}\n          {change.text_ja}")
        try:
            result = terms_import(
                document_slug=options["document"],
                label=options["label"],
                effective=_date(options["effective"]),
                enacted=_date(options["enacted"]) if options["enacted"] else None,
                change_summary=options["summary"],
                raw=raw,
                publish=options["publish"],
                structural_change=options["structural_change"],
                urgent_reason=options["urgent_reason"],
            )
        except TermsStructureError as exc:
            raise CommandError(
                f"refused, nothing was written: {path} differs in structure from "
                f"{exc.reference.label}, the version in force ({len(exc.changes)} differences "
                "listed above). Correct the text, or if the change of structure is deliberate, "
                "run again with --structural-change."
            ) from exc
        except TermsParseError as exc:
            raise CommandError(
                f"{path}: refused, nothing was written: {exc}\n{path}: {exc.message_ja}"
            ) from exc
        except TermsImportError as exc:
            raise CommandError(f"refused, nothing was written: {exc}") from exc
        version = result.version
        name = f"{version.document.slug} {version.label}"
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {name}: {version.articles.count()} articles, sha256 {version.sha256}"
                )
            )
        elif result.changed:
            self.stdout.write(
                self.style.SUCCESS(f"Replaced the draft {name}: sha256 {version.sha256}")
            )
        else:
            self.stdout.write(
                f"{name} already holds this text (sha256 {version.sha256}); nothing changed."
            )
        if result.published_now:
            self.stdout.write(
                self.style.SUCCESS(f"Published {name}, in force from {version.effective}.")
            )
