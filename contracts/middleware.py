"""The onboarding gate: until the registration is approved (Art. 4(3): the approval notice
completes registration), a signed-in user reaches only the application, the terms, their
own account and sign-out. Everything else customer-facing redirects to the application
(HTML) or answers 403 (API)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from accounts.selectors import membership_get

# Paths open to a user whose company is not approved (or who has none).
ALLOWED_PREFIXES = (
    "/apply/",
    "/terms/",
    "/accounts/",
    "/account/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/favicon.ico",
    "/api/v1/application",
    # The API twins of the terms and the person's own account pages above.
    "/api/v1/terms",
    "/api/v1/account/",
    "/api/v1/sessions",
    "/api/v1/tokens",
    # Notices already sent to the applicant company (e.g. a refusal citing Art. 4(2)), which
    # are scoped to its own customer row like any other customer's.
    "/notices/",
    "/api/v1/notices",
)
# Whole paths (a prefix "/api/v1/me" would also open "/api/v1/members").
# The privacy notice (Art. 11) is read before and during the application.
ALLOWED_PATHS = frozenset({"/api/v1/me", "/privacy/"})
API_PREFIX = "/api/"


def _token_user(request: HttpRequest) -> User | None:
    """The user of a knox API token, authenticated the way DRF will in the view (the gate runs
    before DRF and must not let a token client past it)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("token "):
        return None
    from knox.auth import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request

    try:
        result = TokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        # The view answers 401 itself.
        return None
    return result[0] if result else None


def user_is_gated(user: User) -> bool:
    """True for a customer-side user whose company is not approved or who has none."""
    if user.is_staff:
        return False
    membership = membership_get(user=user)
    return membership is None or membership.customer.status == Customer.Status.APPLICANT


class OnboardingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in ALLOWED_PATHS or path.startswith(ALLOWED_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            if not path.startswith(API_PREFIX):
                return self.get_response(request)
            user = _token_user(request)
            if user is None:
                return self.get_response(request)
            gated = user_is_gated(user)
        elif user.is_staff:
            return self.get_response(request)
        else:
            membership = getattr(request, "membership", None) or None
            gated = membership is None or membership.customer.status == Customer.Status.APPLICANT
        if not gated:
            return self.get_response(request)
        if path.startswith(API_PREFIX):
            return JsonResponse(
                {
                    "code": "registration_pending",
                    "detail": _(
                        "Your company's registration has not been approved yet; only the "
                        "application is available."
                    ),
                },
                status=403,
            )
        return redirect("contracts:apply")
