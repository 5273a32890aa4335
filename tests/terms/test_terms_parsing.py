"""terms.parsing against the shipped 2023-04-01 terms and against broken inputs.

Pure Python: no database and no Django settings are needed.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from functools import cache
from pathlib import Path

import pytest

from terms.parsing import (
    ParsedArticle,
    ParsedTerms,
    TermsParseError,
    decode,
    normalize_characters,
    parse,
    parse_bytes,
)

SEED = Path(__file__).resolve().parents[2] / "terms" / "data" / "terms-of-use-2023-04-01.ja.txt"

# The hash recorded with every acceptance of the 2023-04-01 terms (Art. 15, 16).
# If this changes, normalization changed, and stored hashes no longer match the shipped text.
SEED_SHA256 = "8ff68510c5318c095b84cb79dfe5ff9fdd9b2ba53b935fa95dd82648e36df4d4"

LOOKALIKE_RANGES = re.compile("[\u2e80-\u2fdf\uf900-\ufaff]")


@cache
def seed() -> ParsedTerms:
    return parse_bytes(SEED.read_bytes())


def article(number: int) -> ParsedArticle:
    found = seed().articles[number - 1]
    assert found.number == number
    return found


def error_of(text: str) -> TermsParseError:
    with pytest.raises(TermsParseError) as caught:
        parse(text)
    return caught.value


# --- the shipped terms -------------------------------------------------------------------------


def test_it_finds_the_twenty_articles_and_their_titles() -> None:
    assert [(a.number, a.title) for a in seed().articles] == [
        (1, "総則"),
        (2, "用語の定義"),
        (3, "本サービスの内容"),
        (4, "登録"),
        (5, "料金及び支払方法"),
        (6, "パスワード及びIDの管理"),
        (7, "禁止行為"),
        (8, "本サービスの停止等"),
        (9, "対応ハードウェアその他の設備"),
        (10, "映像データ"),
        (11, "個人情報"),
        (12, "登録取消等"),
        (13, "保証の否認及び免責"),
        (14, "甲の賠償等の責任"),
        (15, "規約内容の変更"),
        (16, "連絡・通知"),
        (17, "本規約の譲渡等"),
        (18, "完全合意"),
        (19, "分離可能性"),
        (20, "協議事項"),
    ]


def test_it_reads_the_title_and_the_dates() -> None:
    terms = seed()
    assert terms.title == "ネットワークカメラ製品 ご利用規約"
    assert terms.preamble == ""
    assert terms.enacted == "2020-10-01"
    assert terms.revised == "2023-04-01"


@pytest.mark.parametrize(
    ("number", "items_per_paragraph"),
    [
        (4, [0, 5, 0]),
        (6, [0, 0, 0]),
        (7, [18, 0]),
        (8, [5, 0, 0]),
        (10, [0, 0, 6, 0, 0, 0, 0]),
        (12, [7, 0, 0, 0, 0]),
        (13, [0] * 10),
        (14, [0, 0, 0]),
    ],
)
def test_it_numbers_paragraphs_and_items(number: int, items_per_paragraph: list[int]) -> None:
    paragraphs = article(number).paragraphs
    assert [p.number for p in paragraphs] == list(range(1, len(items_per_paragraph) + 1))
    assert [[i.number for i in p.items] for p in paragraphs] == [
        list(range(1, count + 1)) for count in items_per_paragraph
    ]
    assert all(p.numbered for p in paragraphs)
    assert article(number).body == ""


@pytest.mark.parametrize("number", [1, 3, 5, 11, 15, 16, 17, 18, 19, 20])
def test_it_keeps_unnumbered_article_text_as_body(number: int) -> None:
    assert article(number).paragraphs == []
    assert article(number).body.endswith("。")


def test_it_rejoins_a_body_broken_across_a_blank_line() -> None:
    # Art. 1 is cut inside "シーティ|ーエス" with a blank line in between.
    assert article(1).body.startswith(
        "本利用規約(以下、「本規約」という。)は、お客様(以下、「甲」という。)が"
        "株式会社シーティーエス（以下、「乙」という。）の提供する"
    )
    assert article(1).body.endswith("本サービスの利用に関わる一切の関係に適用されます。")
    assert article(1).start_line == 4


def test_it_puts_items_without_numbered_paragraphs_in_an_unnumbered_paragraph_1() -> None:
    (paragraph,) = article(2).paragraphs
    assert paragraph.number == 1
    assert not paragraph.numbered
    assert (
        paragraph.text
        == "本規約において使用する以下の用語は、各々以下に定める意味を有するものとします。"
    )
    assert [item.number for item in paragraph.items] == [1, 2, 3, 4, 5]
    assert paragraph.items[0].text == (
        "「映像データ」とは、対応ハードウェアを利用して撮影された動画、静止画その他の映像データを"
        "意味します。"
    )
    assert paragraph.items[0].start_line == 16
    assert article(2).body == ""


def test_it_rejoins_lines_without_adding_spaces() -> None:
    assert (
        article(6)
        .paragraphs[0]
        .text.startswith(
            "甲は、本サービスの申請にあたり乙が登録を認めた登録情報にかかるパスワード及び IDを"
            "自己の責任において、"
        )
    )
    assert article(8).paragraphs[1].text == (
        "乙は、乙の都合により、甲に対して 30 日前に通知することにより、本サービスの提供を"
        "終了することができます。"
    )
    # Art. 10(1) continues on a line that starts with a space.
    assert "映像データを、本サービスを運営する目的" in article(10).paragraphs[0].text
    assert (
        article(7)
        .paragraphs[0]
        .items[0]
        .text.endswith("侵害を直接又は間接に惹起する行為を含みます。）")
    )


def test_it_reads_paragraph_10_written_with_ascii_digits() -> None:
    tenth = article(13).paragraphs[9]
    assert tenth.number == 10
    assert tenth.text.startswith("甲は、本サービスの一つであるバックホウカメラシステムは")
    assert tenth.text.endswith("その責任を負いません。")


def test_it_reads_a_heading_indented_on_its_own_line() -> None:
    assert article(17).start_line == 330
    assert article(17).body.startswith("甲は、乙の書面による事前の承認なく、")
    assert not article(16).body.endswith("譲渡等）")


def test_it_reads_the_annex() -> None:
    annex = seed().annex
    assert annex is not None
    assert annex.title == "別表"
    assert annex.intro == (
        "本利用約款第 3 条の本サービスの内容は以下となります。（2023 年 4 月 1 日 現在）"
    )
    assert annex.as_of == "2023-04-01"
    assert [(e.number, e.text) for e in annex.entries] == [
        (1, "各種ネットワークカメラ（付随するハードウェア含む）"),
        (2, "バックホウカメラシステム"),
    ]


def test_it_leaves_no_radical_lookalikes_in_the_text() -> None:
    raw = SEED.read_text(encoding="utf-8")
    assert LOOKALIKE_RANGES.search(raw)  # the seed does have them
    text = seed().normalized_text
    assert not LOOKALIKE_RANGES.search(text)
    assert "\ufe13" not in text
    # ⻘ and ⻑ are CJK Radicals Supplement, which NFKC leaves alone.
    assert "青少年" in text
    assert "長時間" in text


def test_it_keeps_full_width_punctuation_and_digits_as_written() -> None:
    lines = seed().normalized_text.splitlines()
    assert "第１条（総 則）" in lines
    assert "制定・施行日：2020 年 10 月１日" in lines
    assert "改訂日：2023 年  ４月１日" in lines
    assert any(line.startswith("１．甲は、本サービスを利用するにあたり") for line in lines)
    assert "（18）その他、乙が不適切と判断する行為" in lines
    assert "1. 各種ネットワークカメラ（付随するハードウェア含む）" in lines


def test_it_writes_one_block_per_line_without_stray_whitespace() -> None:
    text = seed().normalized_text
    lines = text.split("\n")
    assert lines[0] == "ネットワークカメラ製品 ご利用規約"
    assert lines[-2:] == ["以上", ""]  # ends with one newline
    assert all(line == line.strip() for line in lines)
    assert "" not in lines[:-1]
    # Title, "以上" twice, two dates, annex heading and intro, then whatever the structure has.
    terms = seed()
    assert terms.annex is not None
    blocks = 1 + 2 + 2 + 2 + len(terms.annex.entries)
    for a in terms.articles:
        blocks += 1 + (1 if a.body else 0)
        blocks += sum(1 + len(p.items) for p in a.paragraphs)
    assert len(lines) - 1 == blocks


def test_it_hashes_the_normalized_text_stably() -> None:
    raw = SEED.read_bytes()
    first, second = parse_bytes(raw), parse_bytes(raw)
    assert first.normalized_text == second.normalized_text
    assert first.sha256 == hashlib.sha256(first.normalized_text.encode("utf-8")).hexdigest()
    assert first.sha256 == SEED_SHA256


def test_it_ignores_layout_only_differences_in_the_hash() -> None:
    text = SEED.read_text(encoding="utf-8")
    variants = [
        text.replace("\n", "\r\n"),
        "\ufeff" + text,
        text.replace("\n\n", "\n   \n\n"),
        text.replace("。\n", "。  \n"),
    ]
    assert {parse(variant).sha256 for variant in variants} == {SEED_SHA256}
    assert parse(text.replace("甲乙協議", "甲乙相談")).sha256 != SEED_SHA256


# --- character normalization -------------------------------------------------------------------


def test_it_maps_lookalikes_to_unified_ideographs() -> None:
    assert normalize_characters("利\u2f64\u2f00\u2f08\u2f63\u2f8f\u2f4c") == "利用一人生行止"
    assert normalize_characters("\u2ed8\u2ed1") == "青長"  # CJK Radicals Supplement
    assert normalize_characters("\uf900\uf91d") == "\u8c48\u6b04"  # compatibility ideographs
    assert normalize_characters("\U0002f800") == "\u4e3d"  # compatibility supplement
    assert normalize_characters("施\u2f8f日\ufe13") == "施行日："


def test_it_leaves_everything_else_as_written() -> None:
    kept = "第１条（総 則）１．10．（1）：ＡＢＣｱｲｳ(half) 﨑 ⺀　\n"
    assert normalize_characters(kept) == kept


# --- decoding ----------------------------------------------------------------------------------


def test_it_decodes_utf8_with_or_without_bom() -> None:
    text = "第１条（総則）\n本文。\n"
    assert decode(text.encode("utf-8")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


@pytest.mark.parametrize("encoding", ["shift_jis", "euc_jp", "utf-16"])
def test_it_refuses_other_encodings(encoding: str) -> None:
    with pytest.raises(TermsParseError) as caught:
        parse_bytes("ご利用規約\n第１条（総則）\n本文です。\n".encode(encoding))
    assert "UTF-8" in caught.value.message
    assert "文字コードを読み取れません" in caught.value.message_ja


def test_it_names_the_line_of_the_first_undecodable_byte() -> None:
    raw = "ご利用規約\n\n".encode() + "第１条（総則）\n".encode("shift_jis")
    with pytest.raises(TermsParseError) as caught:
        decode(raw)
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3: the file cannot be read as UTF-8")
    assert caught.value.message_ja.startswith("3行目: 文字コードを読み取れません")


def test_it_parses_bytes_like_decoded_text() -> None:
    raw = SEED.read_bytes()
    assert parse_bytes(raw) == parse(decode(raw))


# --- structure rules on small documents --------------------------------------------------------


def test_it_makes_unnumbered_lead_text_paragraph_1_when_numbering_starts_at_2() -> None:
    terms = parse("規約\n第１条（目的）\n第一項の文。\n２．第二項の文。\n")
    paragraphs = terms.articles[0].paragraphs
    assert [(p.number, p.numbered, p.text) for p in paragraphs] == [
        (1, False, "第一項の文。"),
        (2, True, "第二項の文。"),
    ]
    assert terms.articles[0].body == ""


def test_it_keeps_an_introductory_sentence_before_paragraph_1_as_body() -> None:
    terms = parse("規約\n第１条（目的）\n前置き。\n１．第一項。\n２．第二項。\n")
    assert terms.articles[0].body == "前置き。"
    assert [p.number for p in terms.articles[0].paragraphs] == [1, 2]


def test_it_restarts_item_numbers_in_each_paragraph() -> None:
    terms = parse("第１条（甲）\n１．一。\n（1）あ\n（2）い\n２．二。\n（１）う\n")
    assert [[i.text for i in p.items] for p in terms.articles[0].paragraphs] == [
        ["あ", "い"],
        ["う"],
    ]


def test_it_keeps_spaces_between_ascii_words() -> None:
    terms = parse("第１条（Terms of Use）\nSD\ncard を使う。\n")
    assert terms.articles[0].title == "Terms of Use"
    assert terms.articles[0].body == "SD card を使う。"


def test_it_drops_page_numbers_and_form_feeds() -> None:
    terms = parse("第１条（総則）\n本規約は、\n- 2 -\n\f適用されます。\n")
    assert terms.articles[0].body == "本規約は、適用されます。"


def test_it_allows_text_before_the_first_article_besides_the_title() -> None:
    terms = parse("ご利用規約\nこの規約は\n次のとおり定める。\n第１条（総則）\n本文。\n")
    assert terms.title == "ご利用規約"
    assert terms.preamble == "この規約は次のとおり定める。"
    assert terms.annex is None
    assert terms.enacted is None
    assert terms.revised is None


# --- malformed inputs --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n  \n\u3000\n"])
def test_it_refuses_empty_text(text: str) -> None:
    error = error_of(text)
    assert error.line is None
    assert str(error) == "the text is empty"
    assert error.message_ja == "テキストが空です"


def test_it_refuses_text_without_articles() -> None:
    error = error_of("ご利用規約\n\n本規約は、お客様に適用されます。\n以上\n")
    assert error.line is None
    assert error.message.startswith("no articles found")
    assert error.message_ja.startswith("条文が見つかりません")


def test_it_reports_the_line_of_a_duplicated_article() -> None:
    error = error_of(
        "規約\n第１条（総則）\n本文。\n\n第２条（登録）\n本文。\n第 2 条（料金）\n本文。\n"
    )
    assert error.line == 7
    assert str(error) == "line 7: article 2 appears twice"
    assert error.message_ja == "7行目: 第2条が重複しています"


def test_it_reports_a_missing_article() -> None:
    error = error_of("第１条（総則）\n本文。\n第２条（登録）\n本文。\n第４条（料金）\n本文。\n")
    assert error.line == 5
    assert error.message == "article 3 is missing (article 4 follows article 2)"
    assert error.message_ja == "5行目: 第3条がありません（第2条の次が第4条です）"


def test_it_reports_a_first_article_other_than_1() -> None:
    error = error_of("規約\n第２条（登録）\n本文。\n")
    assert error.line == 2
    assert error.message == "article 1 is missing (the first is article 2)"


def test_it_reports_a_paragraph_gap() -> None:
    error = error_of("第１条（総則）\n１．一。\n\n３．三。\n")
    assert error.line == 4
    assert error.message == "article 1: paragraph 2 is missing (paragraph 3 follows paragraph 1)"
    assert error.message_ja == "4行目: 第1条第2項がありません（第1項の次が第3項です）"


def test_it_reports_a_repeated_paragraph() -> None:
    error = error_of("第１条（総則）\n１．一。\n２．二。\n２．また二。\n")
    assert (error.line, error.message) == (4, "article 1: paragraph 2 appears twice")


def test_it_reports_an_item_gap() -> None:
    error = error_of("第１条（総則）\n１．次の各号。\n（1）一\n（2）二\n（4）四\n")
    assert error.line == 5
    assert error.message == "article 1, paragraph 1: item 3 is missing (item 4 follows item 2)"
    assert error.message_ja == "5行目: 第1条第1項第3号がありません（第2号の次が第4号です）"


def test_it_reports_an_item_gap_in_the_shipped_terms() -> None:
    text = SEED.read_text(encoding="utf-8").replace("（11）乙が定める", "（12）乙が定める")
    error = error_of(text)
    assert error.line == 102
    assert error.message.startswith("article 7, paragraph 1: item 11 is missing")


def test_it_reports_an_impossible_date() -> None:
    error = error_of("第１条（総則）\n本文。\n以上\n改訂日：2023 年 2 月 30 日\n")
    assert error.line == 4
    assert "revision date" in error.message
    assert error.message_ja.startswith("4行目: 改訂日が")


def test_it_counts_lines_of_the_original_input_including_crlf_and_blank_lines() -> None:
    error = error_of("\r\n\r\n第１条（総則）\r\n\r\n本文。\r\n第１条（総則）\r\n")
    assert error.line == 6


def test_its_errors_survive_pickling() -> None:
    error = error_of("第２条（登録）\n")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.line, copy.message, copy.message_ja, str(copy)) == (
        error.line,
        error.message,
        error.message_ja,
        str(error),
    )
    assert isinstance(copy, ValueError)
