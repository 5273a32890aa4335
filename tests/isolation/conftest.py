"""The isolation sweep's world is built once for the package, inside a transaction that is
rolled back at its end; each test runs in a savepoint of it (pytest-django's own), so
nothing a test does reaches the next one. The people: alice owns A and bob is a member of A;
charlie owns B and dave is a member of B; an applicant has applied and waits (world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.isolation.world import World, build_world


@pytest.fixture(scope="package")
def world(django_db_setup: None, django_db_blocker) -> Iterator[World]:
    # Built before the first test's own cache clear: what an earlier test left in the cache
    # (the terms in force of a rolled-back revision, say) must not shape the world, as it
    # did the applicant's acceptances when one ran just before on the same worker.
    cache.clear()
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # People made in these tests never sign in with a password (clients join a session).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
