"""What every API view shares: pagination and one JSON error shape.

Errors always look like ``{"code": "...", "detail": "...", "errors": {...}}`` so that a
client can branch on ``code`` without parsing prose (which is translated)."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .access import access
from .policy import PolicyDenied


class Pagination(PageNumberPagination):
    """Pages of 50 (``page_size`` up to 200). A malformed ``page`` or ``page_size`` is a 400
    with the error shape, not silently the first page or a bare 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        errors: dict[str, list[str]] = {}
        page = request.query_params.get(self.page_query_param)
        if page is not None and page not in self.last_page_strings and not _positive(page):
            errors[self.page_query_param] = [_("A page number is a whole number from 1.")]
        size = request.query_params.get(self.page_size_query_param)
        if size is not None and not (_positive(size) and int(size) <= self.max_page_size):
            errors[self.page_size_query_param] = [
                _("The page size is a whole number from 1 to %(max)d.")
                % {"max": self.max_page_size}
            ]
        if errors:
            raise exceptions.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)


def _positive(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) >= 1


# --- the error shape, documented ---------------------------------------------------------------

# The codes of 403 refusals by the request policy (ctsportal.access), in the order it checks.
POLICY_CODES = (
    "onboarding_required",
    "terms_not_accepted",
    "mfa_required",
    "customer_suspended",
    "customer_cancelled",
    "customer_revoked",
    "reauthentication_required",
)


ERROR_RESPONSES = {
    "400": "Invalid input or query parameters (code `invalid`; `errors` names the fields, "
    "including `page` and `page_size`).",
    "401": "Not signed in, or the token is missing, expired or revoked (code "
    "`not_authenticated` or `authentication_failed`).",
    "403": "Refused by the request policy or a role: code "
    + ", ".join(f"`{code}`" for code in POLICY_CODES)
    + ", or `permission_denied`.",
    "404": "No such object for the caller's company (another company's object is a 404 "
    "too), or no such path (code `not_found`).",
    "409": "The object's state does not allow this now (code names the conflict).",
    "429": "Too many requests (code `throttled`); retry after the `Retry-After` header.",
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the shared error
    responses with one schema, so clients see 400/401/403/404/409/429 everywhere."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "required": ["code", "detail"],
        "properties": {
            "code": {"type": "string", "description": "Machine-readable reason."},
            "detail": {"type": "string", "description": "Explanation, in the request's language."},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "Field name to messages (400 only).",
            },
        },
        "example": {"code": "terms_not_accepted", "detail": "Please accept the terms."},
    }
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            open_to_all = {} in operation.get("security", [])
            for status, description in ERROR_RESPONSES.items():
                if open_to_all and status in ("401", "403"):
                    continue
                # A view may document an error of its own (what its 404 means, say): its words
                # come first, the shared description and the one schema always follow.
                own = (responses.get(status) or {}).get("description", "")
                text = f"{own} {description}" if own and own != description else description
                responses[status] = {"description": text, "content": reference}
    return result


@access(public=True, reason="an unknown API path answers the JSON error shape to anyone")
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(
        {"code": "not_found", "detail": _("There is no API endpoint at this address.")},
        status=404,
    )


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return "error"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body: dict[str, Any] = {
            "code": "invalid",
            "detail": str(exceptions.ValidationError.default_detail),
            "errors": response.data,
        }
    elif isinstance(exc, PolicyDenied):
        body = {"code": str(exc.refusal.code), "detail": exc.refusal.detail, **exc.refusal.extra}
    else:
        detail = exc.detail
        code = getattr(exc, "code_override", None) or _first_code(exc.get_codes())
        body = {"code": code, "detail": str(detail) if not isinstance(detail, dict) else detail}
        if isinstance(detail, dict):
            body = {"code": _first_code(exc.get_codes()), **detail}
    response.data = body
    return response
