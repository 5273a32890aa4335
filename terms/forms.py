import base64
import binascii
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TermsDocument, TermsVersion


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


class TermsUploadForm(forms.Form):
    """Step 1 of publishing from the admin: the provider's text and the version's dates."""

    document = forms.ModelChoiceField(
        label=_("Document"), queryset=TermsDocument.objects.order_by("precedence", "slug")
    )
    label = forms.CharField(label=_("Version label"), max_length=32, help_text=_("e.g. 2027-04-01"))
    effective = forms.DateField(
        label=_("Effective from"),
        help_text=_("The date it binds from (YYYY-MM-DD), after the notice period."),
    )
    enacted = forms.DateField(
        label=_("First enacted"), required=False, help_text=_("Default: from the text.")
    )
    change_summary = forms.CharField(
        label=_("Summary of changes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    file = forms.FileField(
        label=_("Text file (UTF-8)"), help_text=_("The text extracted from the provider's PDF.")
    )


class TermsImportConfirmForm(forms.Form):
    """Step 2: the text previewed travels back unchanged (its SHA-256 is checked), with the
    staff's confirmations."""

    document = forms.ModelChoiceField(
        queryset=TermsDocument.objects.all(), widget=forms.HiddenInput
    )
    label = forms.CharField(max_length=32, widget=forms.HiddenInput)
    effective = forms.DateField(widget=forms.HiddenInput)
    enacted = forms.DateField(required=False, widget=forms.HiddenInput)
    change_summary = forms.CharField(required=False, widget=forms.HiddenInput)
    # The uploaded bytes, base64: a hidden field must not alter a single character.
    text = forms.CharField(widget=forms.HiddenInput)
    sha256 = forms.CharField(widget=forms.HiddenInput)
    structural_change = forms.BooleanField(
        label=_("The differences of structure listed above are deliberate."), required=False
    )
    publish = forms.BooleanField(
        label=_("Publish now (every customer is notified, Art. 15)"), required=False
    )
    urgent_reason = forms.CharField(
        label=_("Reason for an urgent change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_(
            "Only when the effective date leaves less than the notice period; the reason is "
            "recorded with the version."
        ),
    )

    def clean_text(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["text"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError(_("Invalid form.")) from exc
