"""The importer (service and `import_terms` command) and the seed shipped by migration."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from terms.models import (
    Acceptance,
    Annex,
    AnnexEntry,
    Article,
    Item,
    Paragraph,
    TermsDocument,
    TermsVersion,
)
from terms.services import TermsImportError, terms_import
from tests.terms.helpers import SEED, SEED_SHA256, revised_bytes, seed_bytes, seed_version

pytestmark = pytest.mark.django_db

TITLES = [
    "総則",
    "用語の定義",
    "本サービスの内容",
    "登録",
    "料金及び支払方法",
    "パスワード及びIDの管理",
    "禁止行為",
    "本サービスの停止等",
    "対応ハードウェアその他の設備",
    "映像データ",
    "個人情報",
    "登録取消等",
    "保証の否認及び免責",
    "甲の賠償等の責任",
    "規約内容の変更",
    "連絡・通知",
    "本規約の譲渡等",
    "完全合意",
    "分離可能性",
    "協議事項",
]
LOOKALIKES = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\ufe10-\ufe19]")


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (TermsDocument, TermsVersion, Article, Paragraph, Item, Annex, AnnexEntry)
    }


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "terms.txt"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def check_stored_seed(version: TermsVersion) -> None:
    articles = list(version.articles.order_by("order"))
    assert [(a.number, a.title) for a in articles] == list(enumerate(TITLES, start=1))
    assert version.sha256 == SEED_SHA256
    assert not LOOKALIKES.search(version.normalized_text)
    for article in articles:
        assert not LOOKALIKES.search(article.title + article.body)
    assert not any(
        LOOKALIKES.search(p.text) for p in Paragraph.objects.filter(article__version=version)
    )
    # Full-width punctuation is kept as the provider wrote it.
    assert "第１条（総 則）" in version.normalized_text.splitlines()
    art2 = version.articles.get(number=2)
    assert art2.paragraphs.get().items.count() == 5
    assert "（他の情報と容易に照合" in art2.paragraphs.get().items.get(number=3).text
    art4 = version.articles.get(number=4)
    assert [p.items.count() for p in art4.paragraphs.order_by("number")] == [0, 5, 0]
    annex = Annex.objects.get(version=version)
    assert annex.title == "別表"
    assert annex.as_of == date(2023, 4, 1)
    assert [(e.number, e.text) for e in annex.entries.order_by("number")] == [
        (1, "各種ネットワークカメラ（付随するハードウェア含む）"),
        (2, "バックホウカメラシステム"),
    ]


def test_it_ships_the_seed_terms_published_by_migration() -> None:
    version = seed_version()
    assert version.published and version.published_at is not None
    assert version.enacted == date(2020, 10, 1)
    assert version.effective == date(2023, 4, 1)
    assert version.title == "ネットワークカメラ製品 ご利用規約"
    check_stored_seed(version)
    slugs = set(TermsDocument.objects.values_list("slug", flat=True))
    assert slugs == {"terms-of-use", "rental-basic-terms", "subscription-clauses"}
    # Art. 18: the terms of use prevail.
    assert TermsDocument.objects.order_by("precedence").first().slug == "terms-of-use"


def test_it_imports_the_seed_through_the_command(tmp_path: Path, capsys: object) -> None:
    call_command(
        "import_terms",
        str(SEED),
        "--document",
        "terms-of-use",
        "--version",
        "2024-01-01",
        "--effective",
        "2024-01-01",
        "--enacted",
        "2020-10-01",
    )
    version = TermsVersion.objects.get(label="2024-01-01")
    assert not version.published
    check_stored_seed(version)
    assert version.articles.count() == 20
    # Full-width parentheses stay in titles and items; the hash is the seed's, stably.
    assert version.articles.get(number=13).title == "保証の否認及び免責"
    assert "（1）「映像データ」とは" in version.normalized_text


def test_it_is_a_no_op_to_import_the_same_text_again(capsys: pytest.CaptureFixture[str]) -> None:
    before = counts()
    call_command(
        "import_terms",
        str(SEED),
        "--version",
        "2023-04-01",
        "--effective",
        "2023-04-01",
    )
    assert "nothing changed" in capsys.readouterr().out
    assert counts() == before
    assert seed_version().sha256 == SEED_SHA256


def test_it_refuses_a_different_text_under_a_published_label(tmp_path: Path) -> None:
    before = counts()
    with pytest.raises(CommandError, match="published with a different text"):
        call_command(
            "import_terms",
            write(tmp_path, revised_bytes()),
            "--version",
            "2023-04-01",
            "--effective",
            "2023-04-01",
        )
    assert counts() == before
    assert seed_version().sha256 == SEED_SHA256


def test_it_replaces_a_draft_with_a_new_text() -> None:
    first = terms_import(
        document_slug="terms-of-use", label="draft", effective=date(2030, 1, 1), raw=seed_bytes()
    )
    second = terms_import(
        document_slug="terms-of-use",
        label="draft",
        effective=date(2030, 1, 1),
        raw=revised_bytes(),
    )
    assert first.created and second.changed and not second.created
    version = second.version
    assert version.pk == first.version.pk
    assert version.sha256 != SEED_SHA256
    assert version.articles.count() == 20
    assert Paragraph.objects.filter(article__version=version).count() == 40


BROKEN = {
    "missing article": (
        "規約\n第１条（総則）\n本文です。\n第３条（飛び）\n本文です。\n",
        4,
        "article 2 is missing",
        "第2条がありません",
    ),
    "repeated article": (
        "規約\n第１条（総則）\n本文です。\n第１条（重複）\n本文です。\n",
        4,
        "article 1 appears twice",
        "第1条が重複しています",
    ),
    "no articles": ("規約\nただの文章です。\n", None, "no articles found", "条文が見つかりません"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_it_refuses_malformed_input_naming_the_line_and_writes_nothing(
    tmp_path: Path, case: str
) -> None:
    text, line, message, message_ja = BROKEN[case]
    before = counts()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_terms", write(tmp_path, text), "--version", "x", "--effective", "2030-01-01"
        )
    error = str(caught.value)
    assert message in error
    assert message_ja in error
    if line is not None:
        assert f"line {line}:" in error
        assert f"{line}行目" in error
    assert "nothing was written" in error
    assert counts() == before


def test_it_refuses_an_unreadable_encoding(tmp_path: Path) -> None:
    before = counts()
    raw = SEED.read_text(encoding="utf-8").replace("⽤", "用").encode("shift_jis", "replace")
    with pytest.raises(CommandError, match="UTF-8"):
        call_command(
            "import_terms", write(tmp_path, raw), "--version", "x", "--effective", "2030-01-01"
        )
    assert counts() == before


def test_it_refuses_an_unknown_document() -> None:
    before = counts()
    with pytest.raises(TermsImportError, match="unknown document"):
        terms_import(document_slug="nope", label="x", effective=date(2030, 1, 1), raw=seed_bytes())
    assert counts() == before


def test_a_published_version_and_its_text_never_change() -> None:
    version = seed_version()
    version.change_summary = "edited"
    with pytest.raises(ValidationError):
        version.save()
    article = version.articles.get(number=12)
    article.title = "変更"
    with pytest.raises(ValidationError):
        article.save()
    paragraph = article.paragraphs.get(number=3)
    with pytest.raises(ValidationError):
        paragraph.delete()
    with pytest.raises(ValidationError):
        version.delete()
    assert seed_version().articles.get(number=12).title == "登録取消等"
    assert not Acceptance.objects.exists()
