import threading
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEntry, Customer, User
from notices import services, tasks
from notices.models import Notice
from notices.tasks import notice_deliver, notices_sweep
from tests.conftest import viewing_staff_client
from tests.factories import StaffFactory

from . import backends
from .conftest import make_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(alice: User, customer_a: Customer) -> Notice:
    # Created outside any captured on-commit: the notice stays pending, nothing is sent.
    return make_notice(customer_a, period="pending")


def test_a_claim_succeeds_once(pending: Notice) -> None:
    assert services.notice_claim(notice_id=pending.pk) is not None
    assert services.notice_claim(notice_id=pending.pk) is None
    pending.refresh_from_db()
    assert pending.state == Notice.State.SENDING
    assert pending.attempts == 1


def test_delivering_twice_sends_one_email(pending: Notice) -> None:
    assert notice_deliver.delay(pending.pk).get() == "sent"
    assert notice_deliver.delay(pending.pk).get() == "skipped"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_deliveries_racing_for_one_notice_send_one_email(alice: User, customer_a: Customer) -> None:
    notice = make_notice(customer_a, recipients=["x@example.jp"])
    assert notice.state == Notice.State.PENDING  # transactional_db: eager delivery ran
    Notice.objects.filter(pk=notice.pk).update(state=Notice.State.PENDING, sent_at=None)
    mail.outbox.clear()
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def deliver() -> None:
        try:
            start.wait(5)
            outcomes.append(services.notice_deliver(notice_id=notice.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1


@override_settings(
    EMAIL_BACKEND="tests.notices.backends.DisconnectingBackend", NOTICE_MAX_ATTEMPTS=3
)
def test_a_transient_smtp_failure_is_retried_then_fails(
    pending: Notice, staff_client, django_capture_on_commit_callbacks
) -> None:
    backends.DisconnectingBackend.calls = 0
    for attempt in (1, 2):
        # The task asks Celery to run it again after the backoff (a worker would wait).
        with pytest.raises(Retry) as retry:
            notice_deliver.delay(pending.pk)
        assert retry.value.when == services.retry_delay(attempt)
        pending.refresh_from_db()
        assert pending.state == Notice.State.PENDING
        assert pending.attempts == attempt
    assert notice_deliver.delay(pending.pk).get() == "failed"
    assert backends.DisconnectingBackend.calls == 3
    pending.refresh_from_db()
    assert pending.state == Notice.State.FAILED
    assert pending.attempts == 3
    assert "SMTPServerDisconnected" in pending.last_error
    assert pending.claimed_at is None

    # Visible to staff in the ledger, filtered by state.
    response = staff_client.get("/admin/notices/notice/", {"state__exact": "failed"})
    assert response.status_code == 200
    assert pending.mail_subject in response.content.decode()

    # The retry action (with a working mail server now) delivers it.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = staff_client.post(
            "/admin/notices/notice/",
            {"action": "retry_failed", "_selected_action": [pending.pk]},
            follow=True,
            headers={"Accept-Language": "en"},
        )
    assert response.status_code == 200
    assert "1 notice queued for delivery again." in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == Notice.State.SENT
    assert pending.attempts == 1
    assert len(mail.outbox) == 1
    entry = AuditEntry.objects.get(action="notices.notice.retried")
    assert entry.extra["attempts"] == 3
    assert entry.clause == "art16"


@override_settings(EMAIL_BACKEND="tests.notices.backends.RejectingBackend")
def test_a_permanent_refusal_fails_at_once(pending: Notice) -> None:
    backends.RejectingBackend.calls = 0
    assert notice_deliver.delay(pending.pk).get() == "failed"
    assert backends.RejectingBackend.calls == 1
    pending.refresh_from_db()
    assert pending.state == Notice.State.FAILED
    assert "550" in pending.last_error


def test_the_retry_refuses_staff_without_the_permission(pending: Notice) -> None:
    Notice.objects.filter(pk=pending.pk).update(state=Notice.State.FAILED, last_error="550")
    with pytest.raises(PermissionDenied):
        services.notice_retry(notice=pending, actor=StaffFactory(email="clerk@cts.example.jp"))
    pending.refresh_from_db()
    assert pending.state == Notice.State.FAILED


def test_staff_who_may_only_view_notices_cannot_retry_them(pending: Notice) -> None:
    Notice.objects.filter(pk=pending.pk).update(state=Notice.State.FAILED, last_error="550")
    client = viewing_staff_client(Notice)
    changelist = "/admin/notices/notice/"
    assert 'value="retry_failed"' not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "retry_failed", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.state == Notice.State.FAILED
    assert not AuditEntry.objects.filter(action="notices.notice.retried").exists()


def test_the_retry_action_leaves_other_states_alone(pending: Notice, staff_client) -> None:
    response = staff_client.post(
        "/admin/notices/notice/",
        {"action": "retry_failed", "_selected_action": [pending.pk]},
        follow=True,
        headers={"Accept-Language": "en"},
    )
    assert "1 notice was not failed and was left alone." in response.content.decode()
    assert "0 notices queued for delivery again." not in response.content.decode()
    assert not AuditEntry.objects.filter(action="notices.notice.retried").exists()


@override_settings(EMAIL_BACKEND="tests.notices.backends.DisconnectingBackend")
def test_a_failed_attempt_schedules_the_next_one(pending: Notice) -> None:
    outcome = services.notice_deliver(notice_id=pending.pk)
    assert outcome.status == "retry"
    assert outcome.retry_in == 30
    pending.refresh_from_db()
    assert pending.state == Notice.State.PENDING
    assert pending.next_attempt_at is not None


@override_settings(CELERY_BROKER_VISIBILITY_TIMEOUT=300, NOTICE_RETRY_BACKOFF=30)
def test_backoff_doubles_and_never_exceeds_the_visibility_timeout() -> None:
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 240]


