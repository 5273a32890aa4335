"""The customer's lifecycle pages: giving and withdrawing notice of cancellation
(Art. 12(3), owner only, with the Art. 10(6) warning) and the one-click answer to an
inactivity contact (Art. 12(1)(5))."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts.current import membership_or_404
from accounts.models import Membership
from ctsportal.access import access

from .services import cancellations, inactivity

CANCELLATION_REASON = "Art. 12(1): a suspended company may still give notice"


class CancellationForm(forms.Form):
    effective_date = forms.DateField(
        label=gettext_lazy("Cancellation takes effect at the end of"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that all video data is deleted when the cancellation takes effect "
            "and cannot be restored (Art. 10(6))."
        )
    )

    def __init__(self, *args: object, earliest: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.earliest = earliest
        self.fields["effective_date"].initial = earliest
        self.fields["effective_date"].widget.attrs["min"] = earliest.isoformat()

    def clean_effective_date(self) -> date:
        value: date = self.cleaned_data["effective_date"]
        if value >= date.max:
            # It takes effect at the end of the day: the last date there is has no end.
            raise ValidationError(self.fields["effective_date"].error_messages["invalid"])
        if value < self.earliest:
            raise ValidationError(
                _("Cancellation takes effect at least 7 days after notice (Art. 12(3)).")
            )
        return value


def _owner_membership(request: HttpRequest) -> Membership:
    membership = membership_or_404(request)
    if not membership.is_owner:
        raise PermissionDenied(_("Only the company's owner may give or withdraw notice."))
    return membership


@never_cache
@access(while_suspended=True, reason=CANCELLATION_REASON)
def cancellation(request: HttpRequest) -> HttpResponse:
    membership = _owner_membership(request)
    customer = membership.customer
    user = membership.user
    current = cancellations.cancellation_current(customer=customer)
    form = CancellationForm(
        request.POST if request.method == "POST" and "give" in request.POST else None,
        earliest=cancellations.cancellation_earliest_date(),
    )
    if request.method == "POST":
        try:
            if "withdraw" in request.POST:
                if current is None:
                    raise ValidationError(_("There is no notice of cancellation to withdraw."))
                cancellations.cancellation_withdraw(
                    cancellation=current, actor=user, request=request
                )
                messages.success(request, _("Your notice of cancellation has been withdrawn."))
                return redirect("lifecycle:cancellation")
            if form.is_valid():
                cancellations.cancellation_give(
                    customer=customer,
                    actor=user,
                    effective_at=cancellations.cancellation_effective_for_date(
                        form.cleaned_data["effective_date"]
                    ),
                    request=request,
                )
                messages.success(request, _("Your notice of cancellation has been given."))
                return redirect("lifecycle:cancellation")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return render(
        request,
        "contracts/cancellation.html",
        {"customer": customer, "current": current, "form": form},
    )


@never_cache
@access(public=True, reason="Art. 12(1)(5): the signed link in the inactivity contact")
def inactivity_confirm(request: HttpRequest, token: str) -> HttpResponse:
    customer = inactivity.inactivity_customer_for_token(token)
    done = False
    if request.method == "POST" and customer is not None:
        inactivity.inactivity_answer(token=token, request=request)
        done = True
    return render(
        request,
        "contracts/inactivity_confirm.html",
        {"customer": customer, "done": done},
        status=200 if customer is not None or done else 410,
    )
