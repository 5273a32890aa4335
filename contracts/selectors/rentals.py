"""Reads of the customer's rentals (Art. 3, 10(6)(7), 12(5)): the usage contract, rentals and
rented units, units still to return, the deletion records of video data, and the return
checklist. Each takes the customer; another customer's object is a 404."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import F, Prefetch
from django.http import Http404

from accounts.models import Customer
from accounts.selectors import get_for_customer
from cameras.models import Unit

from ..models import (
    Rental,
    RentalUnit,
    ReturnChecklist,
    UsageContract,
    VideoDeletionRecord,
)


def usage_contract_get(*, customer: Customer) -> UsageContract | None:
    """The customer's usage contract (Art. 4(3)), or None before approval."""
    return UsageContract.objects.filter(customer=customer).first()


def usage_contract_terms(*, contract: UsageContract) -> list[dict[str, str]]:
    """The terms versions accepted with the contract, each with its document's title in the
    current language (one query)."""
    from terms.models import TermsDocument

    versions = [v for v in contract.terms_versions or [] if isinstance(v, dict)]
    titles = {
        d.slug: d.title
        for d in TermsDocument.objects.filter(slug__in={v.get("document") for v in versions})
    }
    return [
        {
            "title": titles.get(str(v.get("document")), str(v.get("document", ""))),
            "label": str(v.get("label", "")),
            "sha256": str(v.get("sha256", "")),
        }
        for v in versions
    ]


def rental_list(*, customer: Customer) -> models.QuerySet[Rental]:
    return (
        Rental.objects.filter(customer=customer)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=RentalUnit.objects.select_related("unit").order_by("unit__serial"),
            )
        )
        .order_by("-requested_at", "-pk")
    )


def rental_get(*, customer: Customer, pk: object) -> Rental:
    return get_for_customer(
        customer=customer,
        queryset=Rental.objects.select_related(
            "product", "contract", "requested_by", "backhoe_acknowledgement"
        ),
        pk=pk,
    )


def rental_unit_list(*, customer: Customer) -> models.QuerySet[RentalUnit]:
    """Every unit the customer has or had, with the rental (site, machine) it is on."""
    return (
        RentalUnit.objects.filter(rental__customer=customer)
        .select_related("unit__product", "rental")
        .order_by("returned_at", "rental__site_name", "unit__serial")
    )


def rental_unit_get(*, customer: Customer, pk: object) -> RentalUnit:
    try:
        return rental_unit_list(customer=customer).get(pk=int(str(pk)))
    except (RentalUnit.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def units_to_return(*, customer: Customer) -> models.QuerySet[Unit]:
    """Units assigned to the customer's rentals and not yet returned (Art. 12(5): what the
    customer must send back)."""
    return (
        Unit.objects.filter(
            assignments__rental__customer=customer, assignments__returned_at__isnull=True
        )
        .select_related("product")
        .order_by("product__model_code", "serial")
    )


def units_to_return_for_customers(*, customer_ids: Iterable[int]) -> list[tuple[int, Unit]]:
    """``units_to_return`` of many customers in one query, as (customer id, unit) pairs."""
    units = (
        Unit.objects.filter(
            assignments__rental__customer_id__in=list(customer_ids),
            assignments__returned_at__isnull=True,
        )
        .annotate(holder_id=F("assignments__rental__customer_id"))
        .select_related("product")
        .order_by("holder_id", "product__model_code", "serial")
    )
    return [(unit.holder_id, unit) for unit in units]


def video_deletion_list(*, customer: Customer) -> models.QuerySet[VideoDeletionRecord]:
    return (
        VideoDeletionRecord.objects.filter(customer=customer)
        .select_related("rental__product", "unit__product")
        .order_by("-deleted_at", "-pk")
    )


def return_checklist_current(*, customer: Customer) -> ReturnChecklist | None:
    """The customer's open return checklist with its items (Art. 12(5): what to return or
    destroy once the registration has ended), for the ended company's page."""
    return (
        ReturnChecklist.objects.filter(customer=customer, closed_at__isnull=True)
        .prefetch_related("items")
        .first()
    )
