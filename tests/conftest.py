"""Personas shared by the whole suite: alice owns customer A, bob is a member of
A, charlie owns customer B, staff is provider staff."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db.models import Model
from django.test import Client

from accounts.models import Customer, User
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
    mark_reauthenticated,
)
from tests.nplusone import suite_scope


def accept_current_terms(user: User) -> None:
    """Records that ``user`` accepted every terms version in force (Art. 15), as the gate of
    the request policy requires before any other page. Rows are written directly so that no
    audit entry is added to the tests' own."""
    from terms.models import Acceptance
    from terms.selectors import pending_version_ids, version_current_list

    for version in version_current_list():
        Acceptance.objects.get_or_create(
            user=user,
            version=version,
            defaults={"sha256": version.sha256, "method": Acceptance.Method.SIGNUP},
        )
    # Warms the gate's cache as a signed-in user's first request would, so that query
    # counts measured in tests are those of a user's usual requests.
    pending_version_ids(user=user)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers), the tests that start real Celery
    workers or drive Chromium run one after another on one worker: each takes a core or more
    of its own, and side by side they would starve each other."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group("processes"))


@pytest.fixture(autouse=True)
def _zeal() -> Iterator[None]:
    """N+1 detection around the whole test, its fixtures and the services it calls included
    (tests/nplusone.py says what each scope checks)."""
    with suite_scope():
        yield


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits and throttles live in Redis; each test starts with a clean slate.
    cache.clear()


# Data that migrations ship (the seeded terms, the reviewers' and measures groups). A
# transactional test ends with a flush that deletes it, so a transactional test puts it back
# first. (Django's serialized_rollback would do this too, but collides with the content types
# that the flush re-creates when any plain transactional test ran before.)
_DATA_MIGRATIONS = [
    ("terms.migrations.0002_seed_terms_of_use", "forward"),
    ("contracts.migrations.0002_reviewers_group", "create_group"),
    ("contracts.migrations.0013_measures_group", "create_group"),
]


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in (
        request.fixturenames
    )
    if not transactional and not (marker and marker.kwargs.get("transaction")):
        return
    import importlib

    from django.apps import apps
    from django.db import connection

    request.getfixturevalue("_django_db_helper")
    for module, function in _DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, connection.schema_editor())
    cache.clear()


@pytest.fixture
def customer_a(db: None) -> Customer:
    return CustomerFactory(name="株式会社エー建設")


@pytest.fixture
def customer_b(db: None) -> Customer:
    return CustomerFactory(name="ビー土木株式会社")


@pytest.fixture
def alice(customer_a: Customer) -> User:
    user = UserFactory(email="alice@a.example.jp", full_name="Alice")
    MembershipFactory(user=user, customer=customer_a, role="owner")
    accept_current_terms(user)
    return user


@pytest.fixture
def bob(customer_a: Customer, alice: User) -> User:
    user = UserFactory(email="bob@a.example.jp", full_name="Bob")
    MembershipFactory(user=user, customer=customer_a, role="member")
    accept_current_terms(user)
    return user


@pytest.fixture
def charlie(customer_b: Customer) -> User:
    user = UserFactory(email="charlie@b.example.jp", full_name="Charlie")
    MembershipFactory(user=user, customer=customer_b, role="owner")
    accept_current_terms(user)
    return user


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory(email="staff@cts.example.jp", is_superuser=True)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    # As if the password had just been entered again (allauth's re-authentication, asked
    # before sensitive actions); tests of re-authentication build their own client.
    mark_reauthenticated(client, user)
    return client


@pytest.fixture
def alice_client(alice: User) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return _client_for(bob)


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    return _client_for(charlie)


@pytest.fixture
def staff_client(staff: User) -> Client:
    return _client_for(staff)


def viewing_staff_client(*models: type[Model]) -> Client:
    """Provider staff who may only look at ``models`` in the admin (their view permission,
    nothing else): the admin's actions that change something must not be theirs."""
    user = StaffFactory(email="viewer@cts.example.jp")
    user.user_permissions.add(
        *(
            Permission.objects.get_by_natural_key(
                f"view_{model._meta.model_name}", model._meta.app_label, model._meta.model_name
            )
            for model in models
        )
    )
    return _client_for(User.objects.get(pk=user.pk))
