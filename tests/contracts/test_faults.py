"""The scheduled jobs under faults, on PostgreSQL.

- A connection dropped under a running job: the job's backend is terminated with
  pg_terminate_backend from another connection just before the n-th query of its
  transaction (every n for the job applying cancellations, the first, a middle one and the
  COMMIT for the others). The job fails having written nothing (one transaction), and the
  rerun that beat or the task's retry makes does all the work, once.
- Beat started twice for the same tick: every entry of CELERY_BEAT_SCHEDULE is run twice at
  the same moment in two threads (two connections); each effect happens once, each notice is
  created and mailed once (row locks, skip-locked claims, unique constraints)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module
from typing import Any
from unittest.mock import patch

import psycopg2
import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import Error, connection
from knox.models import AuthToken

from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    Cancellation,
    Charge,
    PersonalDataErasure,
    Rental,
    ServiceEnd,
    ServiceInterruption,
)
from contracts.tasks import JOBS
from ctsportal.celery import app
from notices.models import Notice
from tests.contracts.rental_helpers import bulk_rentals
from tests.contracts.test_lifecycle_jobs import LONG_AGO, T0, due_for, make_customers
from tests.factories import StaffFactory
from tests.race import race

# Real transactions: the jobs' connections are dropped, and two threads hold two connections.
transactional = pytest.mark.django_db(transaction=True)


# --- A connection dropped under a running job ------------------------------------------------


def _terminate_backend_of(wrapper: Any) -> None:
    """Has another connection terminate ``wrapper``'s backend (as a PostgreSQL restart, a
    failover or an idle timeout would) and waits until it is gone."""
    victim = wrapper.connection.get_backend_pid()
    db = settings.DATABASES["default"]
    killer = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    try:
        killer.autocommit = True
        with killer.cursor() as cursor:
            # With a timeout, PostgreSQL answers once the backend has exited.
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [victim])
            assert cursor.fetchone() == (True,)
    finally:
        killer.close()


class QueriesInTransaction:
    """An execute wrapper that counts the queries run inside a transaction (the job's)."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if context["connection"].in_atomic_block:
            self.seen += 1
        return execute(sql, params, many, context)


class DropConnectionAt(QueriesInTransaction):
    """Drops the connection just before the ``n``-th query of the job's transaction."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.dropped_before = ""

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if context["connection"].in_atomic_block and self.seen + 1 == self.n:
            self.dropped_before = sql
            _terminate_backend_of(context["connection"])
        return super().__call__(execute, sql, params, many, context)


@contextmanager
def dropped_before_commit() -> Iterator[list[str]]:
    """Drops the connection when the job's work is done and its COMMIT is about to go."""
    dropped: list[str] = []
    commit = connection._commit

    def drop_then_commit() -> None:
        dropped.append("COMMIT")
        _terminate_backend_of(connection)
        commit()

    with patch.object(connection, "_commit", drop_then_commit):
        yield dropped


def _fingerprint() -> dict[str, Any]:
    """Everything a lifecycle job may change, to compare before and after a failed run."""
    return {
        "customers": list(
            Customer.objects.order_by("pk").values_list(
                "pk", "status", "inactivity_contacted_at", "inactivity_escalated_at"
            )
        ),
        "cancellations": list(Cancellation.objects.order_by("pk").values_list("pk", "state")),
        "service_ends": list(ServiceEnd.objects.order_by("pk").values_list("pk", "state")),
        "interruptions": list(
            ServiceInterruption.objects.order_by("pk").values_list("pk", "notified_at")
        ),
        "rentals": list(Rental.objects.order_by("pk").values_list("pk", "state")),
        "users": list(User.objects.order_by("pk").values_list("pk", "is_active")),
        "notices": Notice.objects.count(),
        "audit": AuditEntry.objects.count(),
        "sessions": Session.objects.count(),
    }


def _assert_each_notice_mailed_once() -> None:
    mailed = Counter(m.extra_headers.get("X-CTS-Notice-ID") for m in mail.outbox)
    assert set(mailed) == {str(pk) for pk in Notice.objects.values_list("pk", flat=True)}
    assert max(mailed.values(), default=1) == 1, mailed.most_common(3)
    keys = list(Notice.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))


