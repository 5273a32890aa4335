"""Article-by-article comparison of two versions (Art. 15: customers are shown what changed).

Articles are matched by number; the annex is compared as one more section. Within a changed
article the lines (heading, body, one paragraph or item per line) are compared with difflib,
and a replaced line is also compared character by character, since a Japanese sentence is one
long line and the change is often a few characters in it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from .models import Annex, Article

Status = Literal["unchanged", "changed", "added", "removed"]


@dataclass(frozen=True)
class Segment:
    """A run of characters of a line: ``op`` is equal, insert or delete."""

    op: str
    text: str


@dataclass(frozen=True)
class DiffLine:
    op: Literal["equal", "insert", "delete"]
    segments: list[Segment]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class SectionDiff:
    key: str
    anchor: str
    heading: str
    status: Status
    lines: list[DiffLine] = field(default_factory=list)


def article_lines(article: Article) -> list[str]:
    lines = [f"第{article.number}条（{article.title}）"]
    if article.body:
        lines.append(article.body)
    for paragraph in article.paragraphs.all():
        if paragraph.text or paragraph.numbered:
            prefix = f"{paragraph.number}．" if paragraph.numbered else ""
            lines.append(prefix + paragraph.text)
        lines.extend(f"（{item.number}）{item.text}" for item in paragraph.items.all())
    return lines


def annex_lines(annex: Annex | None) -> list[str]:
    if annex is None:
        return []
    lines = [f"【{annex.title}】"]
    if annex.intro:
        lines.append(annex.intro)
    lines.extend(f"{entry.number}. {entry.text}" for entry in annex.entries.all())
    return lines


def _whole(op: Literal["equal", "insert", "delete"], lines: list[str]) -> list[DiffLine]:
    segment_op = {"equal": "equal", "insert": "insert", "delete": "delete"}[op]
    return [DiffLine(op, [Segment(segment_op, line)]) for line in lines]


def _intraline(old: str, new: str) -> tuple[DiffLine, DiffLine]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    removed: list[Segment] = []
    added: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            removed.append(Segment("equal", old[i1:i2]))
            added.append(Segment("equal", new[j1:j2]))
            continue
        if i2 > i1:
            removed.append(Segment("delete", old[i1:i2]))
        if j2 > j1:
            added.append(Segment("insert", new[j1:j2]))
    return DiffLine("delete", removed), DiffLine("insert", added)


def diff_lines(old: list[str], new: list[str]) -> list[DiffLine]:
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(_whole("equal", old[i1:i2]))
        elif tag == "delete":
            result.extend(_whole("delete", old[i1:i2]))
        elif tag == "insert":
            result.extend(_whole("insert", new[j1:j2]))
        else:
            pairs = min(i2 - i1, j2 - j1)
            for k in range(pairs):
                removed, added = _intraline(old[i1 + k], new[j1 + k])
                result.extend([removed, added])
            result.extend(_whole("delete", old[i1 + pairs : i2]))
            result.extend(_whole("insert", new[j1 + pairs : j2]))
    return result


def _section(key: str, anchor: str, heading: str, old: list[str], new: list[str]) -> SectionDiff:
    if not old:
        return SectionDiff(key, anchor, heading, "added", _whole("insert", new))
    if not new:
        return SectionDiff(key, anchor, heading, "removed", _whole("delete", old))
    if old == new:
        return SectionDiff(key, anchor, heading, "unchanged", _whole("equal", new))
    return SectionDiff(key, anchor, heading, "changed", diff_lines(old, new))


def versions_diff(
    *,
    old_articles: list[Article],
    new_articles: list[Article],
    old_annex: Annex | None,
    new_annex: Annex | None,
) -> list[SectionDiff]:
    """One section per article number present in either version, then the annex."""
    old_by_number = {a.number: a for a in old_articles}
    new_by_number = {a.number: a for a in new_articles}
    sections = []
    for number in sorted(old_by_number.keys() | new_by_number.keys()):
        old, new = old_by_number.get(number), new_by_number.get(number)
        shown = new or old
        assert shown is not None
        sections.append(
            _section(
                f"art{number}",
                f"art-{number}",
                f"第{number}条（{shown.title}）",
                article_lines(old) if old else [],
                article_lines(new) if new else [],
            )
        )
    old_annex_lines, new_annex_lines = annex_lines(old_annex), annex_lines(new_annex)
    if old_annex_lines or new_annex_lines:
        title = (new_annex or old_annex).title  # type: ignore[union-attr]
        sections.append(
            _section("annex", "annex", f"【{title}】", old_annex_lines, new_annex_lines)
        )
    return sections
