"""Delivery of notices. Tasks take ids and call one service; the outbox row, not the broker
message, is the source of truth, so a lost or repeated message is harmless."""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task

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


@shared_task(name="notices.tasks.notices_sweep", autoretry_for=())
def notices_sweep() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): re-queues notices whose task was lost or whose
    worker died mid-delivery (Art. 16: a notice is never lost)."""
    ids = services.notices_requeue_due()
    for notice_id in ids:
        notice_deliver.delay(notice_id)
    return len(ids)
