"""The customer's rental pages: the usage contract and its rentals, the request form, the
units, the charges and payments, and the records of video data deletion (Art. 3, 4(3), 5,
10(6)(7), 13(10)). Every read is scoped to the member's company; another company's object
is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.current import membership_or_404, user_of
from cameras.selectors import product_get
from ctsportal.forms import add_service_error
from ctsportal.pagecache import cached_page
from ctsportal.paging import page_of

from .rentals_forms import RentalRequestForm
from .selectors import billing as billing_selectors
from .selectors import rentals as rentals_selectors
from .services import billing
from .services import rentals as services


@cached_page
def overview(request: HttpRequest) -> HttpResponse:
    """ "My contracts": the usage contract (formation time, terms accepted) and the rentals
    under it with their units, a page at a time."""
    customer = membership_or_404(request).customer
    contract = rentals_selectors.usage_contract_get(customer=customer)
    return render(
        request,
        "contracts/rentals/overview.html",
        {
            "contract": contract,
            "terms": rentals_selectors.usage_contract_terms(contract=contract) if contract else [],
            "page": page_of(request, rentals_selectors.rental_list(customer=customer)),
        },
    )


def request_create(request: HttpRequest, product_pk: int) -> HttpResponse:
    membership = membership_or_404(request)
    product = product_get(pk=product_pk)
    if not product.is_requestable:
        # An accessory comes with the product it belongs to: it has no request page.
        raise Http404
    form = RentalRequestForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            rental = services.rental_request(
                customer=membership.customer,
                user=user_of(request),
                data=form.request_data(),
                backhoe_acknowledged=form.cleaned_data.get("backhoe_acknowledged", False),
                acknowledgement_text=form.acknowledgement_text,
                acknowledgement_language=form.acknowledgement_language,
                submission_key=form.cleaned_data.get("submission_key"),
                request=request,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Your request has been sent. CTS will assign the equipment.")
            )
            return redirect("rentals:detail", pk=rental.pk)
    return render(
        request,
        "contracts/rentals/request.html",
        {"form": form, "product": product, "customer": membership.customer},
    )


@cached_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = membership_or_404(request).customer
    rental = rentals_selectors.rental_get(customer=customer, pk=pk)
    return render(
        request,
        "contracts/rentals/detail.html",
        {
            "rental": rental,
            "assignments": rental.assignments.select_related("unit").order_by("unit__serial"),
            "deletions": rental.video_deletions.select_related("unit").order_by("-deleted_at"),
        },
    )


@cached_page
def unit_list(request: HttpRequest) -> HttpResponse:
    customer = membership_or_404(request).customer
    return render(
        request,
        "contracts/rentals/units.html",
        {"page": page_of(request, rentals_selectors.rental_unit_list(customer=customer))},
    )


def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = membership_or_404(request).customer
    assignment = rentals_selectors.rental_unit_get(customer=customer, pk=pk)
    return render(request, "contracts/rentals/unit_detail.html", {"assignment": assignment})


@cached_page
def billing_overview(request: HttpRequest) -> HttpResponse:
    customer = membership_or_404(request).customer
    return render(
        request,
        "contracts/rentals/billing.html",
        {
            "balance": billing.customer_outstanding_balance(customer=customer),
            "page": page_of(request, billing_selectors.charge_list(customer=customer)),
            "payments": page_of(
                request, billing_selectors.payment_list(customer=customer), param="payments"
            ),
        },
    )


def deletion_list(request: HttpRequest) -> HttpResponse:
    customer = membership_or_404(request).customer
    return render(
        request,
        "contracts/rentals/deletions.html",
        {"page": page_of(request, rentals_selectors.video_deletion_list(customer=customer))},
    )
