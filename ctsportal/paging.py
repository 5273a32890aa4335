"""Pages of a customer's list (rentals, units, notices...): 25 rows a page, with links to the
newer and older pages. One query per page: the rows of the page and one more, which says
whether an older page exists, instead of Django's Paginator, which also counts every row of
the list on every request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

T = TypeVar("T")

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page(Generic[T]):
    object_list: Sequence[T]
    number: int
    has_next: bool
    # The request's other query parameters (a section, another list's page), kept by the
    # page links.
    query: str
    # The query parameter of the page number (a page with two lists has two).
    param: str = "page"

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_url(self) -> str:
        return self._url(self.number - 1)

    @property
    def next_url(self) -> str:
        return self._url(self.number + 1)

    def _url(self, number: int) -> str:
        return "?" + self.query + ("&" if self.query else "") + f"{self.param}={number}"


def page_of(
    request: HttpRequest, rows: QuerySet[Any, T], *, size: int = PAGE_SIZE, param: str = "page"
) -> Page[T]:
    """The page ``?page=N`` (or ``?<param>=N``) of ``rows``, an ordered queryset; a missing or
    malformed number is the first page, one past the end an empty page."""
    raw = request.GET.get(param, "")
    number = int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 100_000 else 1
    start = (number - 1) * size
    found = list(rows[start : start + size + 1])
    query = urlencode([(k, v) for k, v in request.GET.items() if k != param])
    return Page(found[:size], number, len(found) > size, query, param)
