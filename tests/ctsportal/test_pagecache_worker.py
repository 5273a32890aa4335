"""A write made by another process (a real Celery worker delivering a notice) makes the web
process's cached page unreachable: the next GET shows the change, not the page kept before
it (accounts.freshness, ctsportal.pagecache)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Customer, User
from notices.models import Notice
from tests.factories import sign_in
from tests.notices.conftest import make_notice
from tests.notices.smtp_sink import SmtpSink
from tests.notices.test_worker import (
    Worker,
    _close_other_connections,
    _wait_for,
    publish_to_broker,  # noqa: F401 (the fixture, used by name)
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("publish_to_broker")
def test_a_notice_delivered_by_the_worker_shows_as_sent_at_once(
    alice: User, customer_a: Customer, tmp_path: Path
) -> None:
    client = sign_in(alice.email)
    notice = make_notice(customer_a, period="cached", recipients=["ops@a.example.jp"])
    for _ in range(3):  # the last one is served from the cache
        page = client.get("/notices/").content.decode()
    # (status-pending also marks the notice unread; status-sent is its delivery only)
    assert "status-sent" not in page
    with SmtpSink() as sink:
        env = worker_env(broker_url=settings.CELERY_BROKER_URL, email_url=sink.url, lease=5)
        worker = Worker("pagecache", env, tmp_path / "worker.log")
        try:
            sent = _wait_for(
                lambda: Notice.objects.get(pk=notice.pk).state == Notice.State.SENT, 60
            )
            assert sent, worker.tail()
        finally:
            worker.stop()
            _close_other_connections()
    assert "status-sent" in client.get("/notices/").content.decode()
