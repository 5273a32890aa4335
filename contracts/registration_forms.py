"""The application form (Art. 4(1)) and the reviewer's refusal form (Art. 4(2))."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NORMALIZED_FIELDS, REQUIRED_FIELDS, RefusalGround, RegistrationApplication
from .services.registration import EDITABLE_FIELDS


class ApplicationForm(forms.ModelForm):
    """Every field is optional while saving a draft; ``submitting=True`` enforces the
    required fields, the terms checkboxes and the declaration."""

    declaration = forms.BooleanField(
        required=False,
        label=_("I make the declaration above on behalf of the company."),
    )

    class Meta:
        model = RegistrationApplication
        fields = EDITABLE_FIELDS
        widgets = {
            "intended_use": forms.Textarea(attrs={"rows": 4}),
            "postal_code": forms.TextInput(
                attrs={"placeholder": "100-0001", "inputmode": "numeric"}
            ),
            "corporate_number": forms.TextInput(
                attrs={"placeholder": "1234567890123", "inputmode": "numeric"}
            ),
            "phone": forms.TextInput(attrs={"type": "tel", "placeholder": "03-1234-5678"}),
            "contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }
        help_texts = {
            "corporate_number": _("13 digits (法人番号). Full-width digits are fine."),
            "postal_code": _("NNN-NNNN, for example 100-0001."),
            "company_name_kana": _("In katakana, for example カブシキガイシャヤマダケンセツ."),
            "intended_use": _("Sites, cameras or backhoe systems you plan to use, and for what."),
        }

    def __init__(
        self,
        *args: Any,
        pending_terms: list[Any] | None = None,
        submitting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.pending_terms = pending_terms or []
        for name in self.Meta.fields:
            self.fields[name].required = False
        self.required_names = REQUIRED_FIELDS
        for name in NORMALIZED_FIELDS:
            # "〒１００－０００１" is longer than what is stored; the length is checked after
            # normalisation.
            field = self.fields[name]
            field.max_length = None  # type: ignore[attr-defined]
            field.validators = []
            field.widget.attrs.pop("maxlength", None)
        for version in self.pending_terms:
            self.fields[self.terms_field_name(version)] = forms.BooleanField(
                required=False,
                label=_("I accept %(title)s (version %(label)s).")
                % {"title": version.document.title, "label": version.label},
            )

    @staticmethod
    def terms_field_name(version: Any) -> str:
        return f"accept_terms_{version.pk}"

    def terms_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(v, self[self.terms_field_name(v)]) for v in self.pending_terms]

    def _clean_normalized(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return ""
        normalize, validate = NORMALIZED_FIELDS[name]
        value = normalize(value)
        validate(value)
        return value

    def clean_corporate_number(self) -> str:
        return self._clean_normalized("corporate_number")

    def clean_postal_code(self) -> str:
        return self._clean_normalized("postal_code")

    def clean_phone(self) -> str:
        return self._clean_normalized("phone")

    def clean_contact_phone(self) -> str:
        return self._clean_normalized("contact_phone")

    def clean_company_name_kana(self) -> str:
        return self._clean_normalized("company_name_kana")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("company_name") or "").strip() and "company_name" not in self.errors:
            self.add_error("company_name", _("Enter at least the company name to save a draft."))
        if self.submitting:
            for name in REQUIRED_FIELDS:
                if name not in self.errors and not str(data.get(name) or "").strip():
                    self.add_error(name, _("This field is required to submit."))
            if not data.get("declaration"):
                self.add_error(
                    "declaration",
                    _("Declare that your company has no ties with anti-social forces."),
                )
            for version, _bound in self.terms_fields():
                if not data.get(self.terms_field_name(version)):
                    self.add_error(
                        self.terms_field_name(version),
                        _("Accept this document to submit the application."),
                    )
        return data

    def _post_clean(self) -> None:
        # The model's own checks (state, uniqueness of the open application) belong to the
        # services, which run them under a row lock; the form only validates input.
        pass

    def draft_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in EDITABLE_FIELDS}

    def accepted_versions(self) -> list[Any]:
        return [v for v in self.pending_terms if self.cleaned_data.get(self.terms_field_name(v))]


class RefusalForm(forms.Form):
    """Art. 4(2): one or more grounds and the reviewer's internal note (both kept by the
    provider), the message the applicant reads, and whether the notice names the grounds."""

    grounds = forms.MultipleChoiceField(
        label=_("Grounds (Art. 4(2))"),
        choices=RefusalGround.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the provider only: never shown or sent to the applicant. Required."),
    )
    message = forms.CharField(
        label=_("Message to the applicant"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent with the refusal notice and shown in the portal. Required."),
    )
    disclose_grounds = forms.BooleanField(
        label=_("Name the grounds of Art. 4(2) in the notice to the applicant"),
        required=False,
    )
