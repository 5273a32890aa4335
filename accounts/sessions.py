"""The session engine: Django's cached_db (read from the cache, written through to the
database), which also reads, in the same round trip to the cache, the facts shared by all
people that nearly every signed-in request needs (the terms in force, the current service
interruptions). Each app registers its keys in ``AppConfig.ready``; its readers take the
prefetched value with ``shared_fact`` and read the cache themselves when it is not there.

A person's own fact that can never become untrue (e.g. "accepted these terms versions") may
be kept in their signed-in session with ``session_fact_get/keep``: no round trip at all. It
is written only along with a change the request saves anyway (the session's bookkeeping,
once a minute), so that keeping it never costs a write of its own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.http import HttpRequest

# Cache keys of facts shared by everyone, read with every session.
SHARED_FACT_KEYS: list[str] = []


def shared_fact_key_add(key: str) -> None:
    if key not in SHARED_FACT_KEYS:
        SHARED_FACT_KEYS.append(key)


class SessionStore(cached_db.SessionStore):
    # cached_db's own attributes (not in django-stubs).
    _cache: Any
    _get_session_from_db: Any

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # What the shared keys held when the session was read (None: absent); unset when the
        # session was not read from the cache.
        self.shared_facts: dict[str, Any] | None = None
        # What the session's companion entry held when the session was read (the signed-in
        # person as kept by accounts.middleware), or None.
        self.companion: Any = None

    @property
    def companion_key(self) -> str:
        """A cache entry that belongs to this session and is read with it (the session key
        is its secret: only the session's holder reaches it)."""
        return f"{self.cache_key}:person"

    def load(self) -> dict[str, Any]:
        """cached_db's ``load``, with the shared facts and the session's companion entry in
        the same ``get_many``."""
        keys = [self.cache_key, *SHARED_FACT_KEYS]
        if self.session_key:
            keys.append(self.companion_key)
        try:
            found = self._cache.get_many(keys)
        except Exception:
            # As cached_db: an invalid key resets the session.
            found = {}
        self.shared_facts = {key: found.get(key) for key in SHARED_FACT_KEYS}
        self.companion = found.get(self.companion_key) if self.session_key else None
        data: dict[str, Any] | None = found.get(self.cache_key)
        if data is None:
            stored = self._get_session_from_db()
            if stored:
                data = self.decode(stored.session_data)
                self._cache.set(
                    self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date)
                )
            else:
                data = {}
        return data


def _session(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    inner = getattr(request, "_request", None)  # a DRF request
    return getattr(inner if inner is not None else request, "session", None)


def shared_fact(request: HttpRequest | None, key: str) -> Any:
    """The value of a shared fact as read with the request's session, or None if it was not
    read (no session, or the key absent from the cache): the caller then reads the cache."""
    session = _session(request)
    facts = getattr(session, "shared_facts", None)
    if facts is None:
        # Reading the session (if any) reads the facts with it.
        if session is None or not getattr(session, "session_key", None):
            return None
        session.get(SESSION_KEY)
        facts = getattr(session, "shared_facts", None) or {}
    return facts.get(key)


def _signed_in_session(request: HttpRequest | None, user_id: Any) -> Any:
    """The request's session if ``user_id`` signed in with it (not an API token's request,
    whose session is empty and must stay so)."""
    session = _session(request)
    if session is None or str(session.get(SESSION_KEY, "")) != str(user_id):
        return None
    return session


def session_fact_get(request: HttpRequest | None, user_id: Any, name: str) -> Any:
    session = _signed_in_session(request, user_id)
    return session.get(name) if session is not None else None


def session_fact_keep(request: HttpRequest | None, user_id: Any, name: str, value: Any) -> None:
    """Keeps a fact of the person in their signed-in session if the session is saved at the
    end of this request anyway; otherwise a later request keeps it."""
    session = _signed_in_session(request, user_id)
    if session is not None and session.modified and session.get(name) != value:
        session[name] = value
