"""Forms of rentals: the customer's request (Art. 3, 13(10)) and the staff forms of the rental's
admin page (assign units, reject, end, suspend)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.clauses import Clause
from cameras.models import Product, Unit

from .models import Rental
from .services.rentals import RentalRequestData, backhoe_acknowledgement_text


class RentalRequestForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=50, initial=1)
    site_name = forms.CharField(label=_("Site name"), max_length=200)
    site_address = forms.CharField(label=_("Site address"), max_length=300)
    desired_start = forms.DateField(
        label=_("Desired start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    machine_maker = forms.CharField(label=_("Backhoe maker"), max_length=100, required=False)
    machine_model = forms.CharField(label=_("Backhoe model"), max_length=100, required=False)
    machine_number = forms.CharField(
        label=_("Backhoe machine number"), max_length=100, required=False
    )
    note = forms.CharField(
        label=_("Note to CTS"),
        required=False,
        max_length=Rental._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    backhoe_acknowledged = forms.BooleanField(label=_("I understand and agree."), required=False)
    # Drawn when the form is shown and sent back with it: the same form sent twice makes
    # one request.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    MACHINE_FIELDS = ("machine_maker", "machine_model", "machine_number")

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "desired_start": timezone.localdate() + timedelta(days=7),
                "quantity": 1,
                "submission_key": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)
        self.product = product
        self.acknowledgement_text, self.acknowledgement_language = backhoe_acknowledgement_text()
        if not product.is_backhoe:
            for name in (*self.MACHINE_FIELDS, "backhoe_acknowledged"):
                del self.fields[name]

    def request_data(self) -> RentalRequestData:
        data = self.cleaned_data
        return RentalRequestData(
            product=self.product,
            quantity=data["quantity"],
            site_name=data["site_name"],
            site_address=data["site_address"],
            desired_start=data["desired_start"],
            machine_maker=data.get("machine_maker", ""),
            machine_model=data.get("machine_model", ""),
            machine_number=data.get("machine_number", ""),
            note=data.get("note", ""),
        )


# --- Staff: the buttons of the rental's admin page ----------------------------------------------

# The bases staff may give for ending a rental by hand.
END_CLAUSES = (Clause.ART3, Clause.ART8_2, Clause.ART12_1, Clause.ART12_3)


class SerialChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.serial)


class AssignUnitsForm(forms.Form):
    units = SerialChoiceField(
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("In-stock units of this product"),
    )

    def __init__(self, *args: Any, rental: Rental, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Unit.objects.filter(
            product_id=rental.product_id, state=Unit.State.IN_STOCK
        ).order_by("serial")


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason shown to the customer"), widget=forms.Textarea)


class EndForm(forms.Form):
    clause = forms.ChoiceField(
        label=_("Basis"),
        choices=[(c.value, c.label) for c in END_CLAUSES],
        initial=Clause.ART3.value,
    )
    ends_on = forms.DateField(
        label=_("End on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to end the rental now; a date schedules its end for that day."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, required=False)


# The bases staff may give for suspending one rental.
SUSPEND_CLAUSES = (Clause.ART8_1, Clause.ART12_1)


class SuspendForm(forms.Form):
    clause = forms.ChoiceField(
        label=_("Basis"), choices=[(c.value, c.label) for c in SUSPEND_CLAUSES]
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea)
