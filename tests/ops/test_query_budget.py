"""Query budget: every customer page and API operation reachable without an id, and every
admin changelist, costs the same number of queries at a few rows as at many. The routes and
changelists are read from the urlconf and ``admin.site``, so a new one is covered without
anyone remembering to add it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Customer, Invitation, Membership, User
from contracts.models import Rental
from notices.models import Notice
from tests.conftest import accept_current_terms
from tests.contracts.rental_helpers import bulk_rentals
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    UserFactory,
    make_owner,
    make_video_record,
)

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 15

# Prefixes of routes that are not the portal's own customer pages: the staff admin (tested
# below), allauth's sign-in pages, the API schema and its viewer, language switching.
NOT_CUSTOMER_PAGES = ("admin/", "accounts/", "api/schema/", "api/docs/", "i18n/")


def _routes(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route, entry


def customer_get_routes() -> list[str]:
    """Every route of the urlconf that takes no argument (list pages, overviews, API lists),
    as a path; the admin, allauth, the schema and regular-expression routes aside."""
    paths = []
    for route, entry in _routes(get_resolver().url_patterns):
        if "<" in route or "^" in route or route.startswith(NOT_CUSTOMER_PAGES):
            continue
        if entry.callback is None:
            continue
        paths.append("/" + route)
    return sorted(set(paths))


def _queries(client: Client, path: str) -> tuple[int, int]:
    """Status and query count of a GET, measured on the second request so that the caches a
    person's first request fills (the terms gate, the second-factor fact) are warm."""
    # The clock stands still: a session's bookkeeping, written once a minute, would otherwise
    # fall on either request on a slow machine.
    with time_machine.travel(timezone.now(), tick=False):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
    return response.status_code, len(captured)


def _customer_rows(customer: Customer, owner: User, staff: User, count: int) -> None:
    """``count`` rows of everything a customer lists: rentals (with a unit, a charge, a
    payment, a deletion record each), video records, notices, members, invitations, API
    tokens, and ``count`` more products in the catalogue."""
    ProductFactory.create_batch(count)
    rentals: list[Rental] = bulk_rentals(customer, staff, count)
    for rental in rentals:
        make_video_record(rental)
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            customer=customer,
            kind=Notice.Kind.SUSPENSION,
            clause="art12.1",
            dedupe_key=f"budget-{customer.pk}-{i}",
            recipients=[owner.email],
            mail_subject=f"お知らせ {i}",
            body_text="本文",
        )
        for i in range(count)
    )
    for _ in range(count):
        member = UserFactory()
        MembershipFactory(user=member, customer=customer)
        accept_current_terms(member)
    Invitation.objects.bulk_create(
        Invitation(
            customer=customer,
            email=f"invitee{i}-{customer.pk}@example.jp",
            token_hash=f"{customer.pk:032d}{i:032d}",
            invited_by=owner,
            expires_at=now + timedelta(days=7),
        )
        for i in range(count)
    )
    for _ in range(count):
        AuthToken.objects.create(user=owner)


def test_every_customer_page_and_api_list_costs_the_same_at_few_and_many_rows(
    alice_client: Client,
    alice: User,
    customer_a: Customer,
    charlie_client: Client,
    charlie: User,
    customer_b: Customer,
    staff: User,
    settings: Any,
) -> None:
    # What each view costs when it renders: a page or answer served from the cache would cost
    # none at any row count (tests/ctsportal/test_pagecache.py).
    settings.PAGE_CACHE = False
    paths = customer_get_routes()
    _customer_rows(customer_a, alice, staff, FEW)
    few = {path: _queries(alice_client, path) for path in paths}
    _customer_rows(customer_b, charlie, staff, MANY)
    many = {path: _queries(charlie_client, path) for path in paths}

    grown = {path: (few[path], many[path]) for path in paths if few[path] != many[path]}
    assert not grown, f"(status, queries) at {FEW} rows vs at {MANY} rows: {grown}"
    # The lists themselves answered (a route refused to both would compare nothing).
    for name in ("api-rentals", "api-notices", "api-members", "api-units", "api-charges"):
        assert few[reverse(name)][0] == 200, name
    for name in ("rentals:overview", "rentals:units", "notices:list", "account_members"):
        assert few[reverse(name)][0] == 200, name


def test_the_route_list_covers_the_lists() -> None:
    paths = customer_get_routes()
    assert {"/api/v1/rentals", "/api/v1/notices", "/rentals/", "/notices/"} <= set(paths)
    assert not any(path.startswith("/admin/") for path in paths)


# --- Admin changelists --------------------------------------------------------------------------

# Changelists the data below leaves with fewer than FEW + 1 rows, with the reason: their
# rows come from workflows with many prerequisites, or are reference data of a handful of
# rows. They are still measured (at whatever rows they have), and their foreign keys are
# checked against list_select_related by the static test below.
SPARSE_CHANGELISTS = {
    # Reference data shipped by migrations: the versions of each document and their annexes.
    "terms.TermsVersion",
    "terms.Annex",
    # Written by staff workflows (Art. 6(3), 7, 10(3), 12, 17): a few per year.
    "accounts.SharingFlag",
    "accounts.Incident",
    "contracts.RevocationQueueEntry",
    "contracts.Revocation",
    "contracts.ReturnChecklist",
    "contracts.ServiceInterruption",
    "contracts.ServiceEnd",
    "contracts.VideoDisclosure",
    "contracts.ContractTransfer",
    "contracts.PersonalDataErasure",
    # django-axes' failure log and lockouts: written by failed sign-ins only.
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
}


