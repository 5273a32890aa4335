"""The fields of a company's registration details, shared by the customer (甲) and the
registration application that creates it (Art. 4(1)), so both validate alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import (
    validate_corporate_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def company_name_field() -> models.CharField[str, str]:
    return models.CharField(_("company name"), max_length=200)


def company_name_kana_field() -> models.CharField[str, str]:
    return models.CharField(
        _("company name (kana)"), max_length=200, blank=True, validators=[validate_kana]
    )


def corporate_number_field() -> models.CharField[str, str]:
    return models.CharField(
        _("corporate number"),
        max_length=13,
        blank=True,
        db_index=True,
        validators=[validate_corporate_number],
        help_text=_("法人番号: 13 digits."),
    )


def postal_code_field(verbose_name: StrOrPromise) -> models.CharField[str, str]:
    return models.CharField(
        verbose_name, max_length=8, blank=True, validators=[validate_postal_code]
    )


def address_field(verbose_name: StrOrPromise) -> models.CharField[str, str]:
    return models.CharField(verbose_name, max_length=300, blank=True)


def phone_field() -> models.CharField[str, str]:
    return models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])


def company_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The formats of the corporate number and the postal code, checked by the database too."""
    return [
        models.CheckConstraint(
            condition=Q(corporate_number="") | Q(corporate_number__regex=r"^[0-9]{13}$"),
            name=f"{prefix}_corporate_number_13_digits",
        ),
        models.CheckConstraint(
            condition=Q(postal_code="") | Q(postal_code__regex=r"^[0-9]{3}-[0-9]{4}$"),
            name=f"{prefix}_postal_code_format",
        ),
    ]
