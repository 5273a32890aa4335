"""The billing summary on the customer's admin page: outstanding balance, the liability cap
of Art. 13(9) for a chosen date, and the units still to be returned."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from accounts.models import Customer

from ..selectors.rentals import units_to_return
from ..services.billing import customer_liability_cap, customer_outstanding_balance

register = template.Library()


@register.inclusion_tag("admin/contracts/_customer_billing.html", takes_context=True)
def customer_billing(context: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
    if customer is None or customer.pk is None:
        return {"customer": None}
    request = context.get("request")
    on = timezone.localdate()
    raw = request.GET.get("cap_date", "") if request is not None else ""
    invalid = False
    if raw:
        try:
            on = date.fromisoformat(raw)
        except ValueError:
            invalid = True
    return {
        "customer": customer,
        "balance": customer_outstanding_balance(customer=customer),
        "cap": customer_liability_cap(customer=customer, on=on),
        "cap_invalid": invalid,
        "units": list(units_to_return(customer=customer)),
    }
