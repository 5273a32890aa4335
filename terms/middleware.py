"""Art. 15: a signed-in customer user who has not accepted the version in force of every
document requiring acceptance cannot use the portal until they do.

HTML requests are redirected to the accept page; API requests get 403 with
``{"code": "terms_not_accepted", "detail": ..., "accept_url": ...}``. Requests authenticated
by an API token are checked by ``terms.api.TermsGatedTokenAuthentication``, since the token is
only read inside the API view, after this middleware has run.

Cost per request: no query in the usual case (the versions in force and the fact that the user
accepted them are cached); one query for the user's acceptances otherwise, plus one when the
cache of the versions in force is cold."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import pending_version_ids

# Routes a user who has not accepted must still reach: the terms themselves, signing in and
# out, password and e-mail confirmation, credential-compromise reports (Art. 6(3)), static
# files, language switching, health checks, the API's own terms routes and its docs.
DEFAULT_EXEMPT_PREFIXES = (
    "/terms/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/signup/",
    "/accounts/password/",
    "/accounts/confirm-email/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/authenticate/",
    "/accounts/inactive/",
    "/account/compromised",
    "/static/",
    "/i18n/",
    "/healthz",
    "/favicon.ico",
    "/api/v1/terms",
    "/api/schema/",
    "/api/docs/",
)


def exempt_prefixes() -> tuple[str, ...]:
    return tuple(getattr(settings, "TERMS_GATING_EXEMPT_PREFIXES", DEFAULT_EXEMPT_PREFIXES))


def is_exempt(path: str) -> bool:
    return path.startswith(exempt_prefixes())


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def user_must_accept(request: HttpRequest) -> bool:
    """Whether the request's user still has versions to accept; computed once per request."""
    cached: bool | None = getattr(request, "_terms_pending", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    pending = bool(
        user is not None
        and user.is_authenticated
        and not user.is_staff
        and pending_version_ids(user=user)
    )
    request._terms_pending = pending  # type: ignore[attr-defined]
    return pending


def accept_url(next_path: str | None = None) -> str:
    url = reverse("terms:accept")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def api_refusal_body() -> dict[str, str]:
    return {
        "code": "terms_not_accepted",
        "detail": _("Please accept the terms in force before using the API (Art. 15)."),
        "accept_url": settings.SITE_URL + reverse("terms:accept"),
    }


class TermsAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_exempt(request.path_info) or not user_must_accept(request):
            return self.get_response(request)
        if is_api(request.path_info):
            return JsonResponse(api_refusal_body(), status=403)
        next_path = request.get_full_path() if request.method in ("GET", "HEAD") else None
        return HttpResponseRedirect(accept_url(next_path))
