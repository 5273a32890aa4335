"""Pages and API answers kept in the cache for the person who asked, until the data changes.

A read-only view whose answer depends only on the person, their company's data, the shared
data (catalogue, terms, interruptions), the URL and the language declares it:

    @cached_page
    def dashboard(request): ...

    class RentalListView(CachedReads, generics.ListAPIView): ...

The first GET renders as usual and files the answer under the data generation
(``accounts.freshness``), which every write to the database moves: a later GET by the same
session (a page) or person (an API answer) is served from the cache — Redis, and the
process's own memory for an answer it served lately — after the request policy (and for the
API the throttles) let it through like any other request. Whatever changes the data
makes the next GET render afresh; what changes with time alone is seen within
``FRESH_SECONDS``.

A page is never served from the cache, nor filed, when it would differ for reasons the key
does not hold: messages waiting to be shown, a view that set a cookie or changed the
session, an answer other than 200. A page is kept with the CSRF token of its forms, as
Django's own per-view cache keeps it: under a key that holds the visitor's CSRF cookie, so
that it is served only to the holder of the secret its token was masked for; each page (each
URL) is masked afresh when rendered, so that no two pages carry the same token (BREACH). A
visitor without the cookie is given a new secret by the render, which is therefore never
filed."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.translation import get_language
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.freshness import FRESH_SECONDS, GENERATION_KEY, generation_read
from accounts.sessions import shared_fact

logger = logging.getLogger(__name__)

V = TypeVar("V", bound=Callable[..., HttpResponse])


def _key(request: HttpRequest, kind: str, *, per_session: bool, vary: str = "") -> str | None:
    """The key of the request's answer in the current data generation, or None when the
    cache cannot tell the generation. A page's key holds the session and the CSRF secret
    of the visitor's cookie (its forms' token is the visitor's own)."""
    generation = generation_read(shared_fact(request, GENERATION_KEY))
    if generation is None:
        return None
    user = request.user
    session = getattr(request, "session", None)
    who = [str(user.pk) if user.is_authenticated else "anonymous"]
    if per_session:
        who.append(str(getattr(session, "session_key", None) or ""))
        who.append(_csrf_secret(request))
    parts = [
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        get_language() or "",
        *who,
        vary,
    ]
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return f"answer:{kind}:{generation}:{digest}"


def _csrf_secret(request: HttpRequest) -> str:
    """The CSRF secret of the visitor's cookie, as CsrfViewMiddleware read it ("" if none);
    the render of a page that asks for the token sets a new one when there was none."""
    return str(request.META.get("CSRF_COOKIE", ""))


class _Nearby:
    """The answers this process served lately, by their key in the cache: a key names one
    generation's answer, which never changes, so a copy in the process's memory is as good as
    the shared one for as long as the answer may be served (``FRESH_SECONDS`` after it was
    filed) and saves the round trip to Redis. Bounded to ``SIZE`` answers, least recently
    used dropped first."""

    SIZE = 256

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, value: Any, expires: float) -> None:
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_nearby = _Nearby()


def _cache_get(key: str) -> Any:
    found = _nearby.get(key)
    if found is not None:
        return found
    try:
        filed = cache.get(key)
    except Exception:
        logger.warning("a cached answer could not be read", exc_info=True)
        return None
    if filed is None:
        return None
    filed_at, value = filed
    # Served for FRESH_SECONDS after it was filed, wherever it is read from.
    expires = time.monotonic() - (time.time() - filed_at) + FRESH_SECONDS
    _nearby.put(key, value, expires)
    return value


def _cache_set(key: str, value: Any) -> None:
    try:
        cache.set(key, (time.time(), value), FRESH_SECONDS)
    except Exception:
        logger.warning("an answer could not be kept in the cache", exc_info=True)
    _nearby.put(key, value, time.monotonic() + FRESH_SECONDS)


# A page as filed: its status, its headers and its body.
Filed = tuple[int, list[tuple[str, str]], bytes]


def _page_served(request: HttpRequest, filed: Filed) -> HttpResponse:
    status, headers, content = filed
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


def _page_storable(response: HttpResponse, *, secret_changed: bool, session_changed: bool) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not secret_changed
        and not session_changed
        and "no-store" not in response.headers.get("Cache-Control", "")
    )


def _page_rendered(
    request: HttpRequest, key: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """Renders the page and files it under ``key`` if nothing the key does not hold went into
    it: the session as it was, the CSRF secret of the visitor's cookie."""
    session = getattr(request, "session", None)
    # What the session held (not whether it was changed: the request's own bookkeeping may
    # have changed it before the view, which would hide a change by the view).
    session_before = dict(session.items()) if session is not None else None
    secret_before = _csrf_secret(request)
    response = render()
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    if response.streaming:
        return response
    storable = _page_storable(
        response,
        secret_changed=_csrf_secret(request) != secret_before,
        session_changed=session is not None and dict(session.items()) != session_before,
    )
    if storable:
        _cache_set(key, (response.status_code, list(response.headers.items()), response.content))
    return response


def cached_page(view: V | None = None, *, vary: Callable[[HttpRequest], str] | None = None) -> Any:
    """Decorates a read-only page view (see the module's docstring). ``vary`` adds to the key
    what else the page depends on (e.g. the stamp of the terms in force)."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET" or not settings.PAGE_CACHE or len(get_messages(request)):
                return view(request, *args, **kwargs)
            key = _key(request, "page", per_session=True, vary=vary(request) if vary else "")
            if key is None:
                return view(request, *args, **kwargs)
            stored = _cache_get(key)
            if stored is not None:
                return _page_served(request, stored)
            return _page_rendered(request, key, lambda: view(request, *args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate


G = TypeVar("G", bound=Callable[..., Response])


def _cached_get(get: G) -> G:
    @wraps(get)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        renderer = getattr(request, "accepted_renderer", None)
        if not settings.PAGE_CACHE or getattr(renderer, "format", None) != "json":
            # The browsable API renders forms for the visitor: never kept.
            return get(self, request, *args, **kwargs)
        # Authentication, the request policy, the throttles and the content negotiation have
        # run (DRF's initial()): the answer is the body for this person and media type.
        key = _key(request._request, "api", per_session=False, vary=request.accepted_media_type)
        stored = _cache_get(key) if key is not None else None
        if stored is not None:
            status, content_type, content = stored
            answer = Response(status=status)
            answer.content = content  # rendered: DRF and Django leave it as it is
            answer["Content-Type"] = content_type
            return answer
        response = get(self, request, *args, **kwargs)
        if key is not None and response.status_code == 200:
            # What DRF's finalize_response sets, so that the body can be rendered here.
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()  # type: ignore[attr-defined]
            response.render()
            if not response.cookies:
                _cache_set(key, (response.status_code, response["Content-Type"], response.content))
        return response

    return wrapper  # type: ignore[return-value]


class CachedReads:
    """For a DRF view whose GET answer depends only on the person, the data and the URL: the
    JSON body is kept in the cache per person and media type, looked up after
    authentication, the request policy, the throttles and the content negotiation (the
    browsable API is never kept). The view's ``get``, its own or inherited, is wrapped once
    when the class is made."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        get = getattr(cls, "get", None)
        if get is not None and not getattr(get, "_answer_cached", False):
            wrapped = _cached_get(get)
            wrapped._answer_cached = True
            cls.get = wrapped  # type: ignore[attr-defined]
