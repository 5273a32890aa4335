"""The Celery application. Settings come from Django's, under the CELERY_ namespace."""

import os

from celery import Celery, Task
from django.db import InterfaceError, OperationalError

from ctsportal import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctsportal.settings.local")
# kombu's Redis channel must not stop the worker when the broker restarts (see the module).
broker.install()


class ProjectTask(Task):
    """Default for every project task: acknowledged late (a killed worker's task is
    redelivered), retried a bounded number of times with exponential backoff on the
    errors a retry can cure: the broker's or SMTP server's network, and a database
    connection lost under the task (a restart or failover of PostgreSQL; the worker opens
    a new connection for the retry, and the task's transaction left nothing behind). Tasks
    are written to be idempotent."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (ConnectionError, TimeoutError, OSError, OperationalError, InterfaceError)
    max_retries = 5
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True


app = Celery("ctsportal", task_cls=ProjectTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="ctsportal.ping")
def ping() -> str:
    """Answers "pong": lets a smoke test and an operator check a worker end to end."""
    return "pong"
