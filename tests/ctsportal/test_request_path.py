"""The cost of a request before the view: a signed-in customer's page costs at most four
queries on a warm cache (session, user, membership with customer) and no write besides the
throttled bookkeeping; the public terms page renders a version's text once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from ctsportal.policy import PolicyMiddleware
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def _is_write(sql: str) -> bool:
    return sql.lstrip().upper().startswith(WRITES)


class BeforeView:
    """How many queries had run when the policy (the last check before the view) let the
    request through."""

    def __init__(self) -> None:
        self.ctx: CaptureQueriesContext | None = None
        self.counts: list[int] = []


@pytest.fixture
def before_view(monkeypatch: pytest.MonkeyPatch) -> BeforeView:
    # The middleware chain is built at a client's first request, so this is patched before.
    probe = BeforeView()
    original = PolicyMiddleware.process_view

    def spy(self, request, view_func, view_args, view_kwargs):
        result = original(self, request, view_func, view_args, view_kwargs)
        if probe.ctx is not None:
            probe.counts.append(len(probe.ctx.captured_queries))
        return result

    monkeypatch.setattr(PolicyMiddleware, "process_view", spy)
    return probe


@pytest.mark.parametrize("path", ["/dashboard/", "/notices/", "/account/members/"])
def test_a_signed_in_customer_costs_at_most_four_queries_before_the_view(
    alice: User, before_view: BeforeView, path: str
) -> None:
    client = sign_in(alice.email)
    client.get(path)  # warms the caches (terms, second factor, session)
    with CaptureQueriesContext(connection) as ctx:
        before_view.ctx = ctx
        assert client.get(path).status_code == 200
    assert before_view.counts, "the policy did not run"
    before = ctx.captured_queries[: before_view.counts[0]]
    assert len(before) <= 4, [q["sql"][:120] for q in before]


def test_an_ordinary_get_writes_nothing_but_throttled_bookkeeping(alice: User) -> None:
    client = sign_in(alice.email)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert client.get("/dashboard/").status_code == 200
    writes = [
        q["sql"][:120] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]
    assert writes == []


def test_bookkeeping_is_one_statement_each_once_a_minute(alice: User) -> None:
    import time

    from django.core.cache import cache

    client = sign_in(alice.email)
    client.get("/dashboard/")
    # A minute later: the session's last-seen time, allauth's session row and the company's
    # activity are written, one statement each.
    session = client.session
    session["accounts_last_seen"] = int(time.time()) - 61
    session.save()
    cache.delete(f"user-activity:{alice.pk}")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/dashboard/")
    writes = [q["sql"] for q in ctx.captured_queries if _is_write(q["sql"])]
    tables = sorted(w.split('"')[1] for w in writes)
    assert tables == ["accounts_customer", "django_session", "usersessions_usersession"]
    with CaptureQueriesContext(connection) as ctx:
        client.get("/dashboard/")
    assert not [q for q in ctx.captured_queries if _is_write(q["sql"])]


def test_the_public_terms_page_renders_the_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from terms import views as terms_views

    terms_views._parsed_sections.cache_clear()
    parses: list[int] = []
    real = terms_views.text_sections

    def counting(lines: Any) -> Any:
        parses.append(1)
        return real(lines)

    monkeypatch.setattr(terms_views, "text_sections", counting)
    first = Client()
    with CaptureQueriesContext(connection) as cold:
        body = first.get("/terms/terms-of-use/").content.decode()
    # The heading as the provider's text writes it (Art. 15: served faithfully).
    assert "第 12 条（登録取消等）" in body
    with CaptureQueriesContext(connection) as warm:
        again = Client().get("/terms/terms-of-use/").content.decode()
    assert again.count("terms-article") == body.count("terms-article") > 0
    assert len(parses) == 1
    assert len(warm.captured_queries) <= len(cold.captured_queries)
    assert len(warm.captured_queries) <= 3
