"""The cost of a request before the view: a signed-in customer's page costs at most four
queries on a warm cache (session, user, membership with customer) and no write besides the
throttled bookkeeping; the public terms page renders a version's text once."""

from __future__ import annotations

import time
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


def test_an_ordinary_get_writes_nothing_but_throttled_bookkeeping(
    alice: User, settings: Any
) -> None:
    # The view runs each time (a page served from the cache would skip it).
    settings.PAGE_CACHE = False
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
    # Counted now: the captured list is a window on the query log, which a request resets.
    cold_queries = len(cold.captured_queries)
    # The heading as the provider's text writes it (Art. 15: served faithfully).
    assert "第 12 条（登録取消等）" in body
    with CaptureQueriesContext(connection) as warm:
        again = Client().get("/terms/terms-of-use/").content.decode()
    assert again.count("terms-article") == body.count("terms-article") > 0
    assert len(parses) == 1
    assert len(warm.captured_queries) <= cold_queries
    assert len(warm.captured_queries) <= 3


# --- Whole pages at scale (issue 15): the same queries at one row and at many -----------------

# The queries of each page rendered on a warm cache: the view's own. The session, the data
# generation, the terms in force and the current interruptions come from the cache, read in
# one round trip with the session (accounts.sessions); the person with the company is kept in
# the cache under the data generation (accounts.middleware).
PAGE_QUERIES = {
    # the company's members
    "/dashboard/": 1,
    # the usage contract, its terms' titles, a page of rentals, their units
    "/rentals/": 4,
    # the rental, its units, its deletion records
    "/rentals/{rental}/": 3,
    # the count, a page of rentals, their units
    "/api/v1/rentals": 3,
    # a page of notices (and one more row: no count)
    "/notices/": 1,
    # the count, a page of notices
    "/api/v1/notices": 2,
    "/api/v1/me": 0,
}


def _notices(customer: Any, count: int, start: int = 0) -> None:
    from django.utils import timezone

    from notices.models import Notice

    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            customer=customer,
            kind=Notice.Kind.SERVICE_INTERRUPTION,
            clause="art8.1",
            dedupe_key=f"test/{customer.pk}/{n}",
            mail_subject=f"お知らせ {n}",
            content_sha256="0" * 64,
            state=Notice.State.SENT,
            sent_at=now,
            created_at=now,
        )
        for n in range(start, start + count)
    )


def test_every_page_takes_the_same_queries_at_one_row_and_at_scale(
    alice: User, staff: User, django_assert_num_queries: Any, settings: Any
) -> None:
    from tests.contracts.rental_helpers import bulk_rentals

    # What rendering each page costs; served from the cache it costs none (below, and
    # tests/ctsportal/test_pagecache.py).
    settings.PAGE_CACHE = False
    customer = alice.membership.customer
    first = bulk_rentals(customer, staff, 1)[0]
    _notices(customer, 1)
    client = sign_in(alice.email)
    client.get("/dashboard/")  # notes the company's use after signing in (a write)
    pages = {path.format(rental=first.pk): count for path, count in PAGE_QUERIES.items()}
    for path, count in pages.items():
        assert client.get(path).status_code == 200, path  # warms the caches
        with django_assert_num_queries(count):
            assert client.get(path).status_code == 200, path
    bulk_rentals(customer, staff, 200)
    _notices(customer, 1000, start=1)
    for path, count in pages.items():
        client.get(path)  # the data changed: the person is read again once
        with django_assert_num_queries(count):
            response = client.get(path)
        assert response.status_code == 200, path
        if path in ("/rentals/", "/notices/"):
            assert 'data-testid="pager"' in response.content.decode(), path
        if path.startswith("/api/v1/") and path != "/api/v1/me":
            assert len(response.json()["results"]) == 50, path
    settings.PAGE_CACHE = True
    for path in pages:
        client.get(path)  # files the page
        with django_assert_num_queries(0):
            assert client.get(path).status_code == 200, path


def test_a_new_terms_version_binds_at_once_despite_the_fact_kept_in_the_session(
    alice: User,
) -> None:
    from datetime import UTC, date, datetime

    import time_machine

    from tests.terms.helpers import import_revision

    client = sign_in(alice.email)
    session = client.session
    session["accounts_last_seen"] = int(time.time()) - 61  # the bookkeeping saves the session
    session.save()
    assert client.get("/dashboard/").status_code == 200
    assert client.session.get("terms_accepted_ids")  # kept along with the bookkeeping
    with time_machine.travel(datetime(2019, 10, 1, tzinfo=UTC)):  # published with notice
        import_revision(label="later", effective=date(2024, 1, 1))
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/terms/accept/")


def test_the_terms_page_body_is_rendered_once_and_follows_a_change_at_once() -> None:
    client = Client()
    client.get("/terms/terms-of-use/")
    with CaptureQueriesContext(connection) as warm:
        body = client.get("/terms/terms-of-use/").content.decode()
    assert warm.captured_queries == []
    assert "第 12 条（登録取消等）" in body
    document = _document("terms-of-use")
    document.title_ja = "ネットワークカメラ製品 ご利用規約（改称）"
    document.save(update_fields=["title_ja"])
    assert "ご利用規約（改称）" in client.get("/terms/terms-of-use/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/terms/terms-of-use/").content.decode()
    assert "Version history" in english and "Version history" not in body


def _document(slug: str) -> Any:
    from terms.models import TermsDocument

    return TermsDocument.objects.get(slug=slug)
