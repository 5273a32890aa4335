"""Error pages Django leaves without a body."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render


class MethodNotAllowedPageMiddleware:
    """Django's 405 (``require_POST`` and the like) has no body, and a browser shows its own
    error page for it: an address typed or bookmarked that only a button may use. A page
    request gets a page that says so, in the person's language; the API answers as it does
    (DRF's 405 has a JSON body)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and isinstance(response, HttpResponse)
            and not response.content
            and not request.path.startswith("/api/")
        ):
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
