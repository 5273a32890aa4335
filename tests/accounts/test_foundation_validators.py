import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    corporate_number_check_digit,
    normalize_corporate_number,
    normalize_kana,
    normalize_phone,
    normalize_postal_code,
    validate_corporate_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)

# Published corporate numbers (国税庁法人番号公表サイト): Toyota Motor, the National Tax Agency.
KNOWN_VALID = ["1180301018771", "7000012050002"]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_it_accepts_known_corporate_numbers(number):
    validate_corporate_number(number)


def test_it_accepts_full_width_and_hyphenated_input():
    validate_corporate_number("１１８０３０１０１８７７１")
    assert normalize_corporate_number("1-1803-0101-8771") == "1180301018771"


def _corruptions(number):
    for position, original in enumerate(number):
        for digit in "0123456789":
            if digit != original:
                yield position, original, number[:position] + digit + number[position + 1 :]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_it_refuses_every_detectable_single_digit_corruption(number):
    undetected = []
    for position, original, corrupted in _corruptions(number):
        try:
            validate_corporate_number(corrupted)
        except ValidationError:
            continue
        undetected.append((position, original, corrupted[position]))
    # The NTA rule works modulo 9, so swapping 0 and 9 in the 12-digit base changes the
    # weighted sum by a multiple of 9 and cannot be seen by any valid implementation. Every
    # other single-digit change is refused.
    assert all(position > 0 and {a, b} == {"0", "9"} for position, a, b in undetected)


def test_it_computes_the_check_digit_per_the_nta_rule():
    # Weights 1,2,1,2... from the right of the 12-digit base; check = 9 - sum mod 9.
    assert corporate_number_check_digit("180301018771") == 1
    assert corporate_number_check_digit("000000000000") == 9


@pytest.mark.parametrize("bad", ["", "123456789012", "12345678901234", "abcdefghijklm"])
def test_it_refuses_malformed_corporate_numbers(bad):
    with pytest.raises(ValidationError):
        validate_corporate_number(bad)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("100-0001", "100-0001"), ("1000001", "100-0001"), ("〒１００－０００１", "100-0001")],
)
def test_it_normalizes_postal_codes(raw, normalized):
    assert normalize_postal_code(raw) == normalized
    validate_postal_code(raw)


@pytest.mark.parametrize("bad", ["100-001", "100-00011", "abc-defg", ""])
def test_it_refuses_bad_postal_codes(bad):
    with pytest.raises(ValidationError):
        validate_postal_code(bad)


def test_it_validates_phone_numbers():
    validate_phone("０３－１２３４－５６７８")
    assert normalize_phone("(03) 1234-5678") == "031234-5678"
    with pytest.raises(ValidationError):
        validate_phone("12345")


def test_it_accepts_kana_and_refuses_latin():
    validate_kana("ｶﾌﾞｼｷｶﾞｲｼｬ ヤマダ")
    assert normalize_kana("ｶﾌﾞｼｷｶﾞｲｼｬ") == "カブシキガイシャ"
    with pytest.raises(ValidationError):
        validate_kana("Yamada")
