"""Scheduled jobs of the contracts app (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services.billing import charges_create_due


@shared_task(name="contracts.tasks.charges_create")
def charges_create() -> int:
    """Art. 5: charges last month's fee of every rental that ran in it; idempotent."""
    return charges_create_due()
