from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