def test_a_notice_stuck_in_sending_is_reclaimed_after_the_lease(pending: Notice) -> None:
    assert services.notice_claim(notice_id=pending.pk) is not None  # the worker then dies
    assert services.notices_requeue_due(grace_seconds=0) == []
    with time_machine.travel(timezone.now() + timedelta(seconds=599), tick=False):
        assert services.notice_deliver(notice_id=pending.pk).status == "skipped"
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert services.notices_requeue_due() == [pending.pk]
        assert services.notice_deliver(notice_id=pending.pk).status == "sent"
    pending.refresh_from_db()
    assert pending.attempts == 2
    assert len(mail.outbox) == 1


def test_the_sweep_requeues_only_stale_pending_notices(
    alice: User, customer_a: Customer, django_assert_max_num_queries
) -> None:
    stale = make_notice(customer_a, period="stale")
    with time_machine.travel(timezone.now() + timedelta(seconds=121), tick=False):
        fresh = make_notice(customer_a, period="fresh")
        later = make_notice(customer_a, period="later")
        Notice.objects.filter(pk=later.pk).update(
            next_attempt_at=timezone.now() + timedelta(minutes=5)
        )
        with django_assert_max_num_queries(2):
            assert services.notices_requeue_due() == [stale.pk]
        # Marked queued: a second sweep right away does not queue it twice.
        assert services.notices_requeue_due() == []
    assert fresh.pk != stale.pk


def test_the_sweep_task_delivers_what_it_requeues(pending: Notice) -> None:
    with time_machine.travel(timezone.now() + timedelta(seconds=121), tick=False):
        assert notices_sweep.delay().get() == 1
    pending.refresh_from_db()
    assert pending.state == Notice.State.SENT
    assert len(mail.outbox) == 1


