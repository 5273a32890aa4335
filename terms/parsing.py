"""Parse the provider's Japanese terms of use (ご利用規約) from text extracted from its PDF.

Pure Python on purpose: the Django app around it (models, import command, admin) calls
``parse_bytes`` and stores the result, and this module stays testable without a database.

What the PDF extraction does to the text, and what is done about it here:

* Some kanji come out as look-alike code points (Kangxi radicals such as ⽤ U+2F64 for 用,
  CJK radicals supplement such as ⻘ U+2ED8 for 青, CJK compatibility ideographs) and the
  colon of "制定・施行日︓" as the vertical presentation form U+FE13. ``normalize_characters``
  maps exactly those code points and nothing else (see ``_FOLD``).
* Sentences are broken across lines and blank lines fall mid-sentence, so blank lines mean
  nothing: a block (article body, paragraph, item, annex entry) runs from its marker to the
  next marker, and its lines are rejoined without a space (Japanese has none between words).
* Lines carry stray leading and trailing spaces, and page breaks leave space-only lines,
  form feeds and, in some exports, "- 3 -" page numbers. All of these are dropped.

The result keeps the document's own wording: full-width digits, parentheses and colons stay as
written, and ``normalized_text`` is that wording with one block per line. Its SHA-256 is what
acceptances and notices record (Art. 15 and 16), so every step here is deterministic
and depends on nothing but the input; the code point mappings rest on Unicode decompositions,
which the Unicode normalization stability policy forbids from changing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = [
    "ParsedAnnex",
    "ParsedAnnexEntry",
    "ParsedArticle",
    "ParsedItem",
    "ParsedParagraph",
    "ParsedTerms",
    "TermsParseError",
    "decode",
    "normalize_characters",
    "parse",
    "parse_bytes",
]


class TermsParseError(ValueError):
    """The input cannot be read as terms of use.

    ``message`` is the English reason without the line; ``str()`` prefixes it with
    "line N: ". ``message_ja`` is the Japanese text for staff screens, prefixed with "N行目: ".
    ``line`` is 1-based in the original input, or None when no single line is at fault.
    """

    line: int | None
    message: str
    message_ja: str

    def __init__(self, message: str, message_ja: str, line: int | None = None) -> None:
        # args carry the constructor's arguments so that pickling (Celery results) rebuilds it.
        super().__init__(message, message_ja, line)
        self.line = line
        self.message = message
        self.message_ja = message_ja if line is None else f"{line}行目: {message_ja}"

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


# --- decoding ----------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """Decode the file as UTF-8, with or without a BOM; refuse anything else.

    No guessing between Shift_JIS, EUC-JP and UTF-8: a wrong guess yields plausible-looking
    mojibake whose hash would then be recorded as the text customers accepted.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TermsParseError(
            f"the file cannot be read as UTF-8 (byte 0x{raw[exc.start]:02X} at offset "
            f"{exc.start}); save it as UTF-8",
            f"文字コードを読み取れません（{exc.start}バイト目の 0x{raw[exc.start]:02X} は UTF-8 "
            "ではありません）。UTF-8 で保存してください",
            line,
        ) from exc
    nul = text.find("\x00")
    if nul != -1:
        # Valid UTF-8 but with NUL characters: UTF-16 text or a binary file.
        raise TermsParseError(
            "the file cannot be read as UTF-8 text (it contains NUL characters); save it as UTF-8",
            "文字コードを読み取れません（NUL 文字を含みます）。UTF-8 で保存してください",
            text.count("\n", 0, nul) + 1,
        )
    return text


# --- character normalization -------------------------------------------------------------------

