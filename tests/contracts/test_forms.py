"""The application form validates like a Japanese business form: full-width input accepted,
check digit of the corporate number, NNN-NNNN postal codes, kana, and the declaration."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from contracts.registration_forms import ApplicationForm, RefusalForm
from terms.models import TermsVersion
from tests.contracts.conftest import GOOD_NUMBER, application_data

pytestmark = pytest.mark.django_db


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


def form(
    submitting: bool = False, pending: list[Any] | None = None, **data: Any
) -> ApplicationForm:
    return ApplicationForm(
        data=application_data(**data), submitting=submitting, pending_terms=pending or []
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (GOOD_NUMBER, GOOD_NUMBER),
        (full_width(GOOD_NUMBER), GOOD_NUMBER),
        (f"{GOOD_NUMBER[:1]}-{GOOD_NUMBER[1:5]}-{GOOD_NUMBER[5:9]}-{GOOD_NUMBER[9:]}", GOOD_NUMBER),
        ("1180301018771", "1180301018771"),  # a real-world number (seed data)
    ],
)
def test_it_accepts_good_corporate_numbers(typed: str, stored: str) -> None:
    f = form(corporate_number=typed)
    assert f.is_valid(), f.errors
    assert f.cleaned_data["corporate_number"] == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (("2" if GOOD_NUMBER[0] != "2" else "3") + GOOD_NUMBER[1:], "corporate_number_check_digit"),
        ("123456789012", "corporate_number_format"),
        ("12345678901234", "corporate_number_format"),
        ("abcdefghijklm", "corporate_number_format"),
    ],
)
def test_it_refuses_bad_corporate_numbers(typed: str, code: str) -> None:
    f = form(corporate_number=typed)
    assert not f.is_valid()
    assert f.errors.as_data()["corporate_number"][0].code == code


@pytest.mark.parametrize(
    "typed",
    ["060-0001", "0600001", "〒060-0001", "０６０－０００１", "〒０６０ー０００１", " 060 0001 "],
)
def test_it_accepts_postal_codes_in_half_and_full_width(typed: str) -> None:
    f = form(postal_code=typed)
    assert f.is_valid(), f.errors
    assert f.cleaned_data["postal_code"] == "060-0001"


@pytest.mark.parametrize("typed", ["060-001", "abc-defg", "060-00011", "１２３", "06000011"])
def test_it_refuses_malformed_postal_codes(typed: str) -> None:
    f = form(postal_code=typed)
    assert not f.is_valid()
    assert f.errors.as_data()["postal_code"][0].code == "postal_code_format"


def test_it_explains_errors_in_english_and_japanese() -> None:
    with translation.override("en"):
        f = form(postal_code="060-001")
        assert "NNN-NNNN" in str(f.errors["postal_code"])
    with translation.override("ja"):
        f = form(postal_code="060-001")
        assert (
            f.errors["postal_code"][0]
            != "Enter the postal code as NNN-NNNN (for example 100-0001)."
        )


@pytest.mark.parametrize(
    ("field", "typed", "ok"),
    [
        ("phone", "03-1234-5678", True),
        ("phone", "０３－１２３４－５６７８", True),
        ("phone", "1234", False),
        ("company_name_kana", "ｶﾌﾞｼｷｶﾞｲｼｬｷﾀ", True),
        ("company_name_kana", "株式会社北", False),
        ("contact_email", "not-an-address", False),
    ],
)
def test_it_validates_phone_kana_and_e_mail(field: str, typed: str, ok: bool) -> None:
    assert form(**{field: typed}).is_valid() is ok


def test_a_draft_may_be_partial_but_needs_a_company_name() -> None:
    partial = ApplicationForm(data={"company_name": "北建設"})
    assert partial.is_valid(), partial.errors
    empty = ApplicationForm(data={"postal_code": "060-0001"})
    assert not empty.is_valid()
    assert "company_name" in empty.errors


def test_submitting_needs_every_required_field() -> None:
    f = ApplicationForm(data={"company_name": "北建設", "declaration": "on"}, submitting=True)
    assert not f.is_valid()
    assert {"corporate_number", "postal_code", "address", "phone", "contact_email"} <= set(f.errors)


def test_submitting_needs_the_declaration() -> None:
    f = form(submitting=True)
    assert not f.is_valid()
    assert list(f.errors) == ["declaration"]
    assert form(submitting=True, declaration="on").is_valid()


def test_submitting_needs_each_pending_terms_document_accepted() -> None:
    version = TermsVersion.objects.get(document__slug="terms-of-use")
    f = form(submitting=True, pending=[version], declaration="on")
    assert not f.is_valid()
    assert list(f.errors) == [f"accept_terms_{version.pk}"]
    f = form(
        submitting=True, pending=[version], declaration="on", **{f"accept_terms_{version.pk}": "on"}
    )
    assert f.is_valid(), f.errors
    assert f.accepted_versions() == [version]


def test_the_refusal_form_needs_a_ground_a_note_and_a_message() -> None:
    assert not RefusalForm(data={"grounds": [], "note": "x", "message": "m"}).is_valid()
    assert not RefusalForm(data={"grounds": ["1"], "note": "", "message": "m"}).is_valid()
    assert not RefusalForm(data={"grounds": ["1"], "note": "x", "message": ""}).is_valid()
    assert not RefusalForm(data={"grounds": ["6"], "note": "x", "message": "m"}).is_valid()
    form = RefusalForm(data={"grounds": ["1", "5"], "note": "x", "message": "m"})
    assert form.is_valid() and form.cleaned_data["disclose_grounds"] is False
