"""Writes CELERY_BEAT_SCHEDULE into django-celery-beat's tables, so every job shows in the
admin (Periodic tasks) before beat first starts. Beat does the same on start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.schedulers import ModelEntry

from ctsportal.celery import app


class Command(BaseCommand):
    help = "Creates or updates a periodic task for every entry of CELERY_BEAT_SCHEDULE."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            ModelEntry.from_entry(name, app=app, **entry)
            self.stdout.write(f"{name}: {entry['task']}")
