"""What every API view shares: pagination and one JSON error shape.

Errors always look like ``{"code": "...", "detail": "...", "errors": {...}}`` so that a
client can branch on ``code`` without parsing prose (which is translated)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .policy import PolicyDenied


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


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
