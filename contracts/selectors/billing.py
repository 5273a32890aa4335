"""Reads of the customer's charges and payments (Art. 5). Each takes the customer; another
customer's object is a 404."""

from __future__ import annotations

from django.db import models

from accounts.models import Customer
from accounts.selectors import get_for_customer

from ..models import (
    Charge,
    Payment,
)


def charge_list(*, customer: Customer) -> models.QuerySet[Charge]:
    return (
        Charge.objects.filter(customer=customer)
        .select_related("rental__product")
        .order_by("-period", "rental_id")
    )


def charge_get(*, customer: Customer, pk: object) -> Charge:
    return get_for_customer(
        customer=customer, queryset=Charge.objects.select_related("rental__product"), pk=pk
    )


def payment_list(*, customer: Customer) -> models.QuerySet[Payment]:
    return Payment.objects.filter(customer=customer).order_by("-received_on", "-pk")


def payment_get(*, customer: Customer, pk: object) -> Payment:
    return get_for_customer(customer=customer, queryset=Payment.objects.all(), pk=pk)
