"""The list of what a company must return or destroy (Art. 12(5)) in the notices of a
cancellation applied and of a revocation.

Each item's line is ``emails/includes/return_item.<lang>.txt``; the list around the lines
(a heading, bullets) is ``emails/includes/return_list.<lang>.txt`` and ``.html``. The
notice's own templates show the result as ``{{ return_list_text }}`` and
``{{ return_list_html|safe }}``. A notice rendered in Python gets both from
``return_list_context``; the cancellations applied by the database (``return_list_sql``)
compute them in SQL from the same templates, rendered once with markers in the place of
what differs: an item's description, the lines of the list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.template import Context
from django.template.loader import get_template
from django.utils.html import escape

from notices.models import Notice
from notices.services import Sql, SqlRenderingUnsupported, html_escape_sql

from ..models import ReturnItem

# Characters of Unicode's private use area: in no template, and not escaped in HTML.
_FIRST, _SECOND = "\ue000", "\ue001"


class ReturnItemLike(Protocol):
    kind: str
    action: str
    description: str


def _language(language: str) -> str:
    return language if language in Notice.Language.values else Notice.Language.JA


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=autoescape)))


def _item_line(item: ReturnItemLike, language: str) -> str:
    """The item's line as plain text: not a SafeString, so that the HTML list escapes it."""
    line = _render(f"emails/includes/return_item.{language}.txt", {"item": item}, autoescape=False)
    return "".join([line])


def _list(lines: Sequence[str], language: str, ext: str) -> str:
    return _render(
        f"emails/includes/return_list.{language}.{ext}", {"lines": lines}, autoescape=ext == "html"
    )


def return_list_context(items: Sequence[ReturnItemLike], language: str) -> dict[str, str]:
    """``return_list_text`` and ``return_list_html`` of a notice in ``language`` (the
    company's; Japanese when it has none) listing ``items`` (both empty when there is nothing
    to return)."""
    language = _language(language)
    lines = [_item_line(item, language) for item in items]
    return {
        "return_list_text": _list(lines, language, "txt"),
        "return_list_html": _list(lines, language, "html"),
    }


class _Item:
    def __init__(self, kind: str, action: str, description: str) -> None:
        self.kind, self.action, self.description = kind, action, description


def _line_sql(language: str, *, html: bool, description: str) -> Sql:
    """The line of an item in SQL (``CASE`` over its kind and action), from the item template
    rendered with a marker for the description; ``description`` is the SQL expression of
    the item's description."""
    sql = Sql("CASE")
    for kind in ReturnItem.Kind.values:
        for action in ReturnItem.Action.values:
            line = _item_line(_Item(kind, action, _FIRST), language)
            before, marker, after = line.partition(_FIRST)
            if html:
                before, after = escape(before), escape(after)
            sql.add(" WHEN i.kind = %s AND i.action = %s THEN %s", kind, action, before)
            if marker:
                described = f"({description})"
                if html:
                    described = html_escape_sql(described)
                sql.add(f" || {described} || %s", after)
    return sql.add(" END")


def return_list_sql(*, language: str, ext: str) -> Sql:
    """The rendered list (``return_list_text`` for ``ext`` "txt", ``return_list_html`` for
    "html") in ``language``, as an aggregate over the items ``i`` of one company (a query
    grouped by company) with the columns ``kind``, ``action``, ``description`` and
    ``position`` (the items' order). A company without items has no row: the caller shows
    ``''`` (``COALESCE``). Raises SqlRenderingUnsupported if the list template does not put
    its lines one after another between a fixed beginning and end."""
    language = _language(language)
    two = _list([_FIRST, _SECOND], language, ext)
    start, _first, rest = two.partition(_FIRST)
    between, _second, end = rest.partition(_SECOND)
    if (
        not _first
        or not _second
        or _list([_FIRST], language, ext) != start + _FIRST + end
        or _list([], language, ext) != ""
    ):
        raise SqlRenderingUnsupported(f"return_list.{language}.{ext}")
    line = _line_sql(language, html=ext == "html", description="i.description")
    return (
        Sql("(%s || string_agg(", start)
        .extend(line)
        .add(", %s ORDER BY i.position) || %s)", between, end)
    )


def return_lists_sql(*, items: str) -> Sql:
    """One row per company that has items in the relation ``items`` (``customer_id``,
    ``kind``, ``action``, ``description``, ``position``): its ``customer_id`` and its lists
    ``list_text_<lang>`` and ``list_html_<lang>`` in every language."""
    sql = Sql("SELECT i.customer_id")
    for part, ext in (("text", "txt"), ("html", "html")):
        for language in Notice.Language.values:
            sql.add(", ").extend(return_list_sql(language=language, ext=ext))
            sql.add(f" AS list_{part}_{language}")
    return sql.add(f" FROM {items} i GROUP BY i.customer_id")


def return_list_columns() -> dict[str, dict[str, str]]:
    """The ``columns`` of ``notices_insert_sql`` for the lists of ``return_lists_sql``."""
    return {
        f"return_list_{part}": {
            language: f"list_{part}_{language}" for language in Notice.Language.values
        }
        for part in ("text", "html")
    }
