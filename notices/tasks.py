"""Delivery of notices. Tasks take ids and call one service; the outbox row, not the broker
message, is the source of truth, so a lost or repeated message is harmless."""

from __future__ import annotations

from collections import Counter

from celery import shared_task
from celery.app.task import Task
from django.utils.dateparse import parse_datetime

from . import services


@shared_task(
    bind=True,
    name="notices.tasks.notice_deliver",
    # Retries are decided by the service (it knows the attempt count stored on the row), not
    # by Celery's autoretry; the row's state makes every redelivery safe.
    autoretry_for=(),
    max_retries=None,
)
def notice_deliver(self: Task, notice_id: int) -> str:
    outcome = services.notice_deliver(notice_id=notice_id)
    if outcome.retry_in is not None:
        # Bounded by the broker's visibility timeout (services.retry_delay). If this message
        # is lost, the sweep re-queues the notice once its retry time has passed.
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(name="notices.tasks.notices_deliver", autoretry_for=())
def notices_deliver(notice_ids: list[int]) -> dict[str, int]:
    """Delivers a batch of notices (how the outbox queues them). A notice whose attempt
    failed and may succeed later gets its own retry task after its backoff."""
    outcomes = services.notices_deliver(notice_ids=notice_ids)
    for notice_id, outcome in outcomes.items():
        if outcome.retry_in is not None:
            notice_deliver.apply_async((notice_id,), countdown=outcome.retry_in)
    return dict(Counter(outcome.status for outcome in outcomes.values()))


@shared_task(name="notices.tasks.notices_deliver_created", autoretry_for=())
def notices_deliver_created(kind: str, created_at: str) -> int:
    """Queues the delivery of the notices a job inserted in SQL (``notices_queue_created``):
    the pending notices of ``kind`` created at ``created_at``, one task per batch."""
    stamp = parse_datetime(created_at)
    if stamp is None:
        raise ValueError(f"Not a timestamp: {created_at!r}")
    ids = services.notices_created_pending(kind=kind, created_at=stamp)
    services.notices_queue_delivery(ids)
    return len(ids)


@shared_task(name="notices.tasks.notices_sweep", autoretry_for=())
def notices_sweep() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): re-queues notices whose task was lost or whose
    worker died mid-delivery (Art. 16: a notice is never lost)."""
    ids = services.notices_requeue_due()
    services.notices_queue_delivery(ids)
    return len(ids)
