"""Forms of records: the owner's transfer request (Art. 17) and the staff forms of moderation
(Art. 7(2), 10(5)) and transfer decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_corporate_number, validate_corporate_number

from .models import ContractTransfer, ProhibitedAct
from .services.transfers import TransferRequestData


class TransferRequestForm(forms.ModelForm):
    class Meta:
        model = ContractTransfer
        fields = (
            "successor_name",
            "successor_corporate_number",
            "successor_address",
            "successor_contact_name",
            "successor_contact_email",
            "reason",
        )
        widgets = {
            "successor_corporate_number": forms.TextInput(attrs={"inputmode": "numeric"}),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "successor_corporate_number": _("13 digits (法人番号). Full-width digits are fine."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Checked after normalisation: "１２３４…" or "1234-5678-…" is longer than stored.
        field = self.fields["successor_corporate_number"]
        assert isinstance(field, forms.CharField)
        field.max_length = None
        field.validators = []
        field.widget.attrs.pop("maxlength", None)

    def clean_successor_corporate_number(self) -> str:
        value = normalize_corporate_number(self.cleaned_data["successor_corporate_number"])
        validate_corporate_number(value)
        return value

    def request_data(self) -> TransferRequestData:
        data = self.cleaned_data
        return TransferRequestData(
            successor_name=data["successor_name"],
            successor_corporate_number=data["successor_corporate_number"],
            successor_address=data["successor_address"],
            successor_contact_name=data["successor_contact_name"],
            successor_contact_email=data["successor_contact_email"],
            reason=data.get("reason", ""),
        )


class ModerationForm(forms.Form):
    prohibited_item = forms.TypedChoiceField(
        label=_("Art. 7(1) item breached"), choices=ProhibitedAct.choices, coerce=int
    )
    note = forms.CharField(label=_("What was found"), widget=forms.Textarea(attrs={"rows": 3}))


class TransferApproveForm(forms.Form):
    consent_reference = forms.CharField(
        label=_("Written consent reference"),
        max_length=200,
        help_text=_("The number or title of the signed consent document (Art. 17)."),
    )
    consent_date = forms.DateField(
        label=_("Written consent date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class TransferRefuseForm(forms.Form):
    refusal_reason = forms.CharField(
        label=_("Reason for refusal"), widget=forms.Textarea(attrs={"rows": 3})
    )
