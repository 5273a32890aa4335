import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .services import customer_touch_activity
from .signals import LAST_SEEN_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY


class ActivityMiddleware:
    """Notes that the signed-in user's company used the portal (Art. 12(1)(5) counts months
    without use): after the view, so that API token users count too; at most one write per
    user per ``ACTIVITY_RESOLUTION`` and no query in between."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
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
