"""Shared helpers of the terms tests: the seed file and a second version made from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from terms.models import TermsVersion
from terms.services import terms_import

SEED = Path(__file__).resolve().parents[2] / "terms" / "data" / "terms-of-use-2023-04-01.ja.txt"
SEED_SHA256 = "8ff68510c5318c095b84cb79dfe5ff9fdd9b2ba53b935fa95dd82648e36df4d4"

# Art. 12(3) of the seed: the 7 days' notice, changed to 14 in the revised text below.
ART12_OLD = "7 日前までに"
ART12_NEW = "14 日前までに"


def seed_bytes() -> bytes:
    return SEED.read_bytes()


def revised_bytes() -> bytes:
    text = SEED.read_text(encoding="utf-8")
    assert ART12_OLD in text
    return text.replace(ART12_OLD, ART12_NEW, 1).encode("utf-8")


def seed_version() -> TermsVersion:
    return TermsVersion.objects.get(document__slug="terms-of-use", label="2023-04-01")


def import_revision(
    *, label: str = "2026-12-01", effective: date, publish: bool = True, summary: str = ""
) -> TermsVersion:
    return terms_import(
        document_slug="terms-of-use",
        label=label,
        effective=effective,
        raw=revised_bytes(),
        change_summary=summary or "第12条第3項の予告期間を変更しました。",
        publish=publish,
    ).version
