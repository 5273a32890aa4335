"""Tenant isolation over every route (issue 15): with the real ids of customer B's objects,
a person of customer A gets 404 for reads and 404 or 405 for writes on every URL pattern of
the urlconf and every operation of the OpenAPI schema, and nothing changes in the database."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls.resolvers import ResolverMatch
from knox.models import AuthToken

from accounts.current import person_confirmed_note
from tests.isolation.objects import Kind, param_of, values_for
from tests.isolation.routes import WRITE_METHODS, Route, methods_of, routes
from tests.isolation.support import call, changed, signed_in, snapshot, tenant_rows
from tests.isolation.world import World, markers

pytestmark = pytest.mark.django_db

WITH_PARAMS = [r for r in routes() if r.params and not r.is_admin]
OWNED = [r for r in WITH_PARAMS if (p := param_of(r)) is None or p.kind == Kind.OWNED]
SHARED = [r for r in WITH_PARAMS if (p := param_of(r)) is not None and p.kind == Kind.SHARED]
LINKS = [r for r in WITH_PARAMS if (p := param_of(r)) is not None and p.kind == Kind.LINK]


# The admin's own login and logout, outside ``AdminSite.admin_view``.
ADMIN_DOOR = {"admin:login", "admin:logout"}


def test_every_route_with_a_parameter_has_an_object_factory(world: World) -> None:
    for route in WITH_PARAMS:
        values_for(route, world.b, world)


def test_a_new_route_with_a_parameter_and_no_factory_fails_saying_how_to_register_one(
    world: World,
) -> None:
    from accounts.views import dashboard

    match = ResolverMatch(dashboard, (), {}, "gadget_detail", namespaces=["rentals"])
    route = Route("/rentals/gadgets/<int:pk>/", match)
    with pytest.raises(LookupError, match="Register an object factory") as failure:
        values_for(route, world.b, world)
    assert '"rentals:gadget_detail": Param(Kind.OWNED' in str(failure.value)


def _client_of(persona: str, world: World) -> Client:
    if persona == "member":
        return signed_in(world.a.member)
    if persona == "owner":
        return signed_in(world.a.owner)
    # An API client with the owner's token; the owner confirmed the password just now, so
    # that sensitive operations reach the object too.
    _token, secret = AuthToken.objects.create(user=world.a.owner)
    person_confirmed_note(world.a.owner.pk, time.time())
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


PERSONAS = [
    pytest.param(route, persona, id=f"{route}-{persona}")
    for route in OWNED
    for persona in ("owner", "member", "owner-token")
    if persona != "owner-token" or route.is_api
]


@pytest.mark.parametrize(("route", "persona"), PERSONAS)
def test_another_customers_object_is_a_404_on_every_method(
    route: Route, persona: str, world: World
) -> None:
    client = _client_of(persona, world)
    path = route.path(values_for(route, world.b, world))
    before = snapshot(client, customer_id=world.a.customer.pk)
    responses = {m: call(client, route, m, path) for m in ("get", *WRITE_METHODS)}
    outcomes = {m: r.status_code for m, r in responses.items()}
    # 403 would tell that the object exists: never for another customer's object. 405 only
    # where the method does not exist at all; every method that exists is a 404.
    assert set(outcomes.values()) <= {404, 405}, (path, outcomes)
    assert 404 in outcomes.values(), (path, outcomes)
    if route.is_api:
        assert {r["Content-Type"] for r in responses.values()} == {"application/json"}, path
    assert changed(before, snapshot(client, customer_id=world.a.customer.pk)) == []


@pytest.mark.parametrize("route", OWNED, ids=str)
def test_each_object_of_the_sweep_is_real_and_its_own_customer_reaches_it(
    route: Route, world: World
) -> None:
    """The control of the test above: a 404 for B's object means something only if B's own
    owner reaches the very same path. A forged value (out of the database's integer range,
    or unknown) is a 404 for B's owner too, never a 500."""
    owner = signed_in(world.b.owner)
    values = values_for(route, world.b, world)
    forged = {k: 2**70 if isinstance(v, int) else f"{v}x" for k, v in values.items()}
    assert owner.get(route.path(forged)).status_code in (404, 405), forged
    path = route.path(values)
    reached = owner.get(path)
    if reached.status_code == 405:
        reached = call(owner, route, next(m for m in methods_of(route) if m != "get"), path)
    assert reached.status_code not in (404, 405), (path, reached.status_code)


