"""The data generation: one counter in the cache that moves whenever the database changes, so
that whatever is kept in the cache *about* the data (a signed-in person's record with their
membership and company, a rendered page, an API body) is filed under the generation it was
read in and is never served once anything changed.

Every SQL statement of every process (web, worker, beat, management commands) passes
``watch_writes`` (installed on each database connection by ``AccountsConfig.ready``): an
``INSERT``, ``UPDATE``, ``DELETE``, ``TRUNCATE`` or ``MERGE`` moves the generation at once,
and once more after its transaction commits. The first move keeps a reader of the same
connection (a test, a view rendering after its own write) from the old entries; the second
closes the window in which another process read the new generation but the old rows and
filed the old rows under it. Nothing has to remember to invalidate: raw SQL, ``update()``
and ``bulk_create()`` are statements like any other. Writes to bookkeeping tables that no
cached reader shows (``QUIET_TABLES``) do not move it.

Cached entries also expire (``FRESH_SECONDS``): what changes with time alone (an
interruption that starts, a date that passes) and a write made outside Django (psql) are
seen within that time. A write made while the cache cannot be reached logs a warning and is
seen within that time too. With a cache of each process's own (``make run`` without Redis)
nothing is kept under the generation."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

GENERATION_KEY = "data:generation"
# How long an entry filed under a generation may be served at most.
FRESH_SECONDS = 60

# Bookkeeping written while people merely read pages; no cached entry shows it.
QUIET_TABLES = frozenset(
    {
        "django_session",
        "usersessions_usersession",
        "axes_accessattempt",
        "axes_accessattemptexpiration",
        "axes_accessfailurelog",
        "axes_accesslog",
        "django_celery_beat_periodictask",
        "django_celery_beat_periodictasks",
        "celery_results_taskresult",
    }
)

_WRITE = re.compile(
    r"""\s*(?:
        INSERT\s+INTO | UPDATE | DELETE\s+FROM | TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)? | MERGE\s+INTO
    )\s+"?([\w.]+)"?""",
    re.IGNORECASE | re.VERBOSE,
)
# A statement that starts with a common table expression writes if it says so anywhere.
_CTE_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b", re.IGNORECASE)

# Whether this thread moved the generation since it last read it: one move per read is
# enough, however many statements write in between.
_local = threading.local()


def written_table(sql: str) -> str | None:
    """The table a statement writes ("" when it writes but the table is not told), or None
    for a statement that writes nothing."""
    match = _WRITE.match(sql)
    if match is not None:
        return match.group(1).rsplit(".", 1)[-1]
    if sql.lstrip()[:4].upper() == "WITH" and _CTE_WRITE.search(sql):
        return ""
    return None


def generation_shared() -> bool:
    """Whether the cache is one for every process (Redis in production and tests). With a
    cache of the process's own (``make run``'s local memory), a worker's write could not
    reach the web server's entries: nothing is kept under the generation then."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def generation_bump() -> None:
    """Moves the generation: every entry filed under an earlier one is dead."""
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            # Gone (first use, or the cache was flushed): a value never used before.
            if not cache.add(GENERATION_KEY, time.time_ns()):
                cache.incr(GENERATION_KEY)
    except Exception:
        logger.warning("the data generation could not be moved", exc_info=True)


def _bump_after_commit() -> None:
    generation_bump()


def data_changed(connection: BaseDatabaseWrapper | None = None) -> None:
    """Moves the generation now and again after the current transaction commits (in
    autocommit, once: the statement is committed already). The write watcher calls it; call
    it yourself only for a write that bypasses the cursor (COPY)."""
    connection = connection or transaction.get_connection()
    if not connection.in_atomic_block:
        generation_bump()
        _local.moved = True
        return
    if not getattr(_local, "moved", False):
        generation_bump()
        _local.moved = True
    # Once per transaction (and savepoint: a callback registered within a savepoint that
    # is rolled back is dropped with it).
    savepoints = set(connection.savepoint_ids)
    if not any(
        entry[1] is _bump_after_commit and entry[0] == savepoints
        for entry in connection.run_on_commit
    ):
        transaction.on_commit(_bump_after_commit, using=connection.alias)


@contextmanager
def unseen_writes() -> Iterator[None]:
    """Writes within do not move the generation: bookkeeping that merely reading the portal
    causes (the time of a company's last use, noted once a quarter hour per person), which
    would otherwise drop every cached entry of every company several times a minute. What
    shows it is at most ``FRESH_SECONDS`` behind."""
    previous = getattr(_local, "unseen", False)
    _local.unseen = True
    try:
        yield
    finally:
        _local.unseen = previous


def watch_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    result = execute(sql, params, many, context)
    if getattr(_local, "unseen", False):
        return result
    table = written_table(sql)
    # A statement that changed no row (an UPDATE whose condition matched nothing, an INSERT
    # ... ON CONFLICT DO NOTHING that met its conflict) changed nothing. A common table
    # expression's count is its last part's, which tells nothing of the writes before it.
    if table is None or table in QUIET_TABLES:
        return result
    if table == "" or context["cursor"].rowcount != 0:
        data_changed(context["connection"])
    return result


def install_write_watcher(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: the watcher on every connection, once."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def generation_read(known: Any = None) -> int | None:
    """The current generation, or None when the cache cannot tell it (nothing may then be
    served from or filed in it). ``known`` is the value read with the session at the start
    of the request; it is not used if this thread changed data since (the request's own
    bookkeeping, say), so that nothing filed before that change is served after it."""
    moved = getattr(_local, "moved", False)
    _local.moved = False
    if not generation_shared():
        return None
    if known is not None and not moved:
        return int(known)
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, time.time_ns())
            value = cache.get(GENERATION_KEY)
    except Exception:
        logger.warning("the data generation could not be read", exc_info=True)
        return None
    return int(value) if value is not None else None
