"""A real Celery worker against Redis and a real SMTP server: kill the worker with SIGKILL
while it delivers a batch, start another, and check that every notice arrived, with at most
one extra copy per delivery in flight at the kill (Art. 16: no notice lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounts.models import Customer, User
from ctsportal.celery import app
from notices.models import Notice
from notices.tasks import notices_sweep

from .conftest import make_notice
from .smtp_sink import SmtpSink

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONCURRENCY = 2
BATCH = 200
BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(*, broker_url: str, email_url: str, lease: int) -> dict[str, str]:
    """The environment of a real worker on the test database: tasks through ``broker_url``,
    mail to ``email_url``. A pending notice queued more than 1 s ago may have lost its
    message (the sweep re-queues it); a claim older than ``lease`` seconds belongs to a dead
    worker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctsportal.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": email_url,
        "NOTICE_SENDING_LEASE": str(lease),
        "NOTICE_SWEEP_GRACE": "1",
        "CONN_MAX_AGE": "0",
    }


def _purge_broker() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def publish_to_broker() -> Iterator[None]:
    """This test process publishes real messages instead of running tasks inline."""
    _purge_broker()
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
        _purge_broker()


class Worker:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ctsportal",
                "worker",
                f"--concurrency={CONCURRENCY}",
                "-P",
                "prefork",
                "-n",
                f"{name}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            # Its own process group, so that a kill reaches the pool's children too.
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _sent() -> int:
    return Notice.objects.filter(state=Notice.State.SENT).count()


def _wait_for(predicate: Any, timeout: float, *, tick: Any = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if tick is not None:
            tick()
        time.sleep(0.2)
    return False


def _wait_all_sent_sweeping(count: int, timeout: float) -> bool:
    """Waits until ``count`` notices are sent, running the sweep (beat's job, done by the
    worker) every 2 s meanwhile: it re-queues what a dead worker held or the broker lost."""
    last_sweep = [0.0]

    def sweep_now_and_then() -> None:
        if time.monotonic() - last_sweep[0] > 2:
            last_sweep[0] = time.monotonic()
            notices_sweep.delay()

    return _wait_for(lambda: _sent() == count, timeout, tick=sweep_now_and_then)


def test_a_killed_worker_loses_no_notice_and_sends_at_most_one_extra_copy(
    alice: User, customer_a: Customer, publish_to_broker: None, tmp_path: Path
) -> None:
    with SmtpSink(delay=0.02) as sink:
        # Fast recovery for the test: a claim older than 2 s belongs to a dead worker.
        env = worker_env(broker_url=settings.CELERY_BROKER_URL, email_url=sink.url, lease=2)
        # Queued on commit, one message per notice, as in production.
        notices = [
            make_notice(customer_a, period=f"batch-{n:03d}", recipients=["ops@a.example.jp"])
            for n in range(BATCH)
        ]
        expected = {n.pk for n in notices}
        workers: list[Worker] = []
        try:
            first = Worker("notices-first", env, tmp_path / "first.log")
            workers.append(first)
            assert _wait_for(lambda: sink.handler.count() >= 40, 60), first.tail()
            first.kill()
            sent_at_kill = _sent()
            assert sent_at_kill < BATCH, "the kill came too late to interrupt the batch"

            second = Worker("notices-second", env, tmp_path / "second.log")
            workers.append(second)
            done = _wait_all_sent_sweeping(BATCH, 60)
            assert done, f"{_sent()} of {BATCH} sent\n{second.tail()}"
        finally:
            for worker in workers:
                worker.stop()
            _close_other_connections()

    received = Counter(sink.handler.notice_ids)
    assert set(received) == expected
    duplicates = sum(received.values()) - len(received)
    kills = 1
    assert duplicates <= kills * CONCURRENCY, received.most_common(5)
    assert all(rcpt == ["ops@a.example.jp"] for rcpt in sink.handler.recipients)


def _close_other_connections() -> None:
    # The workers are gone; make sure none of their sessions outlives them, or the test
    # database could not be flushed and dropped.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
