"""Section-by-section comparison of two versions (Art. 15: customers are shown what changed).

Both versions are read as the lines customers read (terms.text); articles are matched by
number, and the closing lines and the annex are compared as sections of their own. Within a
changed section the lines are compared with difflib, and a replaced line is also compared
character by character, since a Japanese sentence is one long line and the change is often a
few characters in it."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .parsing import ParsedLine
from .text import TextSection, text_sections

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


def _whole(op: Literal["equal", "insert", "delete"], lines: list[str]) -> list[DiffLine]:
    return [DiffLine(op, [Segment(op, line)]) for line in lines]


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


def _heading(section: TextSection) -> str:
    if section.heading is not None:
        return section.heading.text
    return "以上" if section.kind == "closing" else ""


def versions_diff(*, old: Sequence[ParsedLine], new: Sequence[ParsedLine]) -> list[SectionDiff]:
    """One section per article number present in either version (in the order of the newer
    text, then articles only the older had), then the closing lines and the annex. The
    heading shown is the article's heading as written in the newer text, else the older."""
    old_sections = {s.key: s for s in text_sections(list(old)) if s.kind != "title"}
    new_sections = {s.key: s for s in text_sections(list(new)) if s.kind != "title"}

    def order(key: str) -> tuple[int, int]:
        section = new_sections.get(key) or old_sections[key]
        rank = {"preamble": 0, "article": 1, "closing": 2, "annex": 3}[section.kind]
        number = int(key[3:]) if section.kind == "article" else 0
        return rank, number

    result = []
    for key in sorted(old_sections.keys() | new_sections.keys(), key=order):
        before, after = old_sections.get(key), new_sections.get(key)
        shown = after or before
        assert shown is not None
        result.append(
            _section(
                key,
                shown.anchor or key,
                _heading(shown),
                before.texts if before else [],
                after.texts if after else [],
            )
        )
    return result
