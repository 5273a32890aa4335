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


class CompromisedForm(forms.Form):
    """Art. 6(3): report that a login's credentials were stolen or misused."""

    scope = forms.ChoiceField(
        label=_("Whose logins are affected?"),
        choices=[
            ("user", _("Only mine")),
            ("company", _("Everyone in my company (sign everyone out and reset all passwords)")),
        ],
        initial="user",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I understand that my sessions end and my password must be reset."),
        required=True,
    )

    def __init__(self, *args: object, can_report_company: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not can_report_company:
            del self.fields["scope"]
