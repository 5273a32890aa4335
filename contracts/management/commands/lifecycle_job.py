"""Runs a lifecycle job by hand, in this process (no worker needed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from contracts.tasks import JOBS, job_run


class Command(BaseCommand):
    help = (
        "Runs one lifecycle job (or all of them, in schedule order) now, in this process: "
        "everything due up to now is done, nothing already done is repeated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=[*JOBS, "all"], help="the job to run, or all")

    def handle(self, *args: Any, **options: Any) -> None:
        names = list(JOBS) if options["job"] == "all" else [options["job"]]
        for name in names:
            result = job_run(name)
            self.stdout.write(f"{name}: {result.changed} changed, {result.notices} notices")
