"""Pages, API answers and the signed-in person kept in the cache under the data generation
(ctsportal.pagecache, accounts.freshness): served without a query while nothing changed,
never after a change, never to anyone else, and with the visitor's own CSRF token, masked
for each page."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.freshness import GENERATION_KEY, generation_read, written_table
from accounts.models import Customer, User
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "notices_notice" ("kind") VALUES (%s)', "notices_notice"),
        ('  update "accounts_customer" SET "name" = %s', "accounts_customer"),
        ('DELETE FROM "contracts_rental" WHERE id = 1', "contracts_rental"),
        ('TRUNCATE TABLE "accounts_user" CASCADE', "accounts_user"),
        ("WITH due AS (SELECT 1) UPDATE contracts_cancellation SET x = 1", ""),
        ('SELECT "accounts_user"."id" FROM "accounts_user" FOR UPDATE', None),
        ("WITH t AS (SELECT 1) SELECT * FROM t", None),
    ],
)
def test_a_statement_is_known_as_a_write_and_by_its_table(sql: str, table: str | None) -> None:
    assert written_table(sql) == table


def test_a_write_moves_the_generation_at_once_and_again_at_commit(
    customer_a: Customer, django_capture_on_commit_callbacks
) -> None:
    start = generation_read()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Customer.objects.filter(pk=customer_a.pk).update(name="株式会社新名称")
        during = cache.get(GENERATION_KEY)
        assert during > start
        generation_read()  # a reader in between: the next write moves it again
        Customer.objects.filter(pk=customer_a.pk).update(name="株式会社新名称2")
        assert cache.get(GENERATION_KEY) > during
        before_commit = cache.get(GENERATION_KEY)
    assert cache.get(GENERATION_KEY) > before_commit


def test_bookkeeping_and_reads_leave_the_generation_alone(alice: User) -> None:
    start = generation_read()
    list(User.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE django_session SET expire_date = expire_date")
    assert cache.get(GENERATION_KEY) == start


def _warm(client: Client, path: str) -> Client:
    """The first request after signing in notes the company's use (Art. 12(1)(5)): a write,
    which the second request renders after."""
    for _ in range(2):
        assert client.get(path).status_code == 200
    return client


def test_the_dashboard_is_served_from_the_cache_until_the_company_changes(
    alice: User, staff: User
) -> None:
    client = _warm(sign_in(alice.email), "/dashboard/")
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/dashboard/")
    assert again.status_code == 200
    assert "株式会社エー建設" in again.content.decode()
    assert ctx.captured_queries == []
    services.customer_update(
        customer=alice.membership.customer, actor=staff, changes={"name": "エー建設株式会社"}
    )
    page = client.get("/dashboard/").content.decode()
    assert "エー建設株式会社" in page and "株式会社エー建設" not in page


def test_a_cached_page_is_never_served_to_another_company(alice: User, charlie: User) -> None:
    alice_client, charlie_client = sign_in(alice.email), sign_in(charlie.email)
    for _ in range(2):
        assert "株式会社エー建設" in alice_client.get("/dashboard/").content.decode()
        page = charlie_client.get("/dashboard/").content.decode()
        assert "ビー土木株式会社" in page and "株式会社エー建設" not in page


def _token(page: bytes) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1).decode()


def test_a_cached_page_carries_the_visitors_own_working_csrf_token(alice: User) -> None:
    client = _warm(sign_in(alice.email), "/dashboard/")
    client.handler.enforce_csrf_checks = True
    with CaptureQueriesContext(connection) as ctx:
        served = client.get("/dashboard/").content
    assert ctx.captured_queries == []
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": _token(served)})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_cached_page_follows_the_visitors_csrf_cookie(alice: User) -> None:
    # The same session with another CSRF cookie (the browser dropped it, or it was rotated)
    # is not served the page whose token was masked for the old secret.
    client = _warm(sign_in(alice.email), "/dashboard/")
    client.handler.enforce_csrf_checks = True
    old = _token(client.get("/dashboard/").content)
    client.cookies["csrftoken"] = "b" * 32
    page = client.get("/dashboard/").content
    assert _token(page) != old
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": _token(page)})
    assert response.status_code == 302


def test_each_cached_page_has_a_token_masked_for_it_alone(alice: User) -> None:
    # BREACH needs one token across many answers: each page (each URL) is masked when it is
    # rendered, so two pages never carry the same token.
    client = _warm(sign_in(alice.email), "/dashboard/")
    tokens = set()
    for path in ("/dashboard/", "/notices/", "/notices/?page=1"):
        rendered = _token(client.get(path).content)
        with CaptureQueriesContext(connection) as ctx:
            served = _token(client.get(path).content)
        # Served from the cache with the token it was rendered with.
        assert ctx.captured_queries == [] and served == rendered, path
        tokens.add(served)
    assert len(tokens) == 3


def test_a_page_with_a_message_waiting_is_rendered_not_served(alice: User) -> None:
    client = _warm(sign_in(alice.email), "/dashboard/")
    # A message left by the previous request (e.g. "saved") shows on the next page.
    storage = CookieStorage(client.get("/dashboard/").wsgi_request)
    client.cookies["messages"] = storage._encode([Message(messages.SUCCESS, "保存しました。")])
    assert "保存しました。" in client.get("/dashboard/").content.decode()
    assert "保存しました。" not in client.get("/dashboard/").content.decode()


def test_a_page_is_cached_per_language(alice: User) -> None:
    client = sign_in(alice.email)
    assert "ダッシュボード" in client.get("/dashboard/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Dashboard" in client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_api_answer_is_served_from_the_cache_until_the_person_changes(alice: User) -> None:
    client = _warm(sign_in(alice.email), "/api/v1/me")
    assert client.get("/api/v1/me").json()["full_name"] == "Alice"
    with CaptureQueriesContext(connection) as ctx:
        served = client.get("/api/v1/me")
    assert ctx.captured_queries == []
    assert served["Content-Type"] == "application/json"
    assert served.json()["email"] == alice.email
    services.user_names_update(
        user=alice,
        family_name="山田",
        given_name="花子",
        family_name_kana="ヤマダ",
        given_name_kana="ハナコ",
    )
    assert client.get("/api/v1/me").json()["full_name"] == "山田 花子"


def test_a_password_changed_elsewhere_ends_the_session_despite_the_cache(alice: User) -> None:
    client = sign_in(alice.email)
    assert client.get("/dashboard/").status_code == 200
    user = User.objects.get(pk=alice.pk)
    user.set_password("another-long-passphrase-2026")
    user.save()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deactivated_person_is_signed_out_despite_the_cache(alice: User) -> None:
    client = sign_in(alice.email)
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_the_cached_person_holds_no_password_hash(alice: User) -> None:
    client = _warm(sign_in(alice.email), "/dashboard/")
    generation = cache.get(GENERATION_KEY)
    kept_in, person, user, session_hash = cache.get(client.session.companion_key)
    assert (kept_in, person) == (generation, alice.pk)
    assert "password" not in user.__dict__ and session_hash
    # Read from the database when something needs it (a password check).
    assert user.check_password("x") is False
    assert user.password.startswith("argon2")


def test_the_public_terms_page_for_an_anonymous_visitor() -> None:
    # Without a CSRF cookie the render gives the visitor a new secret: the page is rendered
    # (its body from the cache), with a working token; once the visitor has the cookie, the
    # page is kept for them.
    visitor = Client(enforce_csrf_checks=True)
    first = visitor.get("/terms/terms-of-use/")
    assert first.status_code == 200 and "csrftoken" in first.cookies
    visitor.get("/terms/terms-of-use/")
    with CaptureQueriesContext(connection) as ctx:
        page = visitor.get("/terms/terms-of-use/")
    assert page.status_code == 200 and ctx.captured_queries == []
    response = visitor.post(
        "/i18n/setlang/",
        {"csrfmiddlewaretoken": _token(page.content), "language": "en", "next": "/"},
    )
    assert response.status_code == 302


def test_a_page_rendered_for_a_visitor_without_a_cookie_is_never_served_to_another() -> None:
    # Its token was masked for the secret that render created: another visitor without a
    # cookie gets a page of their own, with a cookie and a token that work together.
    first = Client(enforce_csrf_checks=True)
    assert "csrftoken" in first.get("/terms/terms-of-use/").cookies
    second = Client(enforce_csrf_checks=True)
    page = second.get("/terms/terms-of-use/")
    assert "csrftoken" in page.cookies
    assert page.cookies["csrftoken"].value != first.cookies["csrftoken"].value
    response = second.post(
        "/i18n/setlang/",
        {"csrfmiddlewaretoken": _token(page.content), "language": "en", "next": "/"},
    )
    assert response.status_code == 302


def test_a_request_that_changed_data_does_not_use_the_generation_read_before(
    customer_a: Customer,
) -> None:
    # The value read with the session at the start of a request is stale once the request
    # itself wrote (its bookkeeping, say): nothing filed before the write may be served.
    at_start = generation_read()
    Customer.objects.filter(pk=customer_a.pk).update(name="株式会社新名称")
    assert generation_read(known=at_start) == cache.get(GENERATION_KEY) != at_start
    assert generation_read(known=at_start) == at_start  # read since: the value given holds


def test_the_companys_last_use_is_noted_without_dropping_every_cached_entry(
    alice: User,
) -> None:
    from accounts.services import customer_touch_activity

    start = generation_read()
    customer_touch_activity(user=alice)
    assert Customer.objects.get(memberships__user=alice).last_activity_at is not None
    assert cache.get(GENERATION_KEY) == start
    # Any other write still moves it.
    Customer.objects.filter(memberships__user=alice).update(name="株式会社新名称")
    assert cache.get(GENERATION_KEY) != start


def test_a_page_whose_view_changed_the_session_is_not_kept() -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    from accounts.sessions import SessionStore
    from ctsportal.pagecache import _cache_get, _page_rendered

    def view_that_remembers(request):
        request.session["seen"] = True
        return HttpResponse("page")

    for view, kept in ((view_that_remembers, False), (lambda request: HttpResponse("page"), True)):
        request = RequestFactory().get("/dashboard/")
        request.user = AnonymousUser()
        request.session = SessionStore()
        # The request's own bookkeeping changed the session before the view ran.
        request.session["accounts_last_seen"] = 1
        key = f"answer:test:{kept}"
        assert _page_rendered(request, key, lambda view=view, request=request: view(request))
        assert (_cache_get(key) is not None) is kept