@pytest.mark.parametrize("route", SHARED, ids=str)
def test_the_catalogue_and_the_terms_are_the_same_for_every_customer(
    route: Route, world: World
) -> None:
    client = signed_in(world.a.owner)
    path = route.path(values_for(route, world.b, world))
    before = snapshot(client)
    assert client.get(path).status_code == 200, path
    for method in WRITE_METHODS:
        assert call(client, route, method, path).status_code < 500, (method, path)
    assert changed(before, snapshot(client)) == []


@pytest.mark.parametrize("route", LINKS, ids=str)
def test_a_link_of_another_customer_changes_nothing_of_theirs_and_a_forged_one_fails_cleanly(
    route: Route, world: World
) -> None:
    """Links from e-mails are capabilities (declared public): opening B's live link as A's
    owner shows at most what the link is for, and changes none of B's rows. (allauth signs
    out a person who opens someone else's e-mail confirmation link: only that person's own
    session ends, which is why B's rows are compared here, not the whole database.)"""
    assert route.access.public, f"{route}: a link's view is declared public"
    client = signed_in(world.a.owner)
    values = values_for(route, world.b, world)
    before = tenant_rows(world.b.customer.pk)
    # The link is live (so the forged one below means something): neither gone nor unknown.
    live = client.get(route.path(values)).status_code
    assert live < 500 and live not in (404, 410), (route, live)
    assert client.session.get("_auth_user_id") != str(world.b.owner.pk)
    forged = {k: f"{v}x" for k, v in values.items()}
    assert client.get(route.path(forged)).status_code in (200, 302, 400, 404, 410)
    assert Client().get(route.path(forged)).status_code in (200, 302, 400, 404, 410)
    assert tenant_rows(world.b.customer.pk) == before


def test_the_staff_admin_is_closed_to_customers_on_every_route(world: World) -> None:
    client = signed_in(world.a.owner)
    before = snapshot(client)
    wrong = []
    for route in routes():
        if not route.is_admin or route.name in ADMIN_DOOR:
            continue
        path = route.path(values_for(route, world.b, world))
        response = client.get(path)
        if response.status_code != 302 or not response["Location"].startswith("/admin/login/"):
            wrong.append((path, response.status_code))
    assert wrong == []
    # The door itself: a customer's person is refused at the admin's login; its logout
    # only ends the person's own session.
    assert client.get("/admin/login/").status_code == 403
    assert client.post("/admin/logout/").status_code == 302
    assert changed(before, snapshot(client)) == []


READABLE = [
    r
    for r in routes()
    if not r.params and not r.is_admin and (not r.is_api or "get" in methods_of(r))
]


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("route", READABLE, ids=str)
def test_no_page_or_list_shows_anything_of_another_customer(route: Route, world: World) -> None:
    response = signed_in(world.a.owner).get(route.path({}))
    assert response.status_code < 500, route
    body = body_of(response)
    assert [m for m in markers(world.b) if m in body] == [], route


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/rentals/", lambda t: t.rental.site_name),
        ("/account/members/", lambda t: t.member.email),
        ("/api/v1/members", lambda t: t.member.email),
        ("/api/v1/me", lambda t: t.customer.name),
    ],
)
def test_the_markers_show_on_their_own_customers_pages(path: str, marker, world: World) -> None:
    """The control of the test above: its markers are what B's own people do see."""
    assert marker(world.b) in body_of(signed_in(world.b.owner).get(path))


def test_the_snapshot_sees_a_write_to_any_table_and_to_another_session(world: World) -> None:
    from allauth.usersessions.models import UserSession

    from contracts.models import Rental

    client = signed_in(world.a.owner)
    before = snapshot(client)
    Rental.objects.filter(pk=world.b.rental.pk).update(site_name="changed")
    UserSession.objects.filter(pk=world.b.user_session.pk).update(ip="::1")
    assert changed(before, snapshot(client)) == ["contracts_rental", "usersessions_usersession"]
