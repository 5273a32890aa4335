import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    load_backend,
    logout,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .audit import client_ip
from .freshness import FRESH_SECONDS, GENERATION_KEY, generation_read
from .models import User
from .services import customer_touch_activity
from .sessions import shared_fact
from .signals import LAST_SEEN_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY

logger = logging.getLogger(__name__)


# The person, read with their membership and company, as kept in the cache: the instance
# without its password hash (a deferred field, read from the database if ever used) and the
# session hash derived from it.
Snapshot = tuple[User | None, str]


def _person_read(user_id: Any) -> Snapshot:
    user = User.objects.select_related("membership__customer").filter(pk=user_id).first()
    if user is None:
        return None, ""
    session_hash = user.get_session_auth_hash()
    del user.__dict__["password"]
    return user, session_hash


def _backend_user(request: HttpRequest, backend: Any, user_id: Any) -> Snapshot:
    """``backend.get_user`` with the session hash of the person; for ModelBackend and its
    subclasses (allauth's), the person with their membership and company in the same query,
    so that the request policy and every page read them from the user
    (``accounts.current.membership_of``) at no second query, and kept in the cache under the
    data generation (``accounts.freshness``): on a warm cache, no query at all."""
    if type(backend).get_user is not ModelBackend.get_user:
        user: User | None = backend.get_user(user_id)
        return user, user.get_session_auth_hash() if user is not None else ""
    generation = generation_read(shared_fact(request, GENERATION_KEY))
    session = request.session
    # Kept as the session's companion entry, read with the session in one round trip
    # (accounts.sessions), and valid for the person of the session in this generation.
    kept = getattr(session, "companion", None)
    if generation is not None and kept is not None and kept[:2] == (generation, user_id):
        snapshot: Snapshot = kept[2:]
    else:
        snapshot = _person_read(user_id)
        companion_key = getattr(session, "companion_key", None)
        if generation is not None and companion_key is not None:
            try:
                cache.set(companion_key, (generation, user_id, *snapshot), FRESH_SECONDS)
            except Exception:
                logger.warning("the person could not be kept in the cache", exc_info=True)
    user, session_hash = snapshot
    if user is None or not backend.user_can_authenticate(user):
        return None, ""
    return user, session_hash


def person_get(request: HttpRequest) -> User | AnonymousUser:
    """Django's ``django.contrib.auth.get_user`` (Django 5.2), with the user read by
    ``_backend_user``: the same session checks (backend still configured, session hash of the
    current password, fallback secrets rotate the key), one query instead of two, none on a
    warm cache."""
    user_id = request.session.get(SESSION_KEY)
    backend_path = request.session.get(BACKEND_SESSION_KEY)
    if user_id is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user, current = _backend_user(
        request, load_backend(backend_path), User._meta.pk.to_python(user_id)
    )
    if user is None:
        return AnonymousUser()
    session_hash = request.session.get(HASH_SESSION_KEY)
    if session_hash and constant_time_compare(session_hash, current):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        # A fallback secret signed the session: keep it, under the current key.
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = current
        return user
    request.session.flush()
    return AnonymousUser()


def _person(request: HttpRequest) -> User | AnonymousUser:
    if not hasattr(request, "_cached_user"):
        request._cached_user = person_get(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``person_get`` instead of ``get_user``: the signed-in person and their
    membership and company cost one query, not two."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _person(request))  # type: ignore[assignment]


def _session_touch(request: HttpRequest, user: object) -> None:
    """allauth.usersessions' activity tracking (the session list, and the client-change signal
    that feeds the credential-sharing check): one UPDATE when the client is unchanged.
    allauth's own middleware reads and writes the row on every request; this runs once per
    ``LAST_SEEN_RESOLUTION`` (SessionLimitsMiddleware)."""
    from allauth.usersessions.models import UserSession

    if not request.session.session_key:
        return
    user_agent = request.META.get("HTTP_USER_AGENT", "")[
        : UserSession._meta.get_field("user_agent").max_length
    ]
    unchanged = UserSession.objects.filter(
        session_key=request.session.session_key,
        user=user,
        ip=client_ip(request),
        user_agent=user_agent,
    ).update(last_seen_at=timezone.now())
    if not unchanged:
        # New, or seen from another client: allauth's full path (creates the row or sends
        # session_client_changed).
        UserSession.objects.create_from_request(request)


class ActivityMiddleware:
    """Notes that an API token user's company used the portal (Art. 12(1)(5) counts months
    without use): after the view, where the token was read; at most one write per user per
    ``ACTIVITY_RESOLUTION``. Browser sessions are noted by SessionLimitsMiddleware, once a
    minute with the session's last-seen time, at no cost in between."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        by_session = session is not None and SESSION_KEY in session
        if user is not None and user.is_authenticated and not user.is_staff and not by_session:
            customer_touch_activity(user=user)
        return response


# The last-seen time is written at most once a minute, not on every request.
LAST_SEEN_RESOLUTION = 60
# The address and browser the session was last seen from.
CLIENT_SESSION_KEY = "accounts_client"


class SessionLimitsMiddleware:
    """Ends a session SESSION_COOKIE_AGE after sign-in (absolute) or SESSION_IDLE_MINUTES
    after its last request (idle). Django's own expiry slides whenever the session is saved,
    so the absolute limit is kept from the sign-in time stored at login.

    Also the bookkeeping of a signed-in request, at most once per ``LAST_SEEN_RESOLUTION``
    per session and not at all in between: the session's last-seen time, allauth's session
    list, and the company's activity (Art. 12(1)(5))."""

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
            # A session used from another address or browser is noted at once (the
            # credential-sharing signal, Art. 6(1)); compared in the session, at no query.
            client = f"{client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')[:200]}"
            moved = session.get(CLIENT_SESSION_KEY) != client
            if moved or last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                session[LAST_SEEN_SESSION_KEY] = now
                session[CLIENT_SESSION_KEY] = client
                _session_touch(request, user)
                if not user.is_staff:
                    customer_touch_activity(user=user)
        return self.get_response(request)
