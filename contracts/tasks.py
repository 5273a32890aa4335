"""Scheduled jobs of the contracts app (CELERY_BEAT_SCHEDULE in ctsportal/settings/base.py):
the monthly charges and the lifecycle jobs. Each lifecycle job calls one set-based service
that does everything due up to now: idempotent, safe to run concurrently, and catching up
after downtime. ``manage.py lifecycle_job`` runs them by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from celery import shared_task

from .services import billing, cancellations, inactivity, privacy, rental_ends, service_events
from .services.jobs import JobResult

JOBS: dict[str, Callable[..., JobResult]] = {
    "interruptions_notify_due": service_events.interruptions_notify_due,
    "service_end_notices_send_due": service_events.service_end_notices_send_due,
    "cancellation_reminders_send_due": cancellations.cancellation_reminders_send_due,
    "cancellations_apply_due": cancellations.cancellations_apply_due,
    "service_ends_apply_due": service_events.service_ends_apply_due,
    "customers_flag_inactive": inactivity.customers_flag_inactive,
    "inactivity_escalate_unanswered": inactivity.inactivity_escalate_unanswered,
}


def job_run(name: str, *, now: datetime | None = None) -> JobResult:
    return JOBS[name](now=now)


def _result(result: JobResult) -> dict[str, int]:
    return {"changed": result.changed, "notices": result.notices}


@shared_task(name="contracts.tasks.interruptions_notify_due")
def interruptions_notify_due() -> dict[str, int]:
    return _result(job_run("interruptions_notify_due"))


@shared_task(name="contracts.tasks.service_end_notices_send_due")
def service_end_notices_send_due() -> dict[str, int]:
    return _result(job_run("service_end_notices_send_due"))


@shared_task(name="contracts.tasks.cancellation_reminders_send_due")
def cancellation_reminders_send_due() -> dict[str, int]:
    return _result(job_run("cancellation_reminders_send_due"))


@shared_task(name="contracts.tasks.cancellations_apply_due")
def cancellations_apply_due() -> dict[str, int]:
    return _result(job_run("cancellations_apply_due"))


@shared_task(name="contracts.tasks.service_ends_apply_due")
def service_ends_apply_due() -> dict[str, int]:
    return _result(job_run("service_ends_apply_due"))


@shared_task(name="contracts.tasks.customers_flag_inactive")
def customers_flag_inactive() -> dict[str, int]:
    return _result(job_run("customers_flag_inactive"))


@shared_task(name="contracts.tasks.inactivity_escalate_unanswered")
def inactivity_escalate_unanswered() -> dict[str, int]:
    return _result(job_run("inactivity_escalate_unanswered"))


@shared_task(name="contracts.tasks.charges_create")
def charges_create() -> int:
    """Art. 5: charges last month's fee of every rental that ran in it (charge_rentals)."""
    return billing.charges_create_due()


@shared_task(name="contracts.tasks.rentals_end_scheduled")
def rentals_end_scheduled() -> int:
    """Ends the rentals whose scheduled end has come, recording the deletion of their cloud
    video data, Art. 10(6) (end_scheduled_rentals)."""
    return rental_ends.rentals_end_scheduled()


@shared_task(name="contracts.tasks.personal_data_erase")
def personal_data_erase() -> int:
    """Art. 11: removes the personal data of ended customers past the retention period
    (erase_personal_data)."""
    return privacy.personal_data_erase_due()
