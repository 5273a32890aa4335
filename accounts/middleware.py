import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .selectors import membership_get
from .services import customer_touch_activity, user_has_mfa
from .signals import LAST_SEEN_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY


class MembershipMiddleware:
    """Puts the signed-in user's membership (or None) on ``request.membership`` and notes
    the customer's activity (Art. 12(1)(5) counts months without use)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: membership_get(user=request.user)
        )
        response = self.get_response(request)
        # Measured after the view so API token authentication (done in the view) counts too.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_staff:
            customer_touch_activity(user=user)
        return response


# The last-seen time is written at most once a minute, not on every request.
LAST_SEEN_RESOLUTION = 60


class SessionLimitsMiddleware:
    """Ends a session SESSION_COOKIE_AGE after sign-in (absolute) or SESSION_IDLE_MINUTES
    after its last request (idle). Django's own expiry slides whenever the session is saved,
    so the absolute limit is kept from the sign-in time stored at login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            signed_in_at = session.get(SIGNED_IN_AT_SESSION_KEY)
            last_seen = session.get(LAST_SEEN_SESSION_KEY)
            idle_limit = settings.SESSION_IDLE_MINUTES * 60
            if signed_in_at is None:
                session[SIGNED_IN_AT_SESSION_KEY] = now
            elif now - signed_in_at > settings.SESSION_COOKIE_AGE or (
                last_seen is not None and now - last_seen > idle_limit
            ):
                logout(request)
                messages.info(
                    request,
                    _("You were signed out to keep your account safe. Please sign in again."),
                )
                return self.get_response(request)
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


# Paths a member must reach while two-factor authentication is still to be set up.
MFA_SETUP_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/password/",
    "/accounts/confirm-email/",
    "/account/compromised",
    "/api/v1/account/compromised",
    "/terms/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/favicon.ico",
)


class MFARequiredMiddleware:
    """Sends to the two-factor setup page (a) staff without an authenticator who open the
    admin, and (b) members of a company whose owner requires two-factor authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._check(request)
        return response if response is not None else self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        path = request.path_info
        if user.is_staff and path.startswith(reverse("admin:index")):
            if not user_has_mfa(user):
                messages.warning(
                    request,
                    _("Staff must use two-factor authentication. Set it up to use the admin."),
                )
                return redirect("mfa_index")
            return None
        if path.startswith(MFA_SETUP_EXEMPT_PREFIXES):
            return None
        membership = getattr(request, "membership", None)
        if not membership or not membership.customer.mfa_required or user_has_mfa(user):
            return None
        message = _("Your company requires two-factor authentication. Please set it up now.")
        if path.startswith("/api/"):
            return JsonResponse({"code": "mfa_required", "detail": str(message)}, status=403)
        messages.warning(request, message)
        return redirect("mfa_index")