# CJK Radicals Supplement (U+2E80-U+2EFF) has no NFKC decomposition except U+2E9F and U+2EF3,
# yet PDF fonts emit these radicals for ordinary kanji (⻘ U+2ED8 for 青, ⻑ U+2ED1 for 長 in
# Art. 7). Unicode's EquivalentUnifiedIdeograph.txt (UCD 14.0) lists the unified ideograph each
# one stands for; the pairs below are copied from it. U+2E80 (⺀) has no equivalent and stays.
_RADICALS_SUPPLEMENT = (
    "2E81:5382 2E82:4E5B 2E83:4E5A 2E84:4E59 2E85:4EBB 2E86:5182 2E87:20628 2E88:5200 "
    "2E89:5202 2E8A:535C 2E8B:353E 2E8C:5C0F 2E8D:5C0F 2E8E:5140 2E8F:5C23 2E90:5C22 "
    "2E91:21BC2 2E92:5DF3 2E93:5E7A 2E94:5F51 2E95:5F50 2E96:5FC4 2E97:5FC3 2E98:624C "
    "2E99:6535 2E9B:65E1 2E9C:65E5 2E9D:6708 2E9E:6B7A 2E9F:6BCD 2EA0:6C11 2EA1:6C35 "
    "2EA2:6C3A 2EA3:706C 2EA4:722B 2EA5:722B 2EA6:4E2C 2EA7:725B 2EA8:72AD 2EA9:738B "
    "2EAA:24D14 2EAB:76EE 2EAC:793A 2EAD:793B 2EAE:25AD7 2EAF:7CF9 2EB0:7E9F 2EB1:7F53 "
    "2EB2:7F52 2EB3:34C1 2EB4:5197 2EB5:2626B 2EB6:7F8A 2EB7:2634C 2EB8:2634B 2EB9:8002 "
    "2EBA:8080 2EBB:807F 2EBC:8089 2EBD:26951 2EBE:8279 2EBF:8279 2EC0:8279 2EC1:864E "
    "2EC2:8864 2EC3:8980 2EC4:897F 2EC5:89C1 2EC6:89D2 2EC7:278B2 2EC8:8BA0 2EC9:8D1D "
    "2ECA:27FB7 2ECB:8F66 2ECC:8FB6 2ECD:8FB6 2ECE:8FB6 2ECF:9091 2ED0:9485 2ED1:9577 "
    "2ED2:9578 2ED3:957F 2ED4:95E8 2ED5:28E0F 2ED6:961D 2ED7:96E8 2ED8:9752 2ED9:97E6 "
    "2EDA:9875 2EDB:98CE 2EDC:98DE 2EDD:98DF 2EDE:2967F 2EDF:98E0 2EE0:9963 2EE1:29810 "
    "2EE2:9A6C 2EE3:9AA8 2EE4:9B3C 2EE5:9C7C 2EE6:9E1F 2EE7:5364 2EE8:9EA6 2EE9:9EC4 "
    "2EEA:9EFE 2EEB:6589 2EEC:9F50 2EED:6B6F 2EEE:9F7F 2EEF:7ADC 2EF0:9F99 2EF1:9F9C "
    "2EF2:4E80 2EF3:9F9F"
)

# Vertical presentation forms (U+FE10-U+FE19) are what some PDF fonts emit for Japanese
# punctuation ("制定・施行日︓"). NFKC would turn them into ASCII (',' ':' ...), which is not
# what the document shows; map each to the full-width form it is drawn from instead.
_VERTICAL_FORMS = {
    0xFE10: "，",
    0xFE11: "、",
    0xFE12: "。",
    0xFE13: "：",
    0xFE14: "；",
    0xFE15: "！",
    0xFE16: "？",
    0xFE17: "〖",
    0xFE18: "〗",
    0xFE19: "…",
}

# NFKC is applied per code point, and only in these blocks, where every decomposition is a
# unified ideograph with the same meaning. Applied to the whole text, NFKC would also turn
# （１．） into (1.) and ： into :, rewriting the document the customer accepts.
_NFKC_RANGES = (
    (0x2F00, 0x2FD5),  # Kangxi Radicals: ⼀ U+2F00 -> 一, ⽤ U+2F64 -> 用, ⾏ U+2F8F -> 行
    # CJK Compatibility Ideographs. The twelve unified ideographs inside the block (﨑 U+FA11
    # and others) have no decomposition, so real characters such as those in names stay.
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
)


