"""What every page of a customer shows about the service's state: interruptions affecting
the company (Art. 8(1)) and, while a cancellation is scheduled, its date with the warning
that no video data is kept afterwards (Art. 10(6))."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.current import membership_of

from .services.service_events import interruptions_for_customer


def lifecycle_banners(request: HttpRequest) -> dict[str, Any]:
    # The membership the request policy already looked up (once per request).
    # Mail rendering passes a bare request (no user); it shows no banner.
    membership = membership_of(request) if hasattr(request, "user") else None
    if not membership:
        return {}
    customer = membership.customer
    return {
        "service_interruptions": interruptions_for_customer(customer=customer, request=request),
        "cancellation_effective_at": customer.cancellation_effective_at,
    }
