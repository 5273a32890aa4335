"""Reads of the customer's requests to transfer the contract (Art. 17)."""

from __future__ import annotations

from django.db import models

from accounts.models import Customer

from ..models import (
    ContractTransfer,
)


def transfer_list(*, customer: Customer) -> models.QuerySet[ContractTransfer]:
    return ContractTransfer.objects.filter(customer=customer).order_by("-requested_at", "-pk")