def _build_fold() -> dict[int, str]:
    fold: dict[int, str] = {}
    for first, last in _NFKC_RANGES:
        for code_point in range(first, last + 1):
            char = chr(code_point)
            folded = unicodedata.normalize("NFKC", char)
            if folded != char:
                fold[code_point] = folded
    for pair in _RADICALS_SUPPLEMENT.split():
        radical, ideograph = pair.split(":")
        fold[int(radical, 16)] = chr(int(ideograph, 16))
    fold.update(_VERTICAL_FORMS)
    return fold


_FOLD = _build_fold()


def normalize_characters(text: str) -> str:
    """Replace look-alike radicals, compatibility ideographs and vertical colons; keep the rest.

    Full-width letters, digits and punctuation, half-width kana and everything outside the
    ranges in ``_FOLD`` are returned exactly as given, and no line is added or removed.
    """
    return text.translate(_FOLD)


# --- result types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedItem:
    """A numbered item (号), written "（1）" in the source."""

    number: int
    text: str
    start_line: int


@dataclass(frozen=True)
class ParsedParagraph:
    """A paragraph (項), written "１．" in the source.

    ``numbered`` is False for a paragraph the source does not number: the lead text of an
    article whose items follow it directly (Art. 2), or that precedes "２．". Such a paragraph
    is always number 1, so every item lives in a paragraph and "Art. 2(1)(3)" has one meaning.
    """

    number: int
    text: str
    items: list[ParsedItem]
    numbered: bool
    start_line: int


@dataclass(frozen=True)
class ParsedArticle:
    """An article (条). ``body`` is its text when the source gives it no numbered paragraphs
    (Art. 1, 3, 5), or an introductory sentence placed before "１．"; otherwise empty."""

    number: int
    title: str
    body: str
    paragraphs: list[ParsedParagraph]
    start_line: int


@dataclass(frozen=True)
class ParsedAnnexEntry:
    number: int
    text: str
    start_line: int


@dataclass(frozen=True)
class ParsedAnnex:
    """The 【別表】 that Art. 3 refers to for the content of the service."""

    title: str
    intro: str
    as_of: str | None
    entries: list[ParsedAnnexEntry]
    start_line: int


@dataclass(frozen=True)
class ParsedTerms:
    """A whole document. Dates are ISO 'YYYY-MM-DD'. ``normalized_text`` has one block
    (heading, body, paragraph, item, date line, annex line, "以上") per line, each ending in
    "\\n", markers as written; ``sha256`` is its UTF-8 digest. ``preamble`` is any text
    between the title and Art. 1 (a 前文); the 2023-04-01 version has none."""

    title: str
    articles: list[ParsedArticle]
    annex: ParsedAnnex | None
    enacted: str | None
    revised: str | None
    normalized_text: str
    sha256: str
    preamble: str


# --- line grammar ------------------------------------------------------------------------------

_DIGIT = "[0-9０-９]"
# Stray spaces include U+3000, form feeds from page breaks, and zero-width characters.
_EDGE_SPACE = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")
# "第１条（総 則）", "第 10 条（映像データ）": digits of either width, spaces anywhere.
_ARTICLE = re.compile(rf"第\s*({_DIGIT}+)\s*条\s*(?:[（(](.*)[）)])?")
# "１．" and, in Art. 13, "10．"; "1." is accepted too, but not "3.5" (a number in the text).
_PARAGRAPH = re.compile(rf"({_DIGIT}{{1,3}})[．.](?!{_DIGIT})\s*")
_ITEM = re.compile(rf"[（(]({_DIGIT}{{1,3}})[）)]\s*")
_ANNEX = re.compile(r"【\s*(別\s*表[^】]*)】")
_CLOSING = re.compile(r"以\s*上")
_PAGE_NUMBER = re.compile(rf"[-－‐―—]\s*{_DIGIT}+\s*[-－‐―—]")
_DATE = rf"({_DIGIT}{{4}})\s*年\s*({_DIGIT}{{1,2}})\s*月\s*({_DIGIT}{{1,2}})\s*日"
_DATE_FULL = re.compile(_DATE)
_AS_OF = re.compile(rf"({_DATE})\s*現在")
_ENACTED = re.compile(r"(?:制定・施行日|制定日|施行日)\s*[：:]\s*(.*)")
_REVISED = re.compile(r"(?:改訂日|改定日|改正日)\s*[：:]\s*(.*)")
_TITLE_SPACE = re.compile(r"\s+")
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9,.;:!?)]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9(]")