def test_the_deliver_notices_command_runs_one_sweep(pending: Notice, capsys) -> None:
    call_command("deliver_notices")
    assert "0 notices due" in capsys.readouterr().out
    call_command("deliver_notices", "--now")
    assert "1 notices due (sent: 1)" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_an_smtp_connection_dropped_by_the_server_is_reopened(
    alice: User, customer_a: Customer
) -> None:
    from aiosmtpd.controller import Controller

    from .smtp_sink import RecordingHandler, SmtpSink

    with SmtpSink() as sink:
        smtp = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": sink.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }
        with override_settings(**smtp):
            first = make_notice(customer_a, period="first")
            second = make_notice(customer_a, period="second")
            assert services.notice_deliver(notice_id=first.pk).status == "sent"
    # The server went away and came back: the kept connection is dead.
    handler = RecordingHandler()
    again = Controller(handler, hostname="127.0.0.1", port=sink.port)
    again.start()
    try:
        with override_settings(**smtp):
            assert services.notice_deliver(notice_id=second.pk).status == "sent"
    finally:
        again.stop()
    assert sink.handler.notice_ids == [first.pk]
    assert handler.notice_ids == [second.pk]


def test_a_batch_is_claimed_at_once_and_skips_what_is_not_claimable(
    alice: User, customer_a: Customer, django_assert_max_num_queries
) -> None:
    first, second, done = (make_notice(customer_a, period=f"batch-{n}") for n in range(3))
    assert services.notice_deliver(notice_id=done.pk).status == "sent"
    mail.outbox.clear()
    # One claim for the batch, then one record per notice.
    with django_assert_max_num_queries(3):
        outcomes = services.notices_deliver(notice_ids=[first.pk, second.pk, done.pk])
    assert {pk: o.status for pk, o in outcomes.items()} == {
        first.pk: "sent",
        second.pk: "sent",
        done.pk: "skipped",
    }
    assert sorted(int(m.extra_headers["X-CTS-Notice-ID"]) for m in mail.outbox) == sorted(
        [first.pk, second.pk]
    )
    assert services.notices_deliver(notice_ids=[first.pk, second.pk]) == {
        first.pk: services.DeliveryOutcome("skipped"),
        second.pk: services.DeliveryOutcome("skipped"),
    }


def test_a_batch_hands_back_what_it_could_not_send_within_half_its_lease(
    alice: User, customer_a: Customer, settings
) -> None:
    first, second = (make_notice(customer_a, period=f"slow-{n}") for n in range(2))
    # No time at all: the batch claims both, then hands both back before sending anything.
    settings.NOTICE_SENDING_LEASE = 0
    outcomes = services.notices_deliver(notice_ids=[first.pk, second.pk])
    assert {o.status for o in outcomes.values()} == {"retry"}
    assert mail.outbox == []
    for notice in (first, second):
        notice.refresh_from_db()
        assert (notice.state, notice.attempts, notice.claimed_at) == (
            Notice.State.PENDING,
            0,
            None,
        )


def test_the_outbox_queues_one_delivery_task_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.notices_deliver, "delay", queued.append)
    ids = list(range(1, 2 * services.DELIVERY_BATCH + 3))
    services.notices_queue_delivery(ids)
    assert [len(batch) for batch in queued] == [services.DELIVERY_BATCH] * 2 + [2]
    assert [pk for batch in queued for pk in batch] == ids


@override_settings(EMAIL_BACKEND="tests.notices.backends.DisconnectingBackend")
def test_the_batch_task_gives_a_notice_whose_attempt_failed_its_own_retry(
    pending: Notice, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = make_notice(pending.customer, period="task-sent")
    Notice.objects.filter(pk=sent.pk).update(state=Notice.State.SENT, sent_at=timezone.now())
    retries: list[tuple[object, ...]] = []
    monkeypatch.setattr(
        tasks.notice_deliver,
        "apply_async",
        lambda args, countdown: retries.append((*args, countdown)),
    )
    counts = tasks.notices_deliver([pending.pk, sent.pk])
    assert counts == {"retry": 1, "skipped": 1}
    assert retries == [(pending.pk, services.retry_delay(1))]
    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == (Notice.State.PENDING, 1)
