"""What every page of a customer shows about the service's state: interruptions affecting
the company (Art. 8(1)) and, while a cancellation is scheduled, its date with the warning
that no video data is kept afterwards (Art. 10(6))."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .services.service_events import interruptions_for_customer


def lifecycle_banners(request: HttpRequest) -> dict[str, Any]:
    # The membership the request middleware already loaded (lazily, once per request).
    membership = getattr(request, "membership", None)
    if not membership:
        return {}
    customer = membership.customer
    return {
        "service_interruptions": interruptions_for_customer(customer=customer),
        "cancellation_effective_at": customer.cancellation_effective_at,
    }