def _strip(line: str) -> str:
    return _EDGE_SPACE.sub("", line)


def _join(text: str, fragment: str) -> str:
    """Rejoin a line broken by the PDF. Japanese takes no space at the break ("ID" + "を..."
    in Art. 6(1)); only a break between two ASCII words gets one back ("SD" + "card")."""
    if not text:
        return fragment
    if _ASCII_WORD_END.search(text) and _ASCII_WORD_START.search(fragment):
        return f"{text} {fragment}"
    return text + fragment


def _tidy_title(title: str) -> str:
    """Drop the PDF's letter-spacing ("総 則", "パスワード及び ID の管理") but keep the space
    between two ASCII words ("Terms of Use")."""

    def replace(match: re.Match[str]) -> str:
        before = match.string[match.start() - 1 : match.start()]
        after = match.string[match.end() : match.end() + 1]
        return " " if before and after and (before + after).isascii() else ""

    return _TITLE_SPACE.sub(replace, title.strip())


def _date(text: str, line: int, what: str, what_ja: str) -> str:
    if match := _DATE_FULL.fullmatch(text):
        with contextlib.suppress(ValueError):  # 2023 年 2 月 30 日
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    raise TermsParseError(
        f"the {what} is not a date written as YYYY 年 M 月 D 日: {text!r}",
        f"{what_ja}が「YYYY 年 M 月 D 日」の形の正しい日付ではありません: {text}",
        line,
    )


def _check_number(
    *,
    expected: int,
    number: int,
    line: int,
    scope: str,
    scope_ja: str,
    noun: str,
    noun_ja: str,
) -> None:
    """Numbers run 1, 2, 3 ... without a gap or repeat: a gap means the PDF lost a clause or a
    marker, and storing the text anyway would shift every later clause reference."""
    if number == expected:
        return
    ja = noun_ja.format
    if number < expected:
        raise TermsParseError(
            f"{scope}{noun} {number} appears twice", f"{scope_ja}{ja(number)}が重複しています", line
        )
    if expected == 1:
        follows, follows_ja = f"the first is {noun} {number}", f"最初が{ja(number)}です"
    else:
        follows = f"{noun} {number} follows {noun} {expected - 1}"
        follows_ja = f"{ja(expected - 1)}の次が{ja(number)}です"
    raise TermsParseError(
        f"{scope}{noun} {expected} is missing ({follows})",
        f"{scope_ja}{ja(expected)}がありません（{follows_ja}）",
        line,
    )


# --- parser ------------------------------------------------------------------------------------


@dataclass
class _Block:
    """One line of normalized_text: a marker as written ("１．", "（1）", "") and its text."""

    line: int
    marker: str
    text: str

    def render(self) -> str:
        return (self.marker + self.text).rstrip()


@dataclass
class _ItemDraft:
    number: int
    block: _Block


@dataclass
class _ParagraphDraft:
    number: int
    block: _Block
    numbered: bool
    items: list[_ItemDraft] = field(default_factory=list)


@dataclass
class _ArticleDraft:
    number: int
    title: str
    line: int
    lead: _Block | None = None
    paragraphs: list[_ParagraphDraft] = field(default_factory=list)


@dataclass
class _AnnexDraft:
    title: str
    line: int
    intro: _Block | None = None
    entries: list[_ItemDraft] = field(default_factory=list)


_Section = Literal["preamble", "articles", "closing", "annex"]


