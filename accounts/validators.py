"""Validation of the fields of a Japanese business form.

Customers type on Japanese keyboards: full-width digits and hyphens are accepted and
normalised to half-width before the check, so "１２３－４５６７" is a good postal code."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Hyphen look-alikes that Japanese IMEs produce in numbers (－ ‐ ‑ ‒ – — ― ー ｰ −).
_HYPHENS = dict.fromkeys(map(ord, "－‐‑‒–—―ーｰ−"), "-")


def normalize_number_text(value: str) -> str:
    """Full-width digits and hyphens to half-width; surrounding spaces removed."""
    value = unicodedata.normalize("NFKC", value or "").translate(_HYPHENS)
    return value.strip()


def corporate_number_check_digit(base12: str) -> int:
    """The check digit of a 法人番号 per the National Tax Agency's rule: with P(n) the n-th
    digit of the 12-digit base counted from the right and Q(n) = 1 for odd n, 2 for even n,
    the check digit is 9 - (Σ P(n)·Q(n) mod 9)."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def _without(pattern: str, value: str) -> str:
    # Normalised again once the separators are gone: removing a space can join a combining
    # mark to the character before it, which NFKC then composes (so normalising is idempotent).
    return normalize_number_text(re.sub(pattern, "", normalize_number_text(value)))


def normalize_corporate_number(value: str) -> str:
    return _without(r"[\s-]", value)


def validate_corporate_number(value: str) -> None:
    number = normalize_corporate_number(value)
    if not re.fullmatch(r"\d{13}", number):
        raise ValidationError(
            _("A corporate number has 13 digits."), code="corporate_number_format"
        )
    if int(number[0]) != corporate_number_check_digit(number[1:]):
        raise ValidationError(
            _("This corporate number is not valid (its check digit does not match)."),
            code="corporate_number_check_digit",
        )


def normalize_postal_code(value: str) -> str:
    digits = re.sub(r"[\s-]", "", normalize_number_text(value).lstrip("〒"))
    if re.fullmatch(r"\d{7}", digits):
        return f"{digits[:3]}-{digits[3:]}"
    return normalize_number_text(value)


def validate_postal_code(value: str) -> None:
    if not re.fullmatch(r"\d{3}-\d{4}", normalize_postal_code(value)):
        raise ValidationError(
            _("Enter the postal code as NNN-NNNN (for example 100-0001)."),
            code="postal_code_format",
        )


def normalize_phone(value: str) -> str:
    return _without(r"[\s()]", value)


def validate_phone(value: str) -> None:
    phone = normalize_phone(value)
    digits = phone.replace("-", "")
    if not re.fullmatch(r"[\d-]+", phone) or not re.fullmatch(r"0\d{9,10}", digits):
        raise ValidationError(
            _("Enter a Japanese phone number of 10 or 11 digits starting with 0."),
            code="phone_format",
        )


_KANA = re.compile(r"[\u30A0-\u30FF\u3040-\u309F\u3000 ・ー]+")


def normalize_kana(value: str) -> str:
    """Half-width katakana to full-width (NFKC), spaces collapsed."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return re.sub(r"[\s\u3000]+", " ", value)


def validate_kana(value: str) -> None:
    if not _KANA.fullmatch(normalize_kana(value)):
        raise ValidationError(_("Enter the name in katakana or hiragana."), code="kana_format")
