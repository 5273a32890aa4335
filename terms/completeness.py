"""The importer's guard against a broken text (Art. 15): a new version is compared, structure
against structure, with the version in force. PDF extraction fails by losing things silently:
an article, a paragraph or an item whose marker was not recognised runs into its neighbour,
the annex or the closing lines fall off the last page. The parser catches a gap in the middle
of a numbering; what it cannot see is a loss at the end of one, which this module finds.

Each difference names its place (第12条第3項 / Art. 12(3)); a deliberate change of structure
is still possible, but only when staff confirm it after seeing this list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .parsing import ParsedArticle, ParsedParagraph, ParsedTerms

ChangeKind = Literal["missing", "merged", "added"]


@dataclass(frozen=True)
class StructuralChange:
    kind: ChangeKind
    place: str
    place_ja: str
    message: str
    message_ja: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"

    @property
    def text_ja(self) -> str:
        return f"{self.place_ja}: {self.message_ja}"


def _squash(text: str) -> str:
    return "".join(text.split())


def _paragraph_text(paragraph: ParsedParagraph) -> str:
    return paragraph.text + "".join(item.text for item in paragraph.items)


def _article_text(article: ParsedArticle) -> str:
    return article.body + "".join(_paragraph_text(p) for p in article.paragraphs)


def _lost(
    *,
    old_text: str,
    neighbour_text: str,
    place: tuple[str, str],
    neighbour: tuple[str, str],
) -> StructuralChange:
    """A block of the version in force that the new text lacks: merged when its words now
    end its neighbour (its marker was lost), missing otherwise."""
    probe = _squash(old_text)[:40]
    if probe and probe in _squash(neighbour_text):
        return StructuralChange(
            "merged",
            place[0],
            place[1],
            f"merged into {neighbour[0]} (its number is missing from the text)",
            f"{neighbour[1]}に結合されています（番号が本文から失われています）",
        )
    return StructuralChange(
        "missing", place[0], place[1], "is missing from the text", "が本文にありません"
    )


def _added(place: tuple[str, str]) -> StructuralChange:
    return StructuralChange(
        "added", place[0], place[1], "is new in this text", "がこの本文で追加されています"
    )


def _art(n: int) -> tuple[str, str]:
    return f"Art. {n}", f"第{n}条"


def _par(a: int, p: int) -> tuple[str, str]:
    return f"Art. {a}({p})", f"第{a}条第{p}項"


def _item(a: int, p: int, i: int) -> tuple[str, str]:
    return f"Art. {a}({p})({i})", f"第{a}条第{p}項第{i}号"


def _compare_items(
    number: int, old: ParsedParagraph, new: ParsedParagraph
) -> list[StructuralChange]:
    changes = []
    for item in old.items[len(new.items) :]:
        neighbour = (
            (new.items[-1].text, _item(number, new.number, new.items[-1].number))
            if new.items
            else (new.text, _par(number, new.number))
        )
        changes.append(
            _lost(
                old_text=item.text,
                neighbour_text=neighbour[0],
                place=_item(number, old.number, item.number),
                neighbour=neighbour[1],
            )
        )
    changes.extend(_added(_item(number, new.number, i.number)) for i in new.items[len(old.items) :])
    return changes


def _compare_article(old: ParsedArticle, new: ParsedArticle) -> list[StructuralChange]:
    changes: list[StructuralChange] = []
    for old_p, new_p in zip(old.paragraphs, new.paragraphs, strict=False):
        changes.extend(_compare_items(old.number, old_p, new_p))
    for paragraph in old.paragraphs[len(new.paragraphs) :]:
        last = new.paragraphs[-1] if new.paragraphs else None
        neighbour_text = _paragraph_text(last) if last else new.body
        neighbour = _par(new.number, last.number) if last else _art(new.number)
        changes.append(
            _lost(
                old_text=paragraph.text or _paragraph_text(paragraph),
                neighbour_text=neighbour_text,
                place=_par(old.number, paragraph.number),
                neighbour=neighbour,
            )
        )
    changes.extend(
        _added(_par(new.number, p.number)) for p in new.paragraphs[len(old.paragraphs) :]
    )
    return changes


_CLOSING = {
    "closing": ("the closing line 以上 after the articles", "条文末尾の「以上」"),
    "enacted": ("the enactment line (制定・施行日)", "制定・施行日の行"),
    "revised": ("the revision line (改訂日)", "改訂日の行"),
}


def structure_compare(*, old: ParsedTerms, new: ParsedTerms) -> list[StructuralChange]:
    """Every difference of structure between the version in force (``old``) and a new text,
    in the order of the document. An empty list means the new text keeps every article,
    paragraph, item, annex entry and closing line of the old one (its wording may differ)."""
    changes: list[StructuralChange] = []
    for old_a, new_a in zip(old.articles, new.articles, strict=False):
        changes.extend(_compare_article(old_a, new_a))
    for article in old.articles[len(new.articles) :]:
        last = new.articles[-1]
        changes.append(
            _lost(
                old_text=_article_text(article),
                neighbour_text=_article_text(last),
                place=_art(article.number),
                neighbour=_art(last.number),
            )
        )
    changes.extend(_added(_art(a.number)) for a in new.articles[len(old.articles) :])

    def kinds(terms: ParsedTerms, section: str) -> set[str]:
        in_annex = [line.anchor == "annex" for line in terms.lines]
        return {
            line.kind
            for line, annex in zip(terms.lines, in_annex, strict=True)
            if (annex if section == "annex" else not annex)
        }

    old_kinds, new_kinds = kinds(old, "text"), kinds(new, "text")
    for kind, (place, place_ja) in _CLOSING.items():
        if kind in old_kinds and kind not in new_kinds:
            changes.append(
                StructuralChange(
                    "missing", place, place_ja, "is missing from the text", "が本文にありません"
                )
            )
    annex = ("the annex (別表)", "別表")
    if old.annex is not None and new.annex is None:
        changes.append(
            StructuralChange(
                "missing", annex[0], annex[1], "is missing from the text", "が本文にありません"
            )
        )
    elif old.annex is None and new.annex is not None:
        changes.append(_added(annex))
    elif old.annex is not None and new.annex is not None:
        for entry in old.annex.entries[len(new.annex.entries) :]:
            last_entry = new.annex.entries[-1] if new.annex.entries else None
            changes.append(
                _lost(
                    old_text=entry.text,
                    neighbour_text=last_entry.text if last_entry else new.annex.intro,
                    place=(f"annex entry {entry.number}", f"別表の項目{entry.number}"),
                    neighbour=(
                        (f"annex entry {last_entry.number}", f"別表の項目{last_entry.number}")
                        if last_entry
                        else annex
                    ),
                )
            )
        changes.extend(
            _added((f"annex entry {e.number}", f"別表の項目{e.number}"))
            for e in new.annex.entries[len(old.annex.entries) :]
        )
        if "closing" in kinds(old, "annex") and "closing" not in kinds(new, "annex"):
            changes.append(
                StructuralChange(
                    "missing",
                    "the closing line 以上 of the annex",
                    "別表末尾の「以上」",
                    "is missing from the text",
                    "が本文にありません",
                )
            )
    return changes