class _Parser:
    """Reads stripped lines one by one. Headings, "以上", dates and 【別表】 are recognized in
    any section; paragraph and item markers only inside an article, entry markers only in the
    annex. Any other line continues the block before it, since neither blank lines nor line
    ends can be trusted; so text written after an article's last item joins that item."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.section: _Section = "preamble"
        self.current: _Block | None = None
        self.title: _Block | None = None
        self.preamble: _Block | None = None
        self.articles: list[_ArticleDraft] = []
        self.annex: _AnnexDraft | None = None
        self.enacted: str | None = None
        self.revised: str | None = None

    def block(self, line: int, marker: str, text: str) -> _Block:
        block = _Block(line, marker, text)
        self.blocks.append(block)
        self.current = block
        return block

    def feed(self, number: int, line: str) -> None:
        if not line or _PAGE_NUMBER.fullmatch(line):
            # Blank lines fall mid-sentence in the PDF, so they neither end nor start a block.
            return
        if match := _ARTICLE.fullmatch(line):
            self.start_article(number, line, int(match[1]), match[2] or "")
        elif match := _ANNEX.fullmatch(line):
            self.start_annex(number, line, _tidy_title(match[1]))
        elif _CLOSING.fullmatch(line):
            # "以上" closes the articles and again the annex.
            self.section = "closing"
            self.block(number, "", line)
            self.current = None
        elif match := _ENACTED.fullmatch(line):
            self.enacted = self.trailer_date(number, line, match[1], self.enacted, "enactment")
        elif match := _REVISED.fullmatch(line):
            self.revised = self.trailer_date(number, line, match[1], self.revised, "revision")
        elif self.section == "articles":
            self.article_line(number, line)
        elif self.section == "annex":
            self.annex_line(number, line)
        elif self.current is not None:
            self.current.text = _join(self.current.text, line)
        elif self.section == "preamble" and self.title is None:
            # The title is the first line on its own; a second line starts the preamble.
            self.title = self.block(number, "", line)
            self.current = None
        else:
            block = self.block(number, "", line)
            if self.section == "preamble":
                self.preamble = block

    def start_article(self, number: int, line: str, article: int, title: str) -> None:
        _check_number(
            expected=len(self.articles) + 1,
            number=article,
            line=number,
            scope="",
            scope_ja="",
            noun="article",
            noun_ja="第{}条",
        )
        self.articles.append(_ArticleDraft(article, _tidy_title(title), number))
        self.section = "articles"
        self.block(number, "", line)
        self.current = None

    def start_annex(self, number: int, line: str, title: str) -> None:
        if self.annex is not None:
            raise TermsParseError(
                f"the annex 【{title}】 appears twice", f"【{title}】が重複しています", number
            )
        self.annex = _AnnexDraft(title, number)
        self.section = "annex"
        self.block(number, "", line)
        self.current = None

    def trailer_date(
        self, number: int, line: str, value: str, previous: str | None, what: str
    ) -> str:
        what_ja = "制定・施行日" if what == "enactment" else "改訂日"
        if previous is not None:
            raise TermsParseError(
                f"the {what} date appears twice", f"{what_ja}が重複しています", number
            )
        parsed = _date(value, number, f"{what} date", what_ja)
        if self.section != "preamble":
            # Dates end the articles; placed under the title they leave the preamble open.
            self.section = "closing"
        self.block(number, "", line)
        self.current = None
        return parsed

    def article_line(self, number: int, line: str) -> None:
        article = self.articles[-1]
        scope, scope_ja = f"article {article.number}: ", f"第{article.number}条"
        if match := _PARAGRAPH.match(line):
            paragraph = int(match[1])
            if not article.paragraphs and article.lead is not None and paragraph == 2:
                # Japanese drafting leaves paragraph 1 unnumbered and starts counting at "２".
                self.adopt_lead(article)
            _check_number(
                expected=len(article.paragraphs) + 1,
                number=paragraph,
                line=number,
                scope=scope,
                scope_ja=scope_ja,
                noun="paragraph",
                noun_ja="第{}項",
            )
            block = self.block(number, match[0], line[match.end() :])
            article.paragraphs.append(_ParagraphDraft(paragraph, block, numbered=True))
        elif match := _ITEM.match(line):
            if not article.paragraphs:
                # Art. 2: an intro line and items (1)-(5) with no "１．"; they form paragraph 1.
                self.adopt_lead(article, line=number)
            parent = article.paragraphs[-1]
            item = int(match[1])
            _check_number(
                expected=len(parent.items) + 1,
                number=item,
                line=number,
                scope=f"article {article.number}, paragraph {parent.number}: ",
                scope_ja=f"第{article.number}条第{parent.number}項",
                noun="item",
                noun_ja="第{}号",
            )
            parent.items.append(_ItemDraft(item, self.block(number, match[0], line[match.end() :])))
        elif self.current is not None:
            self.current.text = _join(self.current.text, line)
        else:
            article.lead = self.block(number, "", line)

    def adopt_lead(self, article: _ArticleDraft, line: int = 0) -> None:
        """Make the article's unnumbered lead text its paragraph 1."""
        lead = article.lead if article.lead is not None else _Block(line, "", "")
        article.lead = None
        article.paragraphs.append(_ParagraphDraft(1, lead, numbered=False))

    def annex_line(self, number: int, line: str) -> None:
        assert self.annex is not None
        annex = self.annex
        if match := _PARAGRAPH.match(line):
            _check_number(
                expected=len(annex.entries) + 1,
                number=int(match[1]),
                line=number,
                scope="annex: ",
                scope_ja="別表の",
                noun="entry",
                noun_ja="項目{}",
            )
            block = self.block(number, match[0], line[match.end() :])
            annex.entries.append(_ItemDraft(int(match[1]), block))
        elif self.current is not None:
            self.current.text = _join(self.current.text, line)
        else:
            annex.intro = self.block(number, "", line)

    def result(self) -> ParsedTerms:
        if not self.blocks:
            raise TermsParseError("the text is empty", "テキストが空です")
        if not self.articles:
            raise TermsParseError(
                "no articles found (expected headings such as 第１条（総則）)",
                "条文が見つかりません（「第１条（総則）」のような見出しが必要です）",
            )
        normalized_text = "".join(block.render() + "\n" for block in self.blocks)
        return ParsedTerms(
            title=self.title.text if self.title is not None else "",
            preamble=self.preamble.text if self.preamble is not None else "",
            articles=[_article(draft) for draft in self.articles],
            annex=_annex(self.annex) if self.annex is not None else None,
            enacted=self.enacted,
            revised=self.revised,
            normalized_text=normalized_text,
            sha256=hashlib.sha256(normalized_text.encode("utf-8")).hexdigest(),
        )


