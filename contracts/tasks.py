"""Scheduled jobs of the contracts app (see CELERY_BEAT_SCHEDULE). Each calls one set-based,
idempotent service; each has a management command to run it by hand."""

from celery import shared_task

from .services import billing, privacy, rentals


@shared_task(name="contracts.tasks.charges_create")
def charges_create() -> int:
    """Art. 5: charges last month's fee of every rental that ran in it (charge_rentals)."""
    return billing.charges_create_due()


@shared_task(name="contracts.tasks.rentals_end_scheduled")
def rentals_end_scheduled() -> int:
    """Ends the rentals whose scheduled end has come, recording the deletion of their cloud
    video data, Art. 10(6) (end_scheduled_rentals)."""
    return rentals.rentals_end_scheduled()


@shared_task(name="contracts.tasks.personal_data_erase")
def personal_data_erase() -> int:
    """Art. 11: removes the personal data of ended customers past the retention period
    (erase_personal_data)."""
    return privacy.personal_data_erase_due()