def _registered() -> list[tuple[str, Any]]:
    return sorted(
        (model._meta.label, model_admin) for model, model_admin in admin.site._registry.items()
    )


def _staff_rows(users: list[User]) -> None:
    """Rows of the library models the staff screens list: groups, the beat schedules,
    signed-in sessions, sign-in logs, authenticators, audit entries."""
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.usersessions.models import UserSession
    from axes.models import AccessLog
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from accounts.models import AuditEntry

    now = timezone.now()
    for i, user in enumerate(users):
        Group.objects.create(name=f"budget-{i}")
        interval = IntervalSchedule.objects.create(every=i + 1, period=IntervalSchedule.MINUTES)
        CrontabSchedule.objects.create(minute=str(i), hour="3")
        ClockedSchedule.objects.create(clocked_time=now + timedelta(days=i))
        SolarSchedule.objects.create(event="sunrise", latitude=35 + i, longitude=139)
        PeriodicTask.objects.create(name=f"budget-{i}", task="ctsportal.ping", interval=interval)
        UserSession.objects.create(
            user=user, ip="192.0.2.1", session_key=f"budget{i:026d}", user_agent="test"
        )
        AccessLog.objects.create(
            user_agent="test", ip_address="192.0.2.1", username=user.email, path_info="/"
        )
        TOTP.activate(user, "JBSWY3DPEHPK3PXP")
        membership = Membership.objects.select_related("customer").get(user=user)
        AuditEntry.objects.create(
            action="budget.entry",
            actor=user,
            actor_label=user.email,
            customer=membership.customer,
            target_repr=str(user),
        )


def _changelist(client: Client, model_admin: Any) -> tuple[tuple[int, int, int], ...]:
    """(status, queries, rows shown) of the changelist at FEW and at MANY rows a page, after
    a first request that warms the caches."""
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    default = model_admin.list_per_page
    # The clock stands still, as in _queries above.
    try:
        with time_machine.travel(timezone.now(), tick=False):
            client.get(url)
            return tuple(_page(client, model_admin, url, per_page) for per_page in (FEW, MANY))
    finally:
        model_admin.list_per_page = default


def _page(client: Client, model_admin: Any, url: str, per_page: int) -> tuple[int, int, int]:
    model_admin.list_per_page = per_page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    rows = len(response.context["cl"].result_list) if response.status_code == 200 else 0
    return response.status_code, len(captured), rows


def test_every_admin_changelist_costs_the_same_at_few_and_many_rows(
    staff_client: Client, staff: User
) -> None:
    owners = []
    for i in range(3):
        owner = make_owner(email=f"budget-owner{i}@example.jp")
        accept_current_terms(owner)
        _customer_rows(Membership.objects.get(user=owner).customer, owner, staff, 6)
        owners.append(owner)
    _staff_rows(owners)

    measured = {
        label: _changelist(staff_client, model_admin) for label, model_admin in _registered()
    }
    grown = {
        label: (few[:2], many[:2]) for label, (few, many) in measured.items() if few[:2] != many[:2]
    }
    assert not grown, f"(status, queries) at {FEW} rows vs at {MANY} rows a page: {grown}"
    sparse = {label for label, (_few, many) in measured.items() if many[2] <= FEW}
    assert sparse == SPARSE_CHANGELISTS, (
        f"changelists with rows to compare: add rows for {sorted(sparse - SPARSE_CHANGELISTS)}"
        f" or take {sorted(SPARSE_CHANGELISTS - sparse)} off SPARSE_CHANGELISTS"
    )


def test_every_foreign_key_an_admin_lists_is_selected_with_its_rows(staff: User) -> None:
    """A foreign key shown in a changelist column is fetched with the rows (list_select_related
    or the admin's own queryset): Django's admin follows only the non-null ones by itself when
    list_select_related is left False."""
    request = RequestFactory().get("/admin/")
    request.user = staff
    missing = []
    for label, model_admin in _registered():
        selected = model_admin.list_select_related
        in_queryset = model_admin.get_queryset(request).query.select_related
        if selected is True or in_queryset is True:
            continue
        if in_queryset:
            selected = [*(selected or []), *in_queryset]
        for name in model_admin.list_display:
            if not isinstance(name, str):
                continue
            try:
                field = model_admin.model._meta.get_field(name)
            except FieldDoesNotExist:  # a method or a property, not a field
                continue
            if not field.many_to_one:
                continue
            if selected is False and not field.null:
                continue
            if selected and any(s == name or s.startswith(f"{name}__") for s in selected):
                continue
            missing.append(f"{label}.{name}")
    assert not missing, missing
