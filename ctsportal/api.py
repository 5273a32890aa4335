"""What every API view shares: pagination and one JSON error shape.

Errors always look like ``{"code": "...", "detail": "...", "errors": {...}}`` so that a
client can branch on ``code`` without parsing prose (which is translated)."""

from collections.abc import MutableMapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .access import access

# DRF's own error messages that its Japanese catalogue lacks (they reached Japanese callers in
# English). Marked here so that `make messages` keeps their translations in locale/ja; DRF
# looks them up by these very words.
DRF_MESSAGES = (
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("A valid biginteger is required."),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Datetime value out of range."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("This dictionary may not be empty."),
)


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

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # The bounds paginate_queryset enforces, so that the schema says what is refused.
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


def _positive(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) >= 1


class ReadModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose read-only fields keep ``allow_blank``: DRF drops it from
    read-only fields, so the schema would promise a choice or an e-mail address where a blank
    model field (an accessory's recording, a draft's contact address) answers ""."""

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, with a time that leaves the calendar once placed in Tokyo
    (``0001-01-01T00:00`` is 0000-12-31 in UTC) refused as out of range instead of an
    OverflowError (a 500): DRF catches it only for a time given with its offset."""

    default_error_messages = {"overflow": gettext_lazy("Date and time out of range.")}

    def enforce_timezone(self, value: Any) -> Any:
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


# --- a service's refusal, as an API error -----------------------------------------------------

# The codes of services' ValidationErrors that say the object's state does not allow the
# action now (409), rather than that the input is wrong (400).
CONFLICT_CODES = frozenset(
    {
        # registration (Art. 4)
        "already_registered",
        "already_decided",
        "not_draft",
        "open_application_exists",
        "open_exists",
        # cancellation (Art. 12(3))
        "already_given",
        "not_cancellable",
        "not_withdrawable",
        # members and invitations (Art. 6(1))
        "owner",
        "already_owner",
        "already_member",
    }
)


class Conflict(exceptions.APIException):
    """409: the object's state does not allow this now; ``code`` names the conflict."""

    status_code = 409
    default_code = "conflict"
    default_detail = gettext_lazy("The object's state does not allow this now.")


def service_error(
    exc: DjangoValidationError, *, field: str = "non_field_errors"
) -> exceptions.APIException:
    """A service's ValidationError as the API answers it: a state conflict (its code in
    ``CONFLICT_CODES``) is a 409 with that code; anything else a 400 naming the fields (or
    ``field`` for a message that names none)."""
    code = getattr(exc, "code", None)
    if code in CONFLICT_CODES:
        return Conflict(" ".join(exc.messages), code=code)
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                name: [str(m) for e in errors for m in e.messages]
                for name, errors in exc.error_dict.items()
            }
        )
    return exceptions.ValidationError({field: exc.messages}, code=code or "invalid")


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
    "`not_authenticated` or `authentication_failed`). A public operation answers it too when "
    "the request carries a bad token.",
    "403": "Refused by the request policy or a role: code "
    + ", ".join(f"`{code}`" for code in POLICY_CODES)
    + ", or `permission_denied`.",
    "404": "No such object for the caller's company (another company's object is a 404 "
    "too), the caller has no company, or no such path (code `not_found`).",
    "409": "The object's state does not allow this now (code names the conflict).",
    "422": "The request is well formed but contradicts an earlier one (code names it).",
    "429": "Too many requests (code `throttled`); retry after the `Retry-After` header.",
}