def _article(draft: _ArticleDraft) -> ParsedArticle:
    return ParsedArticle(
        number=draft.number,
        title=draft.title,
        body=draft.lead.text if draft.lead is not None else "",
        paragraphs=[
            ParsedParagraph(
                number=paragraph.number,
                text=paragraph.block.text,
                items=[
                    ParsedItem(item.number, item.block.text, item.block.line)
                    for item in paragraph.items
                ],
                numbered=paragraph.numbered,
                start_line=paragraph.block.line,
            )
            for paragraph in draft.paragraphs
        ],
        start_line=draft.line,
    )


def _annex(draft: _AnnexDraft) -> ParsedAnnex:
    intro = draft.intro.text if draft.intro is not None else ""
    as_of = None
    if draft.intro is not None and (match := _AS_OF.search(intro)):
        as_of = _date(match[1], draft.intro.line, "annex date", "別表の日付")
    return ParsedAnnex(
        title=draft.title,
        intro=intro,
        as_of=as_of,
        entries=[ParsedAnnexEntry(e.number, e.block.text, e.block.line) for e in draft.entries],
        start_line=draft.line,
    )


def parse(text: str) -> ParsedTerms:
    """Parse decoded terms text; raise TermsParseError naming the line at fault."""
    parser = _Parser()
    # Line numbers count "\n" as grep and editors do; a form feed is whitespace, not a line.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        parser.feed(number, _strip(normalize_characters(line)))
    return parser.result()


def parse_bytes(raw: bytes) -> ParsedTerms:
    return parse(decode(raw))
