"""The isolation sweep's world is built once for the package, inside a transaction that is
rolled back at its end; each test runs in a savepoint of it (pytest-django's own), so
nothing a test does reaches the next one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import User
from tests.isolation.support import signed_in
from tests.isolation.world import World, build_world


@pytest.fixture(scope="package")
def world(django_db_setup: None, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def alice(world: World, db: None) -> User:
    return world.a.owner


@pytest.fixture
def alice_client(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(world: World, db: None) -> Client:
    return signed_in(world.a.member)


@pytest.fixture
def charlie_client(world: World, db: None) -> Client:
    return signed_in(world.b.owner)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # People made in these tests never sign in with a password (clients join a session).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
