"""The lifecycle jobs as the scheduler runs them: on the beat schedule, by hand, twice, twice
at once on PostgreSQL, and with the same number of queries at 10 and at 1,000 customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from contracts.models import Cancellation, ServiceEnd, ServiceInterruption
from contracts.services import cancellations
from contracts.services.jobs import JobResult
from contracts.tasks import JOBS
from notices.models import Notice
from tests.factories import StaffFactory, valid_corporate_number
from tests.race import race

T0 = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # 09:00 Tokyo
LONG_AGO = T0 - timedelta(days=200)


def make_customers(n: int, *, offset: int, **fields: object) -> list[Customer]:
    """``n`` active customers, each with an owner, inserted in bulk."""
    fields.setdefault("status", Customer.Status.ACTIVE)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                name=f"株式会社負荷{offset + i}",
                corporate_number=valid_corporate_number(700000000 + offset + i),
                **fields,
            )
            for i in range(n)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"owner{offset + i}@load.example.jp", password="!") for i in range(n)]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, customer=c, role=Membership.Role.OWNER)
            for u, c in zip(users, customers, strict=True)
        ]
    )
    return customers


def due_for(job: str, n: int, *, offset: int, staff: User) -> None:
    """Makes ``n`` customers due for ``job`` at T0."""
    if job == "customers_flag_inactive":
        make_customers(n, offset=offset, last_activity_at=LONG_AGO)
        Customer.objects.filter(name__startswith="株式会社負荷").update(created_at=LONG_AGO)
    elif job == "inactivity_escalate_unanswered":
        make_customers(
            n,
            offset=offset,
            last_activity_at=LONG_AGO,
            inactivity_contacted_at=T0 - timedelta(days=31),
        )
    elif job in ("cancellation_reminders_send_due", "cancellations_apply_due"):
        customers = make_customers(n, offset=offset, status=Customer.Status.CANCELLATION_SCHEDULED)
        given = T0 - timedelta(days=20)
        effective = T0 + timedelta(days=3) if job.startswith("cancellation_r") else T0
        Cancellation.objects.bulk_create(
            [
                Cancellation(
                    customer=c,
                    side="customer",
                    given_by=staff,
                    given_at=given,
                    effective_at=effective,
                )
                for c in customers
            ]
        )
    elif job == "service_end_notices_send_due":
        make_customers(n, offset=offset)
        if not ServiceEnd.objects.exists():
            ServiceEnd.objects.create(
                scope="all",
                title="終了",
                announced_by=staff,
                announced_at=T0 - timedelta(days=40),
                effective_at=T0 + timedelta(days=20),
            )
    elif job == "interruptions_notify_due":
        make_customers(n, offset=offset)
        ServiceInterruption.objects.create(
            scope="all",
            reason=Clause.ART8_1_2,
            title=f"障害{offset}",
            starts_at=T0 - timedelta(minutes=1),
            ends_at=T0 + timedelta(hours=2),
            emergency=True,
            created_by=staff,
        )
    elif job == "service_ends_apply_due":
        make_customers(n, offset=offset)
        ServiceEnd.objects.create(
            scope="all",
            title=f"終了{offset}",
            announced_by=staff,
            announced_at=T0 - timedelta(days=40),
            effective_at=T0 - timedelta(minutes=1),
        )


SET_BASED = list(JOBS)


@pytest.mark.django_db
@pytest.mark.parametrize("job", SET_BASED)
def test_a_job_takes_as_many_queries_for_1000_customers_as_for_10(job: str) -> None:
    staff = StaffFactory(mfa=False)
    run: Callable[..., JobResult] = JOBS[job]
    due_for(job, 10, offset=0, staff=staff)
    # Both runs start with the content types uncached, as a worker's first run does.
    ContentType.objects.clear_cache()
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as small:
        first = run()
    # Kept now: the captured list is a window on the query log, which later queries may push.
    small_sql = [q["sql"][:60] for q in small.captured_queries]
    Notice.objects.all().delete()
    due_for(job, 1000, offset=10, staff=staff)
    ContentType.objects.clear_cache()
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as large:
        second = run()
    assert first.changed >= 1 and second.changed >= 1
    if job not in (
        "service_end_notices_send_due",
        "service_ends_apply_due",
        "interruptions_notify_due",
    ):
        assert (first.changed, second.changed) == (10, 1000)
    large_sql = [q["sql"][:60] for q in large.captured_queries]
    assert len(large_sql) == len(small_sql), "\n".join(["SMALL", *small_sql, "LARGE", *large_sql])


@pytest.mark.django_db
@pytest.mark.parametrize("job", SET_BASED)
def test_a_job_run_twice_changes_and_sends_nothing_more(job: str) -> None:
    staff = StaffFactory(mfa=False)
    due_for(job, 5, offset=0, staff=staff)
    with time_machine.travel(T0, tick=False):
        JOBS[job]()
        notices = Notice.objects.count()
        again = JOBS[job]()
    assert again.notices == 0
    assert Notice.objects.count() == notices
    assert again.changed == 0


@pytest.mark.django_db
@pytest.mark.parametrize("in_sql", [True, False], ids=["in-sql", "in-python"])
@pytest.mark.parametrize("job", SET_BASED)
def test_a_job_works_through_a_backlog_chunk_by_chunk_once(
    job: str, in_sql: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also through the jobs' chunked Python path, which a database without the statements
    of the SQL path runs (SQLite, ``make run``)."""
    from contracts.services import jobs, service_events
    from notices.services import outbox

    monkeypatch.setattr(jobs, "in_sql", lambda: in_sql)
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 3)
    monkeypatch.setattr(outbox, "NOTICE_CHUNK", 3)
    monkeypatch.setattr(service_events, "NOTICE_CHUNK", 3)
    staff = StaffFactory(mfa=False)
    due_for(job, 7, offset=0, staff=staff)
    with time_machine.travel(T0, tick=False):
        done = JOBS[job]()
        again = JOBS[job]()
    if job in ("customers_flag_inactive", "inactivity_escalate_unanswered") or job.startswith(
        "cancellation"
    ):
        assert done.changed == 7
    assert done.changed > 0  # every job had something due
    if job not in ("service_ends_apply_due", "inactivity_escalate_unanswered"):
        # Each of the seven customers told (the service end's reminder too), each once.
        assert done.notices == Notice.objects.count() >= 7
        assert Notice.objects.values("customer", "period").distinct().count() == done.notices
    assert again.notices == 0
    assert Notice.objects.count() == done.notices


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "job",
    [
        "customers_flag_inactive",
        "cancellations_apply_due",
        "cancellation_reminders_send_due",
        "service_end_notices_send_due",
        "inactivity_escalate_unanswered",
    ],
)
def test_two_concurrent_runs_do_the_work_once(job: str) -> None:
    staff = StaffFactory(mfa=False)
    due_for(job, 30, offset=0, staff=staff)
    outcomes = race([lambda: JOBS[job](now=T0)] * 2)
    assert [o for o in outcomes if not isinstance(o, JobResult)] == []
    results = [o for o in outcomes if isinstance(o, JobResult)]
    assert sum(r.notices for r in results) == Notice.objects.count()
    keys = list(Notice.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    if job == "inactivity_escalate_unanswered":
        assert sum(r.changed for r in results) == 30
    elif job == "service_end_notices_send_due":
        assert Notice.objects.count() == 60  # the notice and, 30 days before, the reminder
    else:
        assert Notice.objects.count() == 30


@pytest.mark.django_db
def test_the_apply_job_catches_up_every_missed_day(staff: User) -> None:
    due_for("cancellations_apply_due", 3, offset=0, staff=staff)
    Cancellation.objects.filter(pk=Cancellation.objects.first().pk).update(
        effective_at=T0 - timedelta(days=5)
    )
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert cancellations.cancellations_apply_due().changed == 3


@pytest.mark.django_db
def test_every_job_has_a_beat_entry_and_a_celery_task() -> None:
    from ctsportal.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in JOBS:
        assert f"contracts.tasks.{name}" in scheduled
        assert f"contracts.tasks.{name}" in app.tasks


@pytest.mark.django_db
def test_the_schedule_is_written_to_the_database_for_the_admin() -> None:
    from django_celery_beat.models import PeriodicTask

    call_command("beat_schedule_sync", stdout=StringIO())
    call_command("beat_schedule_sync", stdout=StringIO())
    names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {f"contracts.tasks.{name}" for name in JOBS} <= names
    assert PeriodicTask.objects.filter(name="lifecycle-flag-inactive").count() == 1


@pytest.mark.django_db
def test_the_jobs_run_by_hand(customer_a: Customer, alice: User) -> None:
    Customer.objects.filter(pk=customer_a.pk).update(
        last_activity_at=timezone.now() - timedelta(days=200),
        created_at=timezone.now() - timedelta(days=400),
    )
    out = StringIO()
    call_command("lifecycle_job", "all", stdout=out)
    assert "customers_flag_inactive: 1 changed, 1 notices" in out.getvalue()
    out = StringIO()
    call_command("lifecycle_job", "customers_flag_inactive", stdout=out)
    assert out.getvalue().strip() == "customers_flag_inactive: 0 changed, 0 notices"


@pytest.mark.django_db
def test_the_celery_task_runs_the_job(customer_a: Customer, alice: User) -> None:
    from contracts.tasks import customers_flag_inactive

    Customer.objects.filter(pk=customer_a.pk).update(
        last_activity_at=timezone.now() - timedelta(days=200),
        created_at=timezone.now() - timedelta(days=400),
    )
    assert customers_flag_inactive.delay().get() == {"changed": 1, "notices": 1}
