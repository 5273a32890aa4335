"""A broker restart must not stop the worker.

kombu 5.7's Redis channel puts the messages the worker holds unacknowledged back on the queue
when it closes. After a connection loss Celery first collects the connection, which can leave
the channel open but detach the transport from its connection (the loss seen first on the
remote-control pub/sub socket while a BRPOP is waiting), and then closes it: the restore asks
for a new connection pool, whose parameters come from that connection, and fails with an
``AttributeError`` that nothing catches. The worker then stops with "Unrecoverable error"
instead of reconnecting (``tests/notices/test_faults.py``: every time a worker holding a
message, e.g. a retry waiting for its countdown, saw Redis restart).

A channel whose connection is gone cannot reach Redis: it now says so with Redis's own
``ConnectionError``, which kombu expects while closing, so the worker reconnects as after any
other loss. Nothing held is lost by it: the messages are still in Redis's unacknowledged set
(restored after the visibility timeout) unless Redis itself lost them, and the outbox's sweep
re-queues any notice whose message is gone."""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

# kombu's stubs do not declare the private method replaced here.
_CHANNEL: Any = kombu_redis.Channel
_connparams = _CHANNEL._connparams


def _connparams_of_a_live_connection(self: Any, asynchronous: bool = False) -> Any:
    if self.connection is None or self.connection.client is None:
        raise redis.exceptions.ConnectionError("The connection to the broker is closed.")
    return _connparams(self, asynchronous=asynchronous)


def install() -> None:
    """Called once by ``ctsportal.celery`` (web, worker and beat alike)."""
    _CHANNEL._connparams = _connparams_of_a_live_connection
