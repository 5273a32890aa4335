"""The broker fails under a real Celery worker: a Redis of the test's own (never a shared
server) is killed while notices are being delivered, losing every queued message, and started
again empty. The worker reconnects, the sweep (beat's job) re-queues what the broker lost, and
every notice reaches the SMTP server exactly once and is recorded as sent (Art. 16: no notice
lost, none sent twice)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from accounts.models import Customer, User
from ctsportal.celery import app, ping
from notices.models import Notice

from .conftest import make_notice
from .smtp_sink import SmtpSink, free_port
from .test_worker import (
    Worker,
    _close_other_connections,
    _sent,
    _wait_all_sent_sweeping,
    _wait_for,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BATCH = 80
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class OwnRedis:
    """A redis-server on a free port, in memory only (a restart loses every message, as a
    crash of a server without persistence does)."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url)
        assert _wait_for(lambda: self._answers(client), 10), self.log.read_text()

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _publish_to(url: str) -> None:
    """Points this process's publisher at ``url``, with fresh connection pools."""
    app.conf.update(broker_write_url=url)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def publish_to_own_redis(own_redis: OwnRedis) -> Iterator[None]:
    previous = (app.conf.task_always_eager, app.conf.broker_write_url)
    app.conf.task_always_eager = False
    _publish_to(own_redis.url)
    try:
        yield
    finally:
        app.conf.task_always_eager = previous[0]
        _publish_to(previous[1])


def test_a_redis_restart_mid_delivery_loses_no_notice_and_sends_none_twice(
    alice: User,
    customer_a: Customer,
    own_redis: OwnRedis,
    publish_to_own_redis: None,
    tmp_path: Path,
) -> None:
    with SmtpSink(delay=0.03) as sink:
        # The worker is never killed here, so no claim is ever a dead worker's: a long lease.
        env = worker_env(broker_url=own_redis.url, email_url=sink.url, lease=600)
        # Queued on commit, one message per notice, as in production.
        notices = [
            make_notice(customer_a, period=f"storm-{n:03d}", recipients=["ops@a.example.jp"])
            for n in range(BATCH)
        ]
        expected = {n.pk for n in notices}
        assert redis.Redis.from_url(own_redis.url).llen("celery") == BATCH
        worker = Worker("notices-faults", env, tmp_path / "worker.log")
        try:
            assert _wait_for(lambda: sink.handler.count() >= 15, 60), worker.tail()
            own_redis.kill()
            sent_at_kill = _sent()
            time.sleep(0.5)
            own_redis.start()
            # Started empty: every message still queued or reserved at the kill is gone.
            assert redis.Redis.from_url(own_redis.url).dbsize() == 0
            assert sent_at_kill < BATCH, "the kill came too late to interrupt the batch"

            done = _wait_all_sent_sweeping(BATCH, 60)
            assert done, f"{_sent()} of {BATCH} sent\n{worker.tail()}"
        finally:
            worker.stop()
            _close_other_connections()

    received = Counter(sink.handler.notice_ids)
    assert set(received) == expected
    assert received.most_common(1)[0][1] == 1, received.most_common(5)
    rows = Notice.objects.filter(pk__in=expected)
    assert set(rows.values_list("state", "attempts")) == {(Notice.State.SENT, 1)}
    assert not rows.filter(sent_at__isnull=True).exists()


def test_a_worker_holding_a_message_lives_through_a_redis_restart(
    alice: User,
    customer_a: Customer,
    own_redis: OwnRedis,
    publish_to_own_redis: None,
    tmp_path: Path,
) -> None:
    """The worker holds a message unacknowledged while it waits for more (a task due later,
    as a notice's retry is) when Redis goes away. It must reconnect and go on: kombu failed to
    put the held message back on a connection already taken apart, and the worker stopped
    ("Unrecoverable error", every time; ctsportal.broker). The same stop, when it struck the
    test above mid-batch, left it waiting for notices no worker would send."""
    with SmtpSink() as sink:
        env = worker_env(broker_url=own_redis.url, email_url=sink.url, lease=600)
        worker = Worker("notices-held", env, tmp_path / "worker.log")
        try:
            ping.apply_async(countdown=600)
            held = re.compile(r"Task ctsportal\.ping\[[0-9a-f-]+\] received")
            assert _wait_for(lambda: held.search(worker.tail()), 60), worker.tail()
            own_redis.kill()
            time.sleep(0.5)
            own_redis.start()
            # Queued on commit to the new, empty Redis: the worker must come back for it.
            make_notice(customer_a, period="after-restart", recipients=["ops@a.example.jp"])
            assert _wait_for(lambda: _sent() == 1, 60), worker.tail()
            assert worker.proc.poll() is None, worker.tail()
            assert "Unrecoverable error" not in worker.log.read_text(errors="replace")
        finally:
            worker.stop()
            _close_other_connections()
    assert sink.handler.count() == 1
