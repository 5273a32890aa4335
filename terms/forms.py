from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TermsVersion


class AcceptForm(forms.Form):
    """One checkbox for the versions shown; the ids guard against accepting a version that
    took effect after the page was rendered without having seen it."""

    agree = forms.BooleanField(
        label=_("I have read and accept the terms shown above."),
        required=True,
        error_messages={"required": _("Please tick the box to accept the terms.")},
    )
    versions = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, versions: list[TermsVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = sorted(v.pk for v in versions)
        self.fields["versions"].initial = ",".join(str(pk) for pk in self.expected)

    def clean_versions(self) -> str:
        value: str = self.cleaned_data["versions"]
        try:
            shown = sorted(int(part) for part in value.split(",") if part)
        except ValueError as exc:
            raise forms.ValidationError(_("Invalid form.")) from exc
        if shown != self.expected:
            raise forms.ValidationError(
                _("The terms changed while you were reading. Please review them again.")
            )
        return value
