from django import forms
from django.utils.translation import gettext_lazy as _


class TokenCreateForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))],
        initial=90,
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of your colleague"))


class MFARequiredForm(forms.Form):
    required = forms.BooleanField(
        label=_("Require two-factor authentication of every member"), required=False
    )
