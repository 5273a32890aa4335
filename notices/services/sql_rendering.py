"""A job's notices written by the database itself: one ``INSERT ... SELECT`` renders, hashes
and inserts the notices of every row of a source relation, so that Python never holds the
due rows (its memory and its queries stay the same whatever the backlog).

The text is the set-wise render of ``rendering.notices_fill_many`` carried one step further:
each template of the kind is rendered once per language with holes for what differs per
notice (``rendering._skeleton``), and each hole becomes a SQL expression over the source row
(the company's name, the notice's own link, a date of its own). The stored text is the same
as a notice rendered alone (``tests/contracts/test_notice_sql_rendering.py`` compares them for every
kind a job writes this way, in both languages). A hole that has no SQL counterpart (a tag, a
filter other than ``timezone``/``date``/``default``/``safe``, a value not given as a column)
raises ``SqlRenderingUnsupported`` before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.base import Variable, VariableNode
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import default as default_filter
from django.template.defaultfilters import safe as safe_filter
from django.templatetags.tz import do_timezone
from django.utils import translation

from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from notices.models import Notice

from .outbox import notices_queue_created
from .rendering import (
    ALWAYS_PER_NOTICE,
    NO_RECIPIENT,
    _Skeleton,
    kind_skeletons,
    notice_url_parts,
    shared_context,
)


class SqlRenderingUnsupported(Exception):
    """A template of the kind has a per-notice part that cannot be computed in SQL."""


class Sql:
    """A SQL fragment with its positional parameters, built piece by piece."""

    def __init__(self, text: str = "", *params: Any) -> None:
        self.text = text
        self.params: list[Any] = list(params)

    def add(self, text: str, *params: Any) -> Sql:
        self.text += text
        self.params.extend(params)
        return self

    def extend(self, other: Sql) -> Sql:
        return self.add(other.text, *other.params)


class NoticesSql(Sql):
    """``notices_insert_sql``'s statement, with what queuing the delivery of the notices it
    creates needs: their kind and creation time."""

    def __init__(self, text: str, *params: Any, kind: str, created_at: datetime) -> None:
        super().__init__(text, *params)
        self.kind = kind
        self.created_at = created_at

    def queue_delivery(self) -> None:
        """After the commit, the delivery of the notices this statement created."""
        notices_queue_created(kind=self.kind, created_at=self.created_at)


# The characters ``str.split()`` and ``str.strip()`` treat as whitespace, for the subject
# line and the text body, which Python collapses and strips after rendering.
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_WS_RUN = f"[{_WHITESPACE}]+"

# Django's ``date`` format characters that have an exact ``to_char`` counterpart.
_DATE_CODES = {
    "Y": "YYYY",
    "m": "MM",
    "d": "DD",
    "n": "FMMM",
    "j": "FMDD",
    "H": "HH24",
    "i": "MI",
}


def to_char_format(django_format: str) -> str:
    """The ``to_char`` pattern giving what Django's ``date`` filter gives for this format;
    raises SqlRenderingUnsupported for a format character without an exact counterpart (a
    month's name, which depends on the language)."""
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'"{text}"')
            literal.clear()

    escaped = False
    for char in django_format:
        if escaped:
            literal.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _DATE_CODES:
            flush()
            out.append(_DATE_CODES[char])
        elif char.isascii() and char.isalpha():
            raise SqlRenderingUnsupported(f"date format character {char!r}")
        else:
            literal.append(char)
    flush()
    return "".join(out)