def error_statuses(operation: dict[str, Any]) -> set[str]:
    """The error statuses an operation can answer, from what it takes and who may call it:
    401 and 429 always (a bad token is refused, every view is throttled); 403 unless it is
    public (the policy and roles); 400 when it takes a body or query parameters; 404 unless
    it is public and names no object; and whatever the view itself declares (a 409 of a
    state conflict, a 400 or 404 of its own)."""
    public = {} in operation.get("security", [])
    locations = {parameter["in"] for parameter in operation.get("parameters", [])}
    statuses = {"401", "429"}
    if not public:
        statuses |= {"403", "404"}
    if "requestBody" in operation or "query" in locations:
        statuses.add("400")
    if "path" in locations:
        statuses.add("404")
    return statuses | (set(operation["responses"]) & set(ERROR_RESPONSES))


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the error responses
    it can answer (``error_statuses``), each with the one error schema."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "required": ["code", "detail"],
        "properties": {
            "code": {"type": "string", "description": "Machine-readable reason."},
            "detail": {"type": "string", "description": "Explanation, in the request's language."},
            "errors": {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [
                        {"type": "array", "items": {"type": "string"}},
                        {"type": "object"},
                    ]
                },
                "description": "Field name to messages (400 only); a list or an object in the "
                "request maps its positions or keys to their own messages.",
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
            for status in sorted(error_statuses(operation)):
                description = ERROR_RESPONSES[status]
                # A view may document an error of its own (what its 409 means, say): its words
                # come first, the shared description and the one schema always follow.
                own = (responses.get(status) or {}).get("description", "")
                text = f"{own} {description}" if own and own != description else description
                responses[status] = {"description": text, "content": reference}
    return result


# No CSRF check: it changes nothing, and a write to an unknown path is a 404 like a read.
@csrf_exempt
@access(public=True, reason="an unknown API path answers the JSON error shape to anyone")
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(
        {"code": "not_found", "detail": _("There is no API endpoint at this address.")},
        status=404,
        # As DRF's renderer writes the API's other answers: UTF-8, not \u escapes.
        json_dumps_params={"ensure_ascii": False},
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


def _without_untranslated(errors: Any) -> Any:
    """The field errors, with the one message DRF never translates (a body of JSON ``null``:
    "No data provided", code ``null``) in the caller's language."""
    if isinstance(errors, dict):
        return {name: _without_untranslated(value) for name, value in errors.items()}
    if isinstance(errors, list):
        return [_without_untranslated(value) for value in errors]
    if getattr(errors, "code", None) == "null" and str(errors) == "No data provided":
        return exceptions.ErrorDetail(_("No data provided."), code="null")
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A service's refusal says why (translated); a bare PermissionDenied gets DRF's words.
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body: dict[str, Any] = {
            "code": "invalid",
            # Our own words: DRF has no Japanese for "Invalid input."
            "detail": _("Invalid input."),
            "errors": _without_untranslated(response.data),
        }
    elif isinstance(exc, exceptions.ParseError):
        # DRF's "JSON parse error - <Python's message>" is English whatever the language;
        # the parser's message (where in the body) stays, after words in the caller's.
        reason = str(exc.detail).removeprefix("JSON parse error - ")
        body = {
            "code": "parse_error",
            "detail": _("The request body is not valid JSON: %(reason)s") % {"reason": reason},
        }
    elif isinstance(exc, exceptions.Throttled):
        # DRF formats the wait into its message before translating it, so the second half
        # stays English whatever the language ("... Expected available in 60 seconds.").
        wait: int | None = getattr(exc, "wait", None)
        if wait is None:
            waiting = _("Too many requests. Please try again later.")
        else:
            waiting = ngettext(
                "Too many requests. Please try again in %(wait)d second.",
                "Too many requests. Please try again in %(wait)d seconds.",
                wait,
            ) % {"wait": wait}
        body = {"code": "throttled", "detail": waiting}
    elif (refusal := getattr(exc, "refusal", None)) is not None:
        # ctsportal.policy.PolicyDenied, recognised by its refusal rather than imported: the
        # policy reads the terms, and accounts/ (which imports these conventions) may not.
        body = {"code": str(refusal.code), "detail": refusal.detail, **refusal.extra}
    else:
        detail = exc.detail
        code = getattr(exc, "code_override", None) or _first_code(exc.get_codes())
        body = {"code": code, "detail": str(detail) if not isinstance(detail, dict) else detail}
        if isinstance(detail, dict):
            body = {"code": _first_code(exc.get_codes()), **detail}
    response.data = body
    return response
