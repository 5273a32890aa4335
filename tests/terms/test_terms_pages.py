"""Public terms pages: index, version in force, history, any version, diff, print, links."""

from __future__ import annotations

import hashlib
from datetime import date
from html.parser import HTMLParser

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from tests.terms.helpers import ART12_NEW, ART12_OLD, SEED_SHA256, import_revision, seed_version

pytestmark = pytest.mark.django_db


def test_it_serves_the_terms_without_sign_in(client: Client) -> None:
    response = client.get("/terms/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/terms/terms-of-use/" in body
    assert "2023-04-01" in body

    response = client.get("/terms/terms-of-use/")
    assert response.status_code == 200
    body = response.content.decode()
    # The provider's wording, with anchors per article, paragraph and item.
    assert "第 12 条（登録取消等）" in body
    assert 'id="art-12"' in body
    assert 'id="art-12-3"' in body
    assert 'id="art-12-1-5"' in body
    assert 'href="#art-12"' in body  # table of contents
    assert 'id="annex"' in body
    assert "バックホウカメラシステム" in body
    assert "2020-10-01" in body and "2023-04-01" in body
    assert "⽤" not in body  # no Kangxi radical left


class _Lines(HTMLParser):
    """Collects the text of every element marked ``data-line``, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.depth = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marked = any(name == "data-line" for name, _ in attrs)
        self.stack.append(marked)
        if marked:
            self.lines.append("")
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack.pop():
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.lines[-1] += data


def served_lines(body: str) -> list[str]:
    parser = _Lines()
    parser.feed(body)
    return parser.lines


@pytest.mark.parametrize(
    "url",
    ["/terms/terms-of-use/", "/terms/terms-of-use/print/", "/terms/terms-of-use/v/2023-04-01/"],
)
def test_the_served_page_is_the_imported_text_line_by_line(client: Client, url: str) -> None:
    version = seed_version()
    body = client.get(url).content.decode()
    assert served_lines(body) == version.normalized_text.splitlines()
    # ... so the digest shown is the digest of what the customer reads.
    shown = "\n".join(served_lines(body)) + "\n"
    assert hashlib.sha256(shown.encode()).hexdigest() == version.sha256 == SEED_SHA256
    assert version.sha256 in body


def test_the_closing_lines_are_shown_in_the_seeds_wording(client: Client) -> None:
    lines = served_lines(client.get("/terms/terms-of-use/").content.decode())
    assert lines[-8:-5] == ["以上", "制定・施行日：2020 年 10 月１日", "改訂日：2023 年  ４月１日"]
    assert lines[-1] == "以上"


def test_article_numbers_are_written_the_same_way_everywhere(client: Client) -> None:
    import_revision(label="2027-01-15", effective=date(2027, 1, 15))
    page = client.get("/terms/terms-of-use/").content.decode()
    printed = client.get("/terms/terms-of-use/print/").content.decode()
    diff = client.get("/terms/terms-of-use/diff/2023-04-01/2027-01-15/").content.decode()
    for heading in ("第 12 条（登録取消等）", "第１条（総 則）"):
        assert page.count(heading) == 2  # table of contents and heading
        assert printed.count(heading) == 2
    assert "第 12 条（登録取消等）" in diff
    for written_otherwise in ("第１２条", "第12条（", "第1条（"):
        assert written_otherwise not in page + printed + diff


def test_it_shows_the_history_and_any_version_by_label(client: Client) -> None:
    import_revision(effective=date(2027, 1, 15))
    with time_machine.travel(date(2026, 11, 25)):
        history = client.get("/terms/terms-of-use/versions/").content.decode()
        assert "2026-12-01" in history and "2023-04-01" in history
        assert "/terms/terms-of-use/diff/2023-04-01/2026-12-01/" in history
        old = client.get("/terms/terms-of-use/v/2023-04-01/")
        assert old.status_code == 200
        new = client.get("/terms/terms-of-use/v/2026-12-01/")
        assert ART12_NEW in new.content.decode()
        # Not yet in force: the document page still serves 2023-04-01.
        current = client.get("/terms/terms-of-use/").content.decode()
        assert ART12_OLD in current and ART12_NEW not in current
    assert client.get("/terms/terms-of-use/v/nope/").status_code == 404
    assert client.get("/terms/nope/").status_code == 404


def test_it_hides_drafts(client: Client) -> None:
    import_revision(label="draft-1", effective=date(2020, 1, 1), publish=False)
    assert client.get("/terms/terms-of-use/v/draft-1/").status_code == 404
    assert ART12_NEW not in client.get("/terms/terms-of-use/").content.decode()


def test_it_diffs_article_by_article(client: Client) -> None:
    import_revision(effective=date(2027, 1, 15))
    response = client.get("/terms/terms-of-use/diff/2023-04-01/2026-12-01/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="diff-art-12"' in body
    assert 'data-status="changed"' in body
    assert "<del>7</del>" in body and "<ins>14</ins>" in body
    # Unchanged articles are left out unless asked for.
    assert 'id="diff-art-1"' not in body
    everything = client.get("/terms/terms-of-use/diff/2023-04-01/2026-12-01/?all=1")
    assert 'id="diff-art-1"' in everything.content.decode()


def test_it_marks_added_and_removed_articles() -> None:
    from terms.diff import versions_diff
    from terms.text import text_lines
    from tests.terms.helpers import seed_version

    lines = text_lines(seed_version().normalized_text)
    last_article = next(i for i, line in enumerate(lines) if line.anchor == "art-20")
    closing = next(i for i, line in enumerate(lines) if line.kind == "closing")
    annex = next(i for i, line in enumerate(lines) if line.kind == "annex_heading")
    sections = versions_diff(old=lines, new=lines[:annex])
    assert {s.key: s.status for s in sections}["annex"] == "removed"
    sections = versions_diff(old=lines[:last_article] + lines[closing:], new=lines)
    assert {s.key: s.status for s in sections}["art20"] == "added"
    assert [s.heading for s in sections if s.status == "added"] == ["第 20 条（協議事項）"]
    assert all(s.status == "unchanged" for s in sections if s.key != "art20")


def test_it_has_a_print_friendly_view(client: Client) -> None:
    for url in ("/terms/terms-of-use/print/", "/terms/terms-of-use/?print=1"):
        body = client.get(url).content.decode()
        assert "terms/print.css" in body
        assert "site-header" not in body
        assert "第 20 条（協議事項）" in body
    assert 'media="print"' in client.get("/terms/terms-of-use/").content.decode()


def test_article_link_points_at_the_version_in_force() -> None:
    template = Template('{% load terms_tags %}{% article_link "terms-of-use" 12 3 %}')
    with translation.override("ja"):
        html = template.render(Context())
    assert html == (
        '<a class="clause-link" href="/terms/terms-of-use/v/2023-04-01/#art-12-3">第12条第3項</a>'
    )
    with translation.override("en"):
        html = Template('{% load terms_tags %}{% article_link "terms-of-use" 12 1 5 %}').render(
            Context()
        )
    assert ">Art. 12(1)(5)</a>" in html
    assert "#art-12-1-5" in html


def test_the_footer_links_to_the_terms(client: Client) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert 'href="/terms/"' in body


def test_the_rental_terms_and_clauses_are_listed_with_where_to_obtain_them(
    client: Client,
) -> None:
    with translation.override("ja"):
        body = client.get("/terms/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "レンタル基本約款" in body and "サブスクリプション契約条項" in body
    assert body.count("mailto:support@cts.example.jp") == 2
    page = client.get("/terms/rental-basic-terms/")
    assert page.status_code == 200
    assert "mailto:support@cts.example.jp" in page.content.decode()


def test_an_english_reader_is_told_the_terms_are_in_japanese_only(client: Client) -> None:
    # The English page showed its headings in English over a text in Japanese, unexplained.
    english = client.get("/terms/terms-of-use/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "published in Japanese only" in english
    japanese = client.get("/terms/terms-of-use/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="terms-japanese-only"' not in japanese
