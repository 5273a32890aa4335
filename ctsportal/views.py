"""Pages that belong to no single app: what a customer whose registration ended still sees."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.current import membership_of
from accounts.models import Customer
from ctsportal.access import access
from notices.selectors import notice_list


@access(
    ended=True,
    terms_exempt=True,
    mfa_exempt=True,
    reason="Art. 12(5): a company whose registration ended learns why, when, what to return "
    "or destroy, and whom to contact",
)
@never_cache
@login_required
def customer_ended(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    if membership is None or not membership.customer.has_ended:
        return redirect("dashboard")
    customer = membership.customer
    return render(
        request,
        "ended.html",
        {
            "customer": customer,
            "revoked": customer.status == Customer.Status.REVOKED,
            "notices": notice_list(customer=customer, user=membership.user)[:50],
            "provider_email": settings.PROVIDER_EMAIL,
        },
    )