def _assert_audited_once() -> None:
    targets = Counter(
        AuditEntry.objects.exclude(target_id="").values_list("action", "target_type", "target_id")
    )
    assert max(targets.values(), default=1) == 1, targets.most_common(3)


# Rentals ended, sessions and logins ended, return checklists, notices and audit: the job
# with the most to lose in one transaction.
EVERY_QUERY = {"cancellations_apply_due"}


@transactional
@pytest.mark.parametrize("job", list(JOBS))
def test_a_connection_dropped_under_a_job_loses_nothing_and_the_rerun_does_the_work_once(
    job: str,
) -> None:
    staff = StaffFactory(mfa=False)
    # How many queries the job's transaction makes, from a clean run of a first batch.
    due_for(job, 2, offset=0, staff=staff)
    ContentType.objects.clear_cache()
    counted = QueriesInTransaction()
    with connection.execute_wrapper(counted):
        expected = JOBS[job](now=T0)
    assert expected.changed >= 1
    # Before each query of the richest job's transaction in turn, and before its COMMIT; for
    # the others, before the first query, one in the middle and the COMMIT.
    points = range(1, counted.seen + 2)
    if job not in EVERY_QUERY:
        points = range(1, counted.seen + 2, max(1, counted.seen // 2))
    for n in sorted({*points, counted.seen + 1}):
        due_for(job, 2, offset=100 * n, staff=staff)
        before, mailed = _fingerprint(), len(mail.outbox)
        ContentType.objects.clear_cache()
        if n <= counted.seen:
            drop = DropConnectionAt(n)
            with pytest.raises(Error), connection.execute_wrapper(drop):
                JOBS[job](now=T0)
            where = drop.dropped_before
        else:
            with pytest.raises(Error), dropped_before_commit() as dropped:
                JOBS[job](now=T0)
            where = "".join(dropped)
        assert where, f"query {n} of {counted.seen} never ran"
        # One transaction: nothing of the failed run is left, nothing was mailed.
        assert _fingerprint() == before, f"{job}: half-written after a drop before {where[:80]}"
        assert len(mail.outbox) == mailed
        # Django closed the broken connection; the rerun (beat's next tick, or the retry of
        # the task) opens a new one and does the work, once.
        rerun = JOBS[job](now=T0)
        assert rerun.changed == expected.changed, where
        if job == "interruptions_notify_due":
            # Each batch's interruption concerns every customer so far.
            assert rerun.notices == Customer.objects.count()
        else:
            assert rerun.notices == expected.notices, where
        assert JOBS[job](now=T0).notices == 0
    _assert_each_notice_mailed_once()
    _assert_audited_once()


@transactional
def test_the_celery_task_retries_a_job_whose_connection_dropped() -> None:
    """The task, not only beat's next tick, recovers: a database error is retried (with a
    backoff in a worker; at once here, where tasks run eagerly)."""
    staff = StaffFactory(mfa=False)
    due_for("cancellations_apply_due", 3, offset=0, staff=staff)
    drop = DropConnectionAt(4)
    with time_machine.travel(T0, tick=False), connection.execute_wrapper(drop):
        # throw=False: Celery's eager mode then runs the retry at once, as a worker would after
        # the backoff (with throw=True it would raise the Retry instead).
        result = app.tasks["contracts.tasks.cancellations_apply_due"].apply(throw=False)
    assert drop.dropped_before
    assert result.get() == {"changed": 3, "notices": 3}
    assert Cancellation.objects.filter(state=Cancellation.State.APPLIED).count() == 3
    _assert_each_notice_mailed_once()
    _assert_audited_once()


# --- Beat started twice for the same tick ----------------------------------------------------


def _due_charges(staff: User) -> Callable[[], None]:
    customer = make_customers(1, offset=0)[0]
    bulk_rentals(customer, staff, 10)

    def check() -> None:
        # February 2027, the month before T0: one charge per rental, and the audit says so.
        assert Charge.objects.filter(period=T0.date().replace(month=2)).count() == 10
        counts = AuditEntry.objects.filter(action="contracts.charges.created").values_list(
            "extra__count", flat=True
        )
        assert sum(counts) == 10

    return check


def _due_scheduled_ends(staff: User) -> Callable[[], None]:
    customer = make_customers(1, offset=0)[0]
    rentals = bulk_rentals(customer, staff, 10)
    Rental.objects.filter(pk__in=[r.pk for r in rentals]).update(
        state=Rental.State.ENDING, ends_on=T0.date() - timedelta(days=1)
    )

    def check() -> None:
        assert Rental.objects.filter(state=Rental.State.ENDED).count() == 10

    return check


def _due_erasures(staff: User) -> Callable[[], None]:
    make_customers(
        5,
        offset=0,
        status=Customer.Status.CANCELLED,
        status_changed_at=T0 - timedelta(days=int(settings.PERSONAL_DATA_RETENTION_DAYS) + 1),
    )

    def check() -> None:
        assert PersonalDataErasure.objects.count() == 5

    return check


def _due_sweep(staff: User) -> Callable[[], None]:
    # Notices whose delivery message was lost: pending, queued long ago.
    due_for("customers_flag_inactive", 10, offset=0, staff=staff)
    with time_machine.travel(T0, tick=False):
        JOBS["customers_flag_inactive"]()
    Notice.objects.update(state=Notice.State.PENDING, sent_at=None, queued_at=LONG_AGO)
    mail.outbox.clear()

    def check() -> None:
        assert Notice.objects.filter(state=Notice.State.SENT).count() == 10

    return check


def _due_token_purge(staff: User) -> Callable[[], None]:
    for _ in range(5):
        AuthToken.objects.create(user=staff, expiry=timedelta(seconds=-1))

    def check() -> None:
        assert not AuthToken.objects.exists()

    return check


def _due_lifecycle(staff: User) -> Callable[[], None]:
    for i, job in enumerate(JOBS):
        due_for(job, 5, offset=100 * i, staff=staff)

    def check() -> None:
        # Each job did its work (test_lifecycle_jobs counts it in detail): a third run
        # finds nothing left to notify.
        for job in JOBS:
            assert JOBS[job](now=T0).notices == 0, job

    return check


# What makes each beat entry due, and the check that its work was done. The lifecycle jobs
# share one case (and one flush of the test database).
LIFECYCLE = "contracts.tasks (lifecycle jobs)"
SETUPS: dict[str, Callable[[User], Callable[[], None]]] = {
    LIFECYCLE: _due_lifecycle,
    "contracts.tasks.charges_create": _due_charges,
    "contracts.tasks.rentals_end_scheduled": _due_scheduled_ends,
    "contracts.tasks.personal_data_erase": _due_erasures,
    "notices.tasks.notices_sweep": _due_sweep,
    "accounts.tasks.tokens_purge_expired": _due_token_purge,
}


def _tasks_of(case: str) -> list[str]:
    if case == LIFECYCLE:
        return [f"contracts.tasks.{job}" for job in JOBS]
    return [case]


def test_every_beat_entry_has_a_twice_at_once_case() -> None:
    """A new entry in the schedule must say here what makes it due."""
    covered = {task for case in SETUPS for task in _tasks_of(case)}
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} == covered


def _run_twice_at_once(task: str) -> None:
    results = race([lambda: app.tasks[task].apply(throw=True)] * 2)
    assert [r for r in results if isinstance(r, BaseException)] == [], task


@transactional
@pytest.mark.parametrize("case", sorted(SETUPS))
def test_beat_started_twice_for_the_same_tick_does_everything_once(case: str) -> None:
    for task in _tasks_of(case):
        # The worker imports every app's tasks module; this process may not have yet.
        import_module(task.rsplit(".", 1)[0])
    staff = StaffFactory(mfa=False)
    check = SETUPS[case](staff)
    mail.outbox.clear()
    with time_machine.travel(T0, tick=False):
        for task in _tasks_of(case):
            _run_twice_at_once(task)
        check()
    _assert_each_notice_mailed_once()
    _assert_audited_once()
