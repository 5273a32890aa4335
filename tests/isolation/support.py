"""Helpers of the isolation sweep: signed-in clients and snapshots of the whole database."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.http import HttpResponse
from django.test import Client

from accounts.models import Membership, User
from tests.factories import mark_reauthenticated
from tests.isolation.routes import Route

# Sessions opened once for the world's people (``open_sessions``); a test's client joins
# one instead of signing in again.
_SESSIONS: dict[int, str] = {}
# The company of each of those sessions' people (its activity mark is bookkeeping).
_CUSTOMER_OF_SESSION: dict[str, int] = {}


def open_sessions(*users: User) -> None:
    _SESSIONS.clear()
    _CUSTOMER_OF_SESSION.clear()
    for user in users:
        client = Client()
        client.force_login(user)
        key = client.session.session_key or ""
        _SESSIONS[user.pk] = key
        membership = Membership.objects.filter(user=user).first()
        _CUSTOMER_OF_SESSION[key] = membership.customer_id if membership else 0


def signed_in(user: User) -> Client:
    """A browser session of ``user``, re-authenticated just now (sensitive actions pass)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user.pk in _SESSIONS:
        client.cookies[settings.SESSION_COOKIE_NAME] = _SESSIONS[user.pk]
    else:
        client.force_login(user)
    mark_reauthenticated(client, user)
    return client


def call(client: Client, route: Route, method: str, path: str) -> HttpResponse:
    """``method`` on ``path`` with an empty body (JSON for the API, a form for a page)."""
    if route.is_api:
        return getattr(client, method)(path, {}, content_type="application/json")
    return getattr(client, method)(path, {} if method == "post" else None)


# What any request of a signed-in person writes, whatever it asks for: its own session, its
# own row of the session list (last seen), and its company's activity mark (Art. 12(1)(5):
# the inactivity job reads it). These tables are compared by content, leaving out only the
# acting person's rows; every other table by its write counters.
_BOOKKEEPING = {
    "django_session": "CASE WHEN x.session_key = %(session_key)s THEN NULL ELSE to_jsonb(x) END",
    "usersessions_usersession": (
        "CASE WHEN x.session_key = %(session_key)s THEN NULL ELSE to_jsonb(x) END"
    ),
    "accounts_customer": (
        "CASE WHEN x.id = %(customer_id)s THEN to_jsonb(x) - 'last_activity_at' "
        "ELSE to_jsonb(x) END"
    ),
}
# Rows inserted, updated and deleted in each table by the current transaction (savepoints
# included, rolled back or not): any write at all moves them.
_WRITES = (
    "SELECT c::regclass::text, pg_stat_get_xact_tuples_inserted(c) || '/' || "
    "pg_stat_get_xact_tuples_updated(c) || '/' || pg_stat_get_xact_tuples_deleted(c) "
    "FROM unnest(%(tables)s::oid[]) c"
)
_TABLES: list[int] = []


def _tables(cursor: CursorWrapper) -> list[int]:
    """Every table of the schema but the bookkeeping ones (they are compared by content)."""
    if not _TABLES:
        cursor.execute(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname <> ALL(%s)",
            [list(_BOOKKEEPING)],
        )
        _TABLES.extend(oid for (oid,) in cursor.fetchall())
    return _TABLES


def snapshot(client: Client | None = None, *, customer_id: int | None = None) -> dict[str, str]:
    """What a request could have changed: the transaction's write counters of every table
    and the content of the bookkeeping tables but for the acting session's own rows (and
    the activity mark of its company, or of ``customer_id`` for a client without a session).
    Two snapshots differ if a request wrote anything else."""
    session_key = ""
    if client is not None and settings.SESSION_COOKIE_NAME in client.cookies:
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    params: dict[str, object] = {
        "session_key": session_key,
        "customer_id": customer_id or _CUSTOMER_OF_SESSION.get(session_key, 0),
    }
    selects = [_WRITES]
    for table, row in _BOOKKEEPING.items():
        # The table names are the constants above.
        selects.append(
            f"SELECT '{table}', count({row}) || ':' || "  # noqa: S608
            f"coalesce(md5(string_agg(({row})::text, ',' ORDER BY ({row})::text)), '') "
            f"FROM {connection.ops.quote_name(table)} x"
        )
    with connection.cursor() as cursor:
        params["tables"] = _tables(cursor)
        cursor.execute(" UNION ALL ".join(selects), params)
        return dict(cursor.fetchall())


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def tenant_rows(customer_id: int) -> dict[str, str]:
    """A hash of every row that belongs to one customer: its own row, and every row of every
    table that names it (``customer_id``) or one of its people (``user_id``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name IN ('customer_id', 'user_id')"
        )
        columns = cursor.fetchall()
        people = "SELECT user_id FROM accounts_membership WHERE customer_id = %(customer)s"
        selects = [
            "SELECT 'accounts_customer', md5(to_jsonb(x)::text) FROM accounts_customer x "
            "WHERE x.id = %(customer)s"
        ]
        for table, column in columns:
            match = "= %(customer)s" if column == "customer_id" else f"IN ({people})"
            # The table and column names come from the database's own catalogue.
            selects.append(
                f"SELECT '{table}.{column}', count(*) || ':' || "  # noqa: S608
                f"coalesce(md5(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text)), '') "
                f"FROM {connection.ops.quote_name(table)} x WHERE x.{column} {match}"
            )
        cursor.execute(" UNION ALL ".join(selects), {"customer": customer_id})
        return dict(cursor.fetchall())
