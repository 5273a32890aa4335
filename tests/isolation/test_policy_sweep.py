"""The request policy over every route (issue 15): anonymous visitors are sent to sign in
(pages) or answered 401 (API); an applicant whose registration is not approved reaches only
the onboarding views; a suspended company's writes are refused everywhere but where a view
declares otherwise (ctsportal.access). The sweep reads each view's declaration, so a new
route is swept the day it is added."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import Customer
from tests.isolation.objects import Kind, param_of, values_for
from tests.isolation.routes import Route, api_operations, methods_of, routes
from tests.isolation.support import call, changed, signed_in, snapshot
from tests.isolation.world import World

pytestmark = pytest.mark.django_db

CUSTOMER_ROUTES = [r for r in routes() if not r.is_admin]
# Under the policy at all: not public, not the staff admin.
GUARDED = [r for r in CUSTOMER_ROUTES if not r.access.public]


def api_code(response) -> str | None:
    if response.get("Content-Type") != "application/json":
        return None
    body = response.json()
    return body.get("code") if isinstance(body, dict) else None


def test_every_api_operation_of_the_schema_is_a_route_and_every_api_route_is_documented() -> None:
    api_routes = {
        r.template for r in CUSTOMER_ROUTES if r.is_api and r.pattern.startswith("/api/v1/")
    }
    assert set(api_operations()) == api_routes
    assert all(methods_of(r) for r in CUSTOMER_ROUTES if r.is_api and r.template in api_routes)


# --- Anonymous visitors --------------------------------------------------------------------------


@pytest.mark.parametrize("route", CUSTOMER_ROUTES, ids=str)
def test_an_anonymous_visitor_signs_in_first_except_on_public_views(
    route: Route, world: World
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    path = route.path(values_for(route, world.b, world))
    before = snapshot()
    if route.access.public:
        response = client.get(path)
        assert response.status_code not in (401, 403) and response.status_code < 500, path
        # (A step of a sign-in in progress may go back to the sign-in page, without "next".)
        assert not response.get("Location", "").startswith("/accounts/login/?next="), path
        return
    for method in methods_of(route):
        response = call(client, route, method, path)
        if route.is_api:
            assert response.status_code == 401, (method, path)
            assert response["Content-Type"] == "application/json"
            assert response.json()["code"] == "not_authenticated"
            forged = Client(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef")
            assert call(forged, route, method, path).status_code == 401, (method, path)
        else:
            assert response.status_code == 302, (method, path)
            assert response["Location"] == f"/accounts/login/?next={quote(path)}", (method, path)
    assert changed(before, snapshot(client)) == []


def test_an_anonymous_visitor_is_sent_to_the_admins_login_on_every_admin_route(
    world: World,
) -> None:
    client = Client()
    wrong = []
    for route in routes():
        if route.is_admin and route.name not in ("admin:login", "admin:logout"):
            path = route.path(values_for(route, world.b, world))
            response = client.get(path)
            if not response.get("Location", "").startswith("/admin/login/?next="):
                wrong.append((path, response.status_code))
    assert wrong == []


# --- An applicant (Art. 4): only the onboarding views --------------------------------------------


@pytest.mark.parametrize("route", GUARDED, ids=str)
def test_an_applicant_reaches_only_the_onboarding_views(route: Route, world: World) -> None:
    client = signed_in(world.applicant)
    path = route.path(values_for(route, world.b, world))
    before = snapshot(client)
    if route.access.onboarding:
        # Reached, not refused; another customer's object is still a 404.
        param = param_of(route) if route.params else None
        response = call(client, route, methods_of(route)[0], path)
        assert response.status_code < 500, path
        assert response.get("Location") != "/apply/", path
        assert api_code(response) != "onboarding_required", path
        if param is not None and param.kind == Kind.OWNED:
            assert response.status_code in (404, 405), path
        return
    for method in methods_of(route):
        response = call(client, route, method, path)
        if route.is_api:
            assert response.status_code == 403, (method, path)
            assert api_code(response) == "onboarding_required", (method, path)
        else:
            assert response.status_code == 302, (method, path)
            assert response["Location"] == "/apply/", (method, path)
    assert changed(before, snapshot(client)) == []


# --- A suspended company (Art. 12(1)): reads everything, changes nothing ------------------------


def _suspended_refusal(response) -> bool:
    if response.get("Content-Type") == "application/json":
        return response.status_code == 403 and api_code(response) == "customer_suspended"
    told = [str(m) for m in get_messages(response.wsgi_request)]
    return response.status_code == 302 and any("suspended" in m for m in told)


WRITABLE = [r for r in GUARDED if methods_of(r, writes_only=True)]


@pytest.mark.parametrize("route", WRITABLE, ids=str)
def test_a_suspended_company_writes_only_where_a_view_allows_it(route: Route, world: World) -> None:
    Customer.objects.filter(pk=world.a.customer.pk).update(status=Customer.Status.SUSPENDED)
    client = signed_in(world.a.owner)
    path = route.path(values_for(route, world.a, world))
    before = snapshot(client)
    for method in methods_of(route, writes_only=True):
        response = call(client, route, method, path)
        assert response.status_code < 500, (method, path)
        assert _suspended_refusal(response) is not route.access.while_suspended, (method, path)
    if not route.access.while_suspended:
        assert changed(before, snapshot(client)) == []