def html_escape_sql(expression: str) -> str:
    """Django's ``escape`` (``html.escape`` with quotes) in SQL."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        expression = f"replace({expression}, '{char}', '{entity}')"
    return f"replace({expression}, '''', '&#x27;')"


def _hole_sql(skeleton: _Skeleton, index: int, columns: dict[str, str]) -> Sql:
    """The SQL expression giving what the hole renders to for one notice."""
    hole = skeleton.holes[index]
    node = hole.node
    if not isinstance(node, VariableNode):
        raise SqlRenderingUnsupported(f"tag around a per-notice value: {node!r}")
    expression = node.filter_expression
    var = expression.var
    if not isinstance(var, Variable) or not var.lookups or var.translate or var.message_context:
        raise SqlRenderingUnsupported(f"variable {expression.token!r}")
    path = ".".join(var.lookups)
    if path not in columns:
        raise SqlRenderingUnsupported(f"no column for {path!r}")
    sql = Sql(columns[path])
    # The time zone of a ``timezone`` filter awaiting its ``date``; whether the column's text
    # is escaped already (inside ``default``, whose literal Django marks safe: never escaped).
    zone: str | None = None
    escaped = False
    for func, args in expression.filters:
        if any(is_variable for is_variable, _arg in args):
            raise SqlRenderingUnsupported(f"filter argument in {expression.token!r}")
        arg = args[0][1] if args else None
        if func is do_timezone and zone is None and isinstance(arg, str):
            zone = arg
        elif func is date_filter and zone is not None and isinstance(arg, str):
            sql = (
                Sql("to_char((")
                .extend(sql)
                .add(") AT TIME ZONE %s, %s)", zone, to_char_format(arg))
            )
            zone = None
        elif func is safe_filter and zone is None and arg is None:
            # The column holds HTML already (escaped where it had to be).
            escaped = True
        elif func is default_filter and zone is None and isinstance(arg, str):
            inner = Sql().extend(sql)
            if hole.autoescape:
                inner = Sql(html_escape_sql(f"({inner.text})"), *inner.params)
                escaped = True
            sql = Sql("COALESCE(NULLIF(").extend(inner).add(", ''), %s)", arg)
        else:
            raise SqlRenderingUnsupported(f"filter in {expression.token!r}")
    if zone is not None:
        raise SqlRenderingUnsupported(f"timezone without date in {expression.token!r}")
    if hole.autoescape and not escaped:
        sql = Sql(html_escape_sql(f"({sql.text})"), *sql.params)
    return sql


def _template_sql(skeleton: _Skeleton, columns: dict[str, str], *, strip: str | None = None) -> Sql:
    """The concatenation of the template's shared text and its holes' expressions; with
    ``strip``, that text as Python's ``str.strip(strip)`` would leave it.

    The strip is worked out on the shared text where it can be: only the holes before the
    first shared piece that is not all whitespace (and after the last one) are trimmed in
    SQL, with that piece, so that the database never scans a whole body of a few kilobytes
    for its ends (a ``btrim`` of the body cost as much as rendering it)."""
    pieces = [piece for piece in skeleton.pieces if piece != ""]

    def concat(part: list[str | int]) -> Sql:
        sql = Sql("(''")
        for piece in part:
            if isinstance(piece, str):
                sql.add(" || %s", piece)
            else:
                sql.add(" || ").extend(_hole_sql(skeleton, piece, columns))
        return sql.add(")")

    if strip is None:
        return concat(pieces)
    solid = [i for i, piece in enumerate(pieces) if isinstance(piece, str) and piece.strip(strip)]
    if len(solid) < 2:
        # No shared text, or one piece of it (holes on both sides are rare): trimmed whole.
        return Sql("btrim(").extend(concat(pieces)).add(", %s)", strip)
    first, last = solid[0], solid[-1]
    head = pieces[: first + 1]
    tail = pieces[last:]
    if len(head) == 1:
        sql = concat([str(head[0]).lstrip(strip)])
    else:
        sql = Sql("ltrim(").extend(concat(head)).add(", %s)", strip)
    sql = Sql("(").extend(sql).add(" || ").extend(concat(pieces[first + 1 : last]))
    if len(tail) == 1:
        sql.add(" || ").extend(concat([str(tail[0]).rstrip(strip)]))
    else:
        sql.add(" || rtrim(").extend(concat(tail)).add(", %s)", strip)
    return sql.add(")")


@dataclass(frozen=True)
class _Parts:
    subject: Sql
    text: Sql
    html: Sql


def _language_parts(
    *,
    kind: str,
    clause: str,
    language: str,
    context: dict[str, Any],
    columns: dict[str, str],
) -> _Parts:
    per_notice = ALWAYS_PER_NOTICE | {path.split(".")[0] for path in columns}
    shared = shared_context(
        clause=clause, language=language, context=context, per_notice=per_notice
    )
    with translation.override(language):
        prefix, suffix = notice_url_parts()
        _templates, found = kind_skeletons(kind, language, shared, per_notice)
    skeletons = [skeleton for skeleton in found if skeleton is not None]
    if len(skeletons) < len(found):
        raise SqlRenderingUnsupported(f"{kind}.{language}: a per-notice value in a tag")
    base = {
        **columns,
        "customer.name": "x.n_name",
        # Quoted as literals so that each expression stays one self-contained fragment.
        "notice_url": f"({_quote(prefix)} || x.n_id::text || {_quote(suffix)})",
    }
    # The rendered subject, a column of the statement (notices_insert_sql).
    bodies = {**base, "notice.mail_subject": "x.n_subject"}
    return _Parts(
        subject=_template_sql(skeletons[0], base),
        text=_template_sql(skeletons[1], bodies, strip=_WHITESPACE),
        html=_template_sql(skeletons[2], bodies),
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _by_language(parts: dict[str, Sql]) -> Sql:
    """``CASE x.n_language WHEN 'en' THEN ... ELSE <ja> END``."""
    sql = Sql("CASE x.n_language")
    for language, expression in parts.items():
        if language != Notice.Language.JA:
            sql.add(" WHEN %s THEN ", language).extend(expression)
    return sql.add(" ELSE ").extend(parts[Notice.Language.JA]).add(" END")


def notices_insert_sql(
    *,
    kind: Notice.Kind,
    clause: Clause,
    source: Sql,
    columns: dict[str, str | dict[str, str]] | None = None,
    context: dict[str, Any] | None = None,
    subject_type: ContentType | None = None,
    actor: User | None = None,
    now: datetime,
) -> NoticesSql:
    """An ``INSERT INTO notices_notice ... SELECT ... ON CONFLICT (dedupe_key) DO NOTHING``
    of one notice of ``kind`` per row of the relation ``source`` (the name of a CTE of the
    statement this fragment goes into, or a parenthesized subquery), whose columns are
    ``customer_id``, ``subject_id`` (text) and ``period`` (text) and the per-notice values
    named in ``columns``: template lookup path → column of ``source``
    (``{"cancellation.effective_at": "effective_at"}``), text shown as it is (escaped in the
    HTML unless the template says ``|safe``) or a ``timestamptz`` shown through
    ``|timezone:"..."|date:"..."``; a column that depends on the notice's language is given
    per language (``{"return_list_text": {"ja": "list_ja", "en": "list_en"}}``). Only table
    and column names are written into the SQL text (``# noqa: S608``); every value is a
    parameter.
    ``context`` holds what is the same for every notice (an interruption, a reply date).

    Each row gets what ``notice_create`` would store: the recipients (the owner, then the
    active members), the customer's language, the rendered subject, text and HTML with
    their SHA-256, and ``failed`` with "No recipient address." when there is nobody to send
    to. Rows already notified under the same dedupe key are skipped (a repeated or concurrent
    run writes nothing twice). Whoever runs it queues the delivery when it created notices
    (``NoticesSql.queue_delivery``: ``notices_insert`` and ``job_run_in_sql`` do)."""
    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    per_language = {
        language: _language_parts(
            kind=kind,
            clause=clause,
            language=language,
            context=context or {},
            columns={
                path: f"x.{column[language] if isinstance(column, dict) else column}"
                for path, column in (columns or {}).items()
            },
        )
        for language in Notice.Language.values
    }
    subject = _by_language({lang: p.subject for lang, p in per_language.items()})
    text = _by_language({lang: p.text for lang, p in per_language.items()})
    html = _by_language({lang: p.html for lang, p in per_language.items()})
    membership = Membership._meta.db_table
    user = User._meta.db_table
    notice = Notice._meta.db_table
    sql = NoticesSql(
        f"INSERT INTO {notice} (id, customer_id, kind, clause, subject_type_id, subject_id,"  # noqa: S608
        " period, dedupe_key, recipients, language, mail_subject, body_text, body_html,"
        " content_sha256, state, attempts, last_error, created_by_id, created_at, queued_at)"
        " SELECT x.n_id, x.customer_id, %s, %s, %s, x.subject_id, x.period,"
        " x.customer_id::text || %s || COALESCE(NULLIF(x.subject_id, ''), '-') || '/'"
        " || x.period, x.n_recipients, x.n_language, x.n_subject, x.n_text, x.n_html,"
        " encode(sha256(convert_to(x.n_subject, 'UTF8') || '\\x00'::bytea"
        " || convert_to(x.n_text, 'UTF8') || '\\x00'::bytea || convert_to(x.n_html, 'UTF8')),"
        " 'hex'),"
        " CASE WHEN x.n_recipients = '[]'::jsonb THEN %s ELSE %s END, 0,"
        " CASE WHEN x.n_recipients = '[]'::jsonb THEN %s ELSE '' END, %s, %s, %s"
        " FROM (SELECT x.*, ",
        kind,
        clause,
        subject_type.pk if subject_type else None,
        f"/{kind}/{subject_type.pk if subject_type else '-'}/",
        Notice.State.FAILED,
        Notice.State.PENDING,
        NO_RECIPIENT,
        actor.pk if actor is not None and actor.is_authenticated else None,
        now,
        now,
        kind=kind,
        created_at=now,
    )
    sql.extend(text).add(" || E'\\n' AS n_text, ")
    sql.extend(html).add(" AS n_html FROM (SELECT x.*, ")
    sql.add("left(btrim(regexp_replace(").extend(subject)
    sql.add(", %s, ' ', 'g'), ' '), 300) AS n_subject FROM (", _WS_RUN)
    sql.add(
        # The sequence is looked up once (an InitPlan), not in the catalogue for every row.
        f"SELECT nextval((SELECT pg_get_serial_sequence('{notice}', 'id'))::regclass) AS n_id,"  # noqa: S608
        " s.*,"
        " c.name AS n_name, COALESCE(NULLIF(c.language, ''), %s) AS n_language,"
        " (SELECT COALESCE(jsonb_agg(u.email ORDER BY m.role DESC, m.created_at, m.id),"
        f" '[]'::jsonb) FROM {membership} m JOIN {user} u ON u.id = m.user_id"
        " WHERE m.customer_id = s.customer_id AND u.is_active) AS n_recipients"
        " FROM ",
        Notice.Language.JA,
    )
    # The customer by its primary key, row by row (OFFSET 0 keeps the planner from hashing
    # the whole table for a few hundred rows).
    sql.extend(source).add(
        f" s CROSS JOIN LATERAL (SELECT name, language FROM {Customer._meta.db_table}"  # noqa: S608
        " WHERE id = s.customer_id OFFSET 0) c"
    )
    # OFFSET 0 keeps each level a subquery of its own: flattened, the subject's expression
    # would be computed three times a row (its column, the HTML's title, the hash) and the
    # bodies' twice.
    sql.add(") x OFFSET 0) x OFFSET 0) x ON CONFLICT (dedupe_key) DO NOTHING")
    return sql


def notices_insert(sql: NoticesSql) -> int:
    """Runs a ``notices_insert_sql`` statement on its own (JIT off) and queues the delivery
    of the notices after the commit; returns how many notices it created."""
    statement = (
        Sql("WITH notices AS (")
        .extend(sql)
        .add(" RETURNING 1) SELECT (SELECT count(*) FROM notices)")
    )
    with connection.cursor() as cursor:
        (created,) = select_without_jit(cursor, statement)
    if created:
        sql.queue_delivery()
    return created


def select_without_jit(cursor: Any, sql: Sql) -> tuple[Any, ...]:
    """Runs ``sql``, a statement ending in a ``SELECT`` list, with PostgreSQL's JIT
    compilation off, and returns its one row. A job's statement touches a few thousand rows,
    and compiling it (hundreds of milliseconds when the planner overestimates the due rows)
    costs more than running it. One query more: the setting is turned off for the
    transaction before, and put back by the statement itself (a last column)."""
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    previous = cursor.fetchone()[0]
    cursor.execute(sql.text + ", set_config('jit', %s, true)", [*sql.params, previous])
    return tuple(cursor.fetchone()[:-1])
