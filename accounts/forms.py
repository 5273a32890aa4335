from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import normalize_kana, validate_kana

TOKEN_LIFETIMES = [(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))]


class TokenCreateForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=TOKEN_LIFETIMES,
        initial=90,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Lifetimes beyond the operator's cap (API_TOKEN_MAX_DAYS) are not offered.
        field = self.fields["days"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (days, label) for days, label in TOKEN_LIFETIMES if days <= settings.API_TOKEN_MAX_DAYS
        ]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of your colleague"))


class MFARequiredForm(forms.Form):
    required = forms.BooleanField(
        label=_("Require two-factor authentication of every member"), required=False
    )


class NamesForm(forms.Form):
    """氏名 and フリガナ, family name first as Japanese forms ask for them."""

    family_name = forms.CharField(label=_("Family name (姓)"), max_length=60)
    given_name = forms.CharField(label=_("Given name (名)"), max_length=60)
    family_name_kana = forms.CharField(
        label=_("Family name in katakana (セイ)"),
        max_length=60,
        validators=[validate_kana],
    )
    given_name_kana = forms.CharField(
        label=_("Given name in katakana (メイ)"),
        max_length=60,
        validators=[validate_kana],
    )

    field_order = ["family_name", "given_name", "family_name_kana", "given_name_kana"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No ":" after the labels: Japanese labels take no colon.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_family_name_kana(self) -> str:
        return normalize_kana(self.cleaned_data["family_name_kana"])

    def clean_given_name_kana(self) -> str:
        return normalize_kana(self.cleaned_data["given_name_kana"])


class SignupNamesForm(NamesForm):
    """allauth's sign-up form extends this (ACCOUNT_SIGNUP_FORM_CLASS): the names are asked
    with the e-mail address and stored through the same service as on the account page."""

    def signup(self, request: HttpRequest, user: User) -> None:
        from accounts.services import user_names_update

        user_names_update(user=user, request=request, **self.cleaned_data_names())

    def cleaned_data_names(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in NamesForm.field_order}
