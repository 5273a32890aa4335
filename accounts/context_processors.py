from typing import Any

from django.http import HttpRequest

from .current import membership_of


def membership(request: HttpRequest) -> dict[str, Any]:
    return {"membership": membership_of(request) if hasattr(request, "user") else None}
