"""N+1 detection (django-zeal) across the whole suite, in two scopes.

- A request (this middleware, first in ctsportal.settings.test) and a Celery task (the signals
  below, eager or in a real worker) are units of work: every check runs there, the lazy load
  of a relation per object and the same ``.get()`` repeated from one line alike.
- The rest of a test, its fixtures, its own code and the services, jobs and commands it calls
  directly (tests/conftest.py), is watched for lazy loads of a relation per object only: a test
  builds its rows and calls a service several times over, which repeats the same ``.get()``
  without being an N+1.

What is flagged but is no N+1 is listed in ``ZEAL_ALLOWLIST`` (ctsportal.settings.test), each
entry with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse
from zeal import zeal_context, zeal_ignore
from zeal.listeners import NPlusOneContext, _nplusone_context

# The test scope's one exemption (see above).
REPEATED_GET = [{"model": "*", "field": "get()"}]

# Jobs that act on each due object in a transaction of its own, by design, so that one
# failure leaves the others done: each object is locked and read again by its key inside its
# transaction, which repeats that one ``.get()``. Only that model's ``get()`` is exempt.
PER_OBJECT_JOBS: dict[str, list[Any]] = {
    # Art. 11: each ended customer's personal data is erased in its own transaction (a handful
    # a day), its row locked first so that two runs cannot erase it twice.
    "contracts.tasks.personal_data_erase": [{"model": "accounts.Customer", "field": "get()"}],
}


@contextmanager
def unit_of_work(exempt: list[Any] | None = None) -> Iterator[None]:
    """Every check, with nothing the enclosing test scope exempts: zeal's own setup would
    carry the enclosing scope's exemptions into the new context."""
    outer = _nplusone_context.set(NPlusOneContext())
    try:
        with zeal_context():
            if exempt:
                with zeal_ignore(exempt):
                    yield
            else:
                yield
    finally:
        _nplusone_context.reset(outer)


@contextmanager
def suite_scope() -> Iterator[None]:
    with zeal_context(), zeal_ignore(REPEATED_GET):
        yield


def zeal_request_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        with unit_of_work():
            return get_response(request)

    return middleware


_task_scopes: dict[str, AbstractContextManager[None]] = {}


@task_prerun.connect
def _task_started(task_id: str, **kwargs: Any) -> None:
    task = kwargs.get("task")
    scope = unit_of_work(PER_OBJECT_JOBS.get(getattr(task, "name", "")))
    scope.__enter__()
    _task_scopes[task_id] = scope


@task_postrun.connect
def _task_finished(task_id: str, **kwargs: Any) -> None:
    scope = _task_scopes.pop(task_id, None)
    if scope is not None:
        scope.__exit__(None, None, None)
