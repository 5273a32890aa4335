"""The importer refuses a text that lost or merged part of the version in force, and
publishing refuses a retroactive or too-short notice (Art. 15)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import AuditEntry
from terms.models import TermsVersion
from terms.services import (
    TermsImportError,
    TermsPublishError,
    TermsStructureError,
    terms_import,
    terms_version_publish,
)
from tests.terms.helpers import revised_bytes, seed_version

pytestmark = pytest.mark.django_db

# 2026-11-30 12:00 in Tokyo.
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _lines() -> list[str]:
    return seed_version().normalized_text.splitlines()


def _without(*drop: str) -> bytes:
    lines = _lines()
    for line in drop:
        lines.remove(line)
    return ("\n".join(lines) + "\n").encode()


def _replace(old: str, new: str) -> bytes:
    lines = _lines()
    lines[lines.index(old)] = new
    return ("\n".join(lines) + "\n").encode()


def _line(start: str) -> str:
    return next(line for line in _lines() if line.startswith(start))


def _import(raw: bytes, **options: object) -> TermsVersion:
    return terms_import(
        document_slug="terms-of-use",
        label="2027-01-15",
        effective=date(2027, 1, 15),
        raw=raw,
        **options,
    ).version


def _refusal(raw: bytes) -> list[str]:
    with pytest.raises(TermsStructureError) as caught:
        _import(raw)
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()
    return [str(change) for change in caught.value.changes]


def test_a_wording_change_needs_no_confirmation() -> None:
    assert _import(revised_bytes()).articles.count() == 20


def test_it_refuses_fewer_articles() -> None:
    lines = _lines()
    start = lines.index("第 20 条（協議事項）")
    raw = ("\n".join(lines[:start] + lines[start + 2 :]) + "\n").encode()
    assert _refusal(raw) == ["Art. 20: is missing from the text"]


def test_it_refuses_an_article_merged_into_its_neighbour() -> None:
    assert _refusal(_without("第 20 条（協議事項）")) == [
        "Art. 20: merged into Art. 19 (its number is missing from the text)"
    ]


def test_it_refuses_a_missing_annex() -> None:
    lines = _lines()
    raw = ("\n".join(lines[: lines.index("【別 表】")]) + "\n").encode()
    assert _refusal(raw) == ["the annex (別表): is missing from the text"]


def test_it_refuses_a_missing_annex_entry() -> None:
    assert _refusal(_without(_line("2. バックホウ"))) == ["annex entry 2: is missing from the text"]


def test_it_refuses_a_paragraph_that_disappeared() -> None:
    assert _refusal(_without(_line("３．甲による本サービスの利用に関連して"))) == [
        "Art. 14(3): is missing from the text"
    ]


def test_it_refuses_a_paragraph_merged_into_its_neighbour() -> None:
    line = _line("３．甲による本サービスの利用に関連して")
    assert _refusal(_replace(line, line.removeprefix("３．"))) == [
        "Art. 14(3): merged into Art. 14(2) (its number is missing from the text)"
    ]


def test_it_refuses_an_item_merged_into_its_neighbour() -> None:
    line = _line("（7）その他、乙が甲としての登録の継続")
    changes = _refusal(_replace(line, line.removeprefix("（7）")))
    assert changes == [
        "Art. 12(1)(7): merged into Art. 12(1)(6) (its number is missing from the text)"
    ]


def test_it_refuses_missing_closing_lines() -> None:
    changes = _refusal(_without("以上", _line("制定・施行日"), _line("改訂日")))
    assert changes == [
        "the closing line 以上 after the articles: is missing from the text",
        "the enactment line (制定・施行日): is missing from the text",
        "the revision line (改訂日): is missing from the text",
    ]


def test_the_refusal_names_the_place_in_japanese_too() -> None:
    with pytest.raises(TermsStructureError) as caught:
        _import(_without("第 20 条（協議事項）"))
    assert caught.value.changes[0].text_ja == (
        "第20条: 第19条に結合されています（番号が本文から失われています）"
    )


def test_a_confirmed_structural_change_is_imported_and_audited() -> None:
    lines = _lines()
    start = lines.index("第 20 条（協議事項）")
    raw = ("\n".join(lines[:start] + lines[start + 2 :]) + "\n").encode()
    version = _import(raw, structural_change=True)
    assert version.articles.count() == 19
    entry = AuditEntry.objects.get(action="terms.version.imported", target_id=str(version.pk))
    assert entry.extra["structural_changes"] == ["Art. 20: is missing from the text"]


def test_the_command_lists_the_differences_before_refusing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "merged.txt"
    path.write_bytes(_without("第 20 条（協議事項）"))
    args = [str(path), "--version", "2027-01-15", "--effective", "2027-01-15"]
    with pytest.raises(CommandError, match="--structural-change"):
        call_command("import_terms", *args)
    out = capsys.readouterr().out
    assert "[merged] Art. 20: merged into Art. 19" in out
    assert "第20条: 第19条に結合されています" in out
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()
    call_command("import_terms", *args, "--structural-change")
    assert TermsVersion.objects.get(label="2027-01-15").articles.count() == 19


@time_machine.travel(NOW)
def test_publishing_refuses_an_effective_date_in_the_past() -> None:
    draft = _import(revised_bytes(), publish=False)
    TermsVersion.objects.filter(pk=draft.pk).update(effective=date(2026, 11, 29))
    with pytest.raises(TermsPublishError) as caught:
        terms_version_publish(version=draft, actor=None, urgent_reason="typo")
    assert caught.value.code == "effective_in_past"
    assert not TermsVersion.objects.get(pk=draft.pk).published


@time_machine.travel(NOW)
def test_publishing_refuses_a_notice_shorter_than_the_setting(settings: object) -> None:
    draft = _import(revised_bytes(), publish=False)
    TermsVersion.objects.filter(pk=draft.pk).update(effective=date(2026, 12, 29))
    with pytest.raises(TermsPublishError) as caught:
        terms_version_publish(version=draft, actor=None)
    assert caught.value.code == "notice_too_short"
    assert "2026-12-30" in str(caught.value)  # the earliest date allowed
    settings.TERMS_NOTICE_DAYS = 29
    assert terms_version_publish(version=draft, actor=None).published


@time_machine.travel(NOW)
def test_an_urgent_change_is_published_with_its_reason_recorded() -> None:
    draft = _import(revised_bytes(), publish=False)
    TermsVersion.objects.filter(pk=draft.pk).update(effective=date(2026, 12, 1))
    version = terms_version_publish(
        version=draft, actor=None, urgent_reason="法令改正への対応のため"
    )
    assert version.published and version.urgent_reason == "法令改正への対応のため"
    entry = AuditEntry.objects.get(action="terms.version.published", target_id=str(version.pk))
    assert entry.extra["urgent_reason"] == "法令改正への対応のため"


@time_machine.travel(NOW)
def test_a_document_without_acceptance_needs_no_notice_period() -> None:
    document = seed_version().document
    document.requires_acceptance = False
    document.save()
    draft = _import(revised_bytes(), publish=False)
    TermsVersion.objects.filter(pk=draft.pk).update(effective=date(2026, 12, 1))
    assert terms_version_publish(version=draft, actor=None).published


# --- the admin: upload, preview with the structural diff, publish ------------------------------


def _upload(staff_client: Client, raw: bytes, effective: str = "2027-01-15") -> str:
    page = staff_client.get("/admin/terms/termsversion/")
    assert "/admin/terms/termsversion/import/" in page.content.decode()
    response = staff_client.post(
        "/admin/terms/termsversion/import/",
        {
            "document": seed_version().document_id,
            "label": "2027-01-15",
            "effective": effective,
            "change_summary": "第12条第3項の予告期間を変更しました。",
            "file": SimpleUploadedFile("terms.txt", raw, content_type="text/plain"),
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def _confirm_fields(body: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))
    fields.pop("csrfmiddlewaretoken", None)
    return {name: html.unescape(value) for name, value in fields.items()}


@time_machine.travel(NOW)
def test_staff_publish_a_version_from_the_admin(staff_client: Client) -> None:
    body = _upload(staff_client, revised_bytes())
    assert "None: every article" in body or "ありません" in body
    assert "<ins>14</ins>" in body  # the diff against the version in force
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()
    response = staff_client.post(
        "/admin/terms/termsversion/import/",
        {**_confirm_fields(body), "publish": "on", "_import": "1"},
    )
    version = TermsVersion.objects.get(label="2027-01-15")
    assert response["Location"] == f"/admin/terms/termsversion/{version.pk}/change/"
    assert version.published and version.effective == date(2027, 1, 15)


@time_machine.travel(NOW)
def test_the_admin_shows_structural_changes_and_needs_them_confirmed(
    staff_client: Client,
) -> None:
    body = _upload(staff_client, _without("第 20 条（協議事項）"))
    assert 'data-change="merged"' in body
    assert "第20条: 第19条に結合されています" in body
    fields = {**_confirm_fields(body), "_import": "1"}
    refused = staff_client.post("/admin/terms/termsversion/import/", fields)
    assert refused.status_code == 200
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()
    staff_client.post("/admin/terms/termsversion/import/", {**fields, "structural_change": "on"})
    assert TermsVersion.objects.get(label="2027-01-15").articles.count() == 19


@time_machine.travel(NOW)
def test_the_admin_refuses_a_too_close_date_unless_urgent(staff_client: Client) -> None:
    body = _upload(staff_client, revised_bytes(), effective="2026-12-10")
    fields = {**_confirm_fields(body), "publish": "on", "_import": "1"}
    refused = staff_client.post("/admin/terms/termsversion/import/", fields)
    assert refused.status_code == 200
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()
    staff_client.post(
        "/admin/terms/termsversion/import/", {**fields, "urgent_reason": "誤記の訂正のため"}
    )
    version = TermsVersion.objects.get(label="2027-01-15")
    assert version.published and version.urgent_reason == "誤記の訂正のため"


@time_machine.travel(NOW)
def test_the_admin_refuses_a_text_other_than_the_one_previewed(staff_client: Client) -> None:
    body = _upload(staff_client, revised_bytes())
    fields = {**_confirm_fields(body), "publish": "on", "_import": "1"}
    refused = staff_client.post(
        "/admin/terms/termsversion/import/", {**fields, "sha256": "0" * 64}, follow=True
    )
    assert refused.status_code == 200
    page = html.unescape(refused.content.decode())
    assert (
        "Not imported: The text changed after the preview." in page
        or "プレビューの後に本文が変わりました。" in page
    )
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()


def test_the_importer_refuses_a_text_other_than_the_one_expected() -> None:
    with pytest.raises(TermsImportError):
        _import(revised_bytes(), expected_sha256="0" * 64)
    assert not TermsVersion.objects.filter(label="2027-01-15").exists()


def test_a_customer_cannot_reach_the_import_page(alice_client: Client) -> None:
    response = alice_client.get("/admin/terms/termsversion/import/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
