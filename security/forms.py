from django import forms
from django.utils.translation import gettext_lazy as _


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
