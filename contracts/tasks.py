"""Scheduled jobs of the contracts app (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services.billing import charges_create_due
from .services.privacy import personal_data_erase_due


@shared_task(name="contracts.tasks.charges_create")
def charges_create() -> int:
    """Art. 5: charges last month's fee of every rental that ran in it; idempotent."""
    return charges_create_due()


@shared_task(name="contracts.tasks.personal_data_erase")
def personal_data_erase() -> int:
    """Art. 11: removes the personal data of ended customers past the retention period."""
    return personal_data_erase_due()
