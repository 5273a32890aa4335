"""Properties of the validators of a Japanese business form (accounts.validators), over
generated input: what a customer may type (full-width digits, IME hyphens, half-width
katakana, 〒) is accepted after normalisation, normalising twice changes nothing, and a
corporate number with a wrong check digit is always refused.

Deterministic (derandomize, no example database): the same examples on every run."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.validators import (
    corporate_number_check_digit,
    normalize_corporate_number,
    normalize_kana,
    normalize_number_text,
    normalize_phone,
    normalize_postal_code,
    validate_corporate_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)

PROPERTY = settings(max_examples=150, derandomize=True, database=None, deadline=None)

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
# What Japanese IMEs type between digits (accounts.validators._HYPHENS) and the ASCII one.
HYPHENS = "-－‐‑‒–—―ーｰ−"


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


@st.composite
def typed(draw: st.DrawFn, value: str) -> str:
    """``value`` as a person may type it: some digits full-width, hyphens of any kind."""
    out = []
    for char in value:
        if char.isdigit() and draw(st.booleans()):
            char = char.translate(FULL_WIDTH)
        elif char == "-":
            char = draw(st.sampled_from(HYPHENS))
        out.append(char)
    return "".join(out)


def refused(validate: object, value: str) -> bool:
    try:
        validate(value)  # type: ignore[operator]
    except ValidationError:
        return True
    return False


# --- 法人番号 (13 digits, the first a check digit) ---------------------------------------


@PROPERTY
@given(base=digits(12))
def test_the_check_digit_is_one_to_nine(base: str) -> None:
    assert 1 <= corporate_number_check_digit(base) <= 9


@PROPERTY
@given(data=st.data(), base=digits(12))
def test_a_corporate_number_with_its_check_digit_is_accepted_however_typed(
    data: st.DataObject, base: str
) -> None:
    number = f"{corporate_number_check_digit(base)}{base}"
    # Grouped as printed on documents (1-2345-6789-0123), some digits full-width.
    grouped = f"{number[0]}-{number[1:5]}-{number[5:9]}-{number[9:]}"
    typed_number = data.draw(typed(grouped))
    validate_corporate_number(typed_number)
    assert normalize_corporate_number(typed_number) == number


@PROPERTY
@given(base=digits(12), wrong=st.integers(min_value=0, max_value=9))
def test_a_wrong_check_digit_is_always_refused(base: str, wrong: int) -> None:
    if wrong == corporate_number_check_digit(base):
        wrong = (wrong + 1) % 10
    assert refused(validate_corporate_number, f"{wrong}{base}")


@PROPERTY
@given(number=st.text(alphabet="0123456789", max_size=20).filter(lambda n: len(n) != 13))
def test_a_corporate_number_of_another_length_is_refused(number: str) -> None:
    assert refused(validate_corporate_number, number)


# --- postal code (NNN-NNNN) -----------------------------------------------------------------


@PROPERTY
@given(data=st.data(), code=digits(7), mark=st.sampled_from(["", "〒"]), dash=st.booleans())
def test_a_postal_code_is_accepted_with_or_without_hyphen_mark_or_full_width(
    data: st.DataObject, code: str, mark: str, dash: bool
) -> None:
    written = data.draw(typed(f"{code[:3]}-{code[3:]}" if dash else code))
    normal = normalize_postal_code(mark + written)
    assert normal == f"{code[:3]}-{code[3:]}"
    validate_postal_code(mark + written)
    assert normalize_postal_code(normal) == normal


@PROPERTY
@given(code=st.text(alphabet="0123456789", max_size=12).filter(lambda c: len(c) != 7))
def test_a_postal_code_of_another_length_is_refused(code: str) -> None:
    assert refused(validate_postal_code, code)


# --- phone (10 or 11 digits from 0) ----------------------------------------------------------


@st.composite
def phone_numbers(draw: st.DrawFn, length: int) -> tuple[str, str]:
    """A number of ``length`` digits from 0, and how it may be typed (hyphens anywhere
    between the digits, full-width digits)."""
    number = "0" + draw(digits(length - 1))
    cuts = draw(st.sets(st.integers(min_value=1, max_value=length - 1), max_size=3))
    written = "".join(("-" if i in cuts else "") + d for i, d in enumerate(number))
    return number, draw(typed(written))


@PROPERTY
@given(phone=st.integers(min_value=10, max_value=11).flatmap(phone_numbers))
def test_a_phone_number_of_ten_or_eleven_digits_is_accepted_however_typed(
    phone: tuple[str, str],
) -> None:
    number, written = phone
    validate_phone(written)
    assert normalize_phone(written).replace("-", "") == number
    assert normalize_phone(normalize_phone(written)) == normalize_phone(written)


@PROPERTY
@given(phone=st.sampled_from([5, 9, 12, 13]).flatmap(phone_numbers))
def test_a_phone_number_of_another_length_is_refused(phone: tuple[str, str]) -> None:
    assert refused(validate_phone, phone[1])


@PROPERTY
@given(number=digits(10).filter(lambda n: not n.startswith("0")))
def test_a_phone_number_not_starting_with_zero_is_refused(number: str) -> None:
    assert refused(validate_phone, number)


# --- フリガナ (katakana or hiragana) ----------------------------------------------------------

# Each half-width katakana code point and the full-width character NFKC makes of it.
HALF_TO_FULL = {
    chr(c): unicodedata.normalize("NFKC", chr(c))
    for c in range(0xFF66, 0xFF9E)  # ｦ..ﾝ (the sound marks alone are left out)
}
FULL_TO_HALF = {full: half for half, full in HALF_TO_FULL.items()}
# The voiced and semi-voiced katakana, typed half-width as the base and a separate mark
# (ｶﾞ for ガ, ﾊﾟ for パ, ｳﾞ for ヴ): the hardest part of the conversion.
HALF_MARKS = {"\u3099": "\uff9e", "\u309a": "\uff9f"}
for _code in range(0x30A1, 0x30FB):
    _decomposed = unicodedata.normalize("NFD", chr(_code))
    if len(_decomposed) == 2 and _decomposed[0] in FULL_TO_HALF and _decomposed[1] in HALF_MARKS:
        FULL_TO_HALF[chr(_code)] = FULL_TO_HALF[_decomposed[0]] + HALF_MARKS[_decomposed[1]]
FULL_KATAKANA = sorted(FULL_TO_HALF)


def test_the_voiced_marks_are_among_the_names_drawn() -> None:
    assert {FULL_TO_HALF["ガ"], FULL_TO_HALF["パ"], FULL_TO_HALF["ヴ"]} == {"ｶﾞ", "ﾊﾟ", "ｳﾞ"}


@PROPERTY
@given(name=st.text(alphabet=FULL_KATAKANA, min_size=1, max_size=20))
def test_half_width_katakana_becomes_the_full_width_name(name: str) -> None:
    half_width = "".join(FULL_TO_HALF[c] for c in name)
    assert normalize_kana(half_width) == name
    validate_kana(half_width)


@PROPERTY
@given(
    parts=st.lists(
        st.text(alphabet=[*FULL_KATAKANA, "ガ", "パ", "ヴ", "ぁ", "ん"], min_size=1, max_size=8),
        min_size=1,
        max_size=3,
    ),
    spaces=st.sampled_from([" ", "　", "  ", " 　 "]),
)
def test_a_kana_name_in_parts_is_accepted_with_one_space_between_parts(
    parts: list[str], spaces: str
) -> None:
    typed_name = spaces.join(parts)
    validate_kana(typed_name)
    assert normalize_kana(typed_name) == " ".join(parts)


@PROPERTY
@given(
    name=st.text(alphabet=FULL_KATAKANA, max_size=5),
    intruder=st.sampled_from(list("aZ7漢字@")),
    at=st.integers(min_value=0, max_value=5),
)
def test_a_name_with_latin_letters_digits_or_kanji_is_refused(
    name: str, intruder: str, at: int
) -> None:
    assert refused(validate_kana, name[:at] + intruder + name[at:])


# --- normalisation is idempotent --------------------------------------------------------------


@PROPERTY
@pytest.mark.parametrize(
    "normalize",
    [
        normalize_number_text,
        normalize_corporate_number,
        normalize_postal_code,
        normalize_phone,
        normalize_kana,
    ],
)
@given(text=st.text(max_size=30))
def test_normalising_twice_changes_nothing(normalize: object, text: str) -> None:
    once = normalize(text)  # type: ignore[operator]
    assert normalize(once) == once  # type: ignore[operator]
