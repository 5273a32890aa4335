"""The text of a version as the customer reads it: the lines of ``normalized_text``, each
classified by the parser, grouped into the sections that pages, the diff and the importer's
structural check share.

Pages render exactly these lines, so the SHA-256 shown beside a version (the digest of
``normalized_text``) is the digest of the lines on the page, one per line, in UTF-8; the
headings, the table of contents, the diff and the print view all show an article's heading as
the provider wrote it ("第１条（総 則）", "第 10 条（映像データ）")."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from .parsing import ParsedLine, ParsedTerms, parse

SectionKind = Literal["title", "preamble", "article", "closing", "annex"]


@dataclass
class TextSection:
    """A run of lines: the title, the preamble, one article (heading first), the closing
    lines after the articles (以上, 制定・施行日, 改訂日) or the annex (its own 以上 last)."""

    kind: SectionKind
    key: str
    anchor: str
    lines: list[ParsedLine] = field(default_factory=list)

    @property
    def heading(self) -> ParsedLine | None:
        return self.lines[0] if self.kind in ("article", "annex") and self.lines else None

    @property
    def rest(self) -> list[ParsedLine]:
        return self.lines[1:] if self.heading is not None else self.lines

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


@lru_cache(maxsize=32)
def parsed_text(normalized_text: str) -> ParsedTerms:
    """``normalized_text`` parses back to itself (one block per line), so a stored version
    needs no second copy of its classified lines."""
    return parse(normalized_text)


def text_lines(normalized_text: str) -> tuple[ParsedLine, ...]:
    return parsed_text(normalized_text).lines


def text_sections(lines: tuple[ParsedLine, ...] | list[ParsedLine]) -> list[TextSection]:
    sections: list[TextSection] = []
    current: TextSection | None = None
    for line in lines:
        if line.kind == "title":
            sections.append(TextSection("title", "title", "", [line]))
            current = None
            continue
        if line.kind == "heading":
            current = TextSection("article", line.anchor.replace("-", ""), line.anchor)
            sections.append(current)
        elif line.kind == "annex_heading":
            current = TextSection("annex", "annex", "annex")
            sections.append(current)
        elif current is None or (
            current.kind == "article" and line.kind in ("closing", "enacted", "revised")
        ):
            kind: SectionKind = "preamble" if line.kind == "preamble" else "closing"
            if current is None or current.kind != kind:
                current = TextSection(kind, kind, "")
                sections.append(current)
        current.lines.append(line)
    return sections
