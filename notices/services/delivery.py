"""Delivery of notices: one attempt per task, claimed, sent, recorded, retried with backoff.

Delivery guarantees: a notice is claimed with a conditional UPDATE (pending → sending), so two
workers, a redelivered message and the sweep can never both send it. The one window left is
a worker killed after the SMTP server accepted the message and before ``sent`` is recorded:
once the lease (NOTICE_SENDING_LEASE) expires the notice is claimed and sent again, so a
crash may cost at most one extra copy per killed delivery. Every copy carries the same
Message-ID, so most mail clients show them as one.

Throughput: the outbox queues one task per batch of notices (``notices_deliver``): one
conditional UPDATE ... RETURNING claims the whole batch, one SMTP connection carries it, and
each notice's outcome is one UPDATE, recorded before the next notice is sent (so a killed
worker still costs at most one extra copy). Those records are committed without waiting for
the WAL flush (``synchronous_commit = off`` for the batch only): a crash of the worker loses
none of them; only a crash of the PostgreSQL server itself within a fraction of a second
could lose a record, and that notice would then be sent once more after the lease, as after
a worker crash. A killed worker's claimed but unsent notices wait for the lease before the
sweep hands them to another worker; a batch still running at half the lease hands its unsent
notices back itself, so no claim expires while its notice is still about to be sent."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone

from notices.models import Notice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a delivery attempt did. ``retry_in`` is set when the task should try again."""

    status: str  # "sent", "skipped", "retry", "failed"
    retry_in: int | None = None


# The columns delivery needs; the claim returns them (in this order).
_DELIVERY_FIELDS = (
    "id",
    "recipients",
    "mail_subject",
    "body_text",
    "body_html",
    "attempts",
    "content_sha256",
    "claimed_at",
)


def notices_claim(*, notice_ids: Sequence[int]) -> list[Notice]:
    """Claims for one delivery attempt each of the notices that is pending (or left in
    ``sending`` by a dead worker beyond the lease) and has recipients; skips the others (sent,
    failed, in flight elsewhere). One conditional UPDATE ... RETURNING: of any number of
    concurrent callers exactly one changes (and gets) each row."""
    if not notice_ids:
        return []
    if db_connection.vendor != "postgresql":
        # SQLite (``make run``): no RETURNING with ANY(); one claim at a time, same rule.
        return [n for n in (_claim_one(pk) for pk in notice_ids) if n is not None]
    now = timezone.now()
    sql = """
        UPDATE notices_notice
        SET state = %(sending)s, claimed_at = %(now)s, attempts = attempts + 1
        WHERE id = ANY(%(ids)s)
          AND recipients <> '[]'::jsonb
          AND (state = %(pending)s OR (state = %(sending)s AND claimed_at < %(stale)s))
        RETURNING id, recipients, mail_subject, body_text, body_html, attempts, content_sha256,
                  claimed_at"""
    params: dict[str, Any] = {
        "ids": list(notice_ids),
        "now": now,
        "stale": now - timedelta(seconds=settings.NOTICE_SENDING_LEASE),
        "pending": Notice.State.PENDING,
        "sending": Notice.State.SENDING,
    }
    # raw(): the returned columns are mapped by name and converted (recipients is JSON).
    claimed = list(Notice.objects.raw(sql, params))
    claimed.sort(key=lambda n: n.pk)
    return claimed


def notice_claim(*, notice_id: int) -> Notice | None:
    """Claims the notice for one delivery attempt (``notices_claim``), or returns None if it
    is sent, failed or in flight elsewhere."""
    claimed = notices_claim(notice_ids=[notice_id])
    return claimed[0] if claimed else None


def _claim_one(notice_id: int) -> Notice | None:
    """``notices_claim``'s rule for one notice through the ORM (databases without RETURNING
    on ``ANY()``): a conditional UPDATE, then the row."""
    now = timezone.now()
    lease = timedelta(seconds=settings.NOTICE_SENDING_LEASE)
    claimable = Q(state=Notice.State.PENDING) | Q(
        state=Notice.State.SENDING, claimed_at__lt=now - lease
    )
    changed = (
        Notice.objects.filter(claimable, pk=notice_id)
        .exclude(recipients=[])
        .update(state=Notice.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if changed != 1:
        return None
    return Notice.objects.only(*_DELIVERY_FIELDS).get(pk=notice_id)


def _message_id(notice: Notice) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "cts.example.jp"
    return f"<notice.{notice.pk}.{notice.content_sha256[:16]}@{domain}>"


# One open SMTP connection per worker process, reused from notice to notice: connecting and
# greeting cost more than sending. Keyed by the backend settings so a change is honoured.
_open_connection: dict[tuple[str, str, int], BaseEmailBackend] = {}


def _mail_connection(*, check_alive: bool = True) -> BaseEmailBackend:
    key = (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        int(getattr(settings, "EMAIL_PORT", 0) or 0),
    )
    connection = _open_connection.pop(key, None)
    smtp = getattr(connection, "connection", None)
    if connection is not None and smtp is not None and check_alive:
        # The server may have dropped an idle connection; NOOP tells before anything is sent.
        try:
            alive = smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            _close_quietly(connection)
            connection = None
    if connection is None:
        connection = get_connection(timeout=settings.NOTICE_SMTP_TIMEOUT)
        connection.open()
    _open_connection[key] = connection
    return connection


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except Exception:
        logger.debug("closing a broken SMTP connection failed", exc_info=True)


def _send(notice: Notice, *, check_connection: bool) -> None:
    smtp = _mail_connection(check_alive=check_connection)
    message = EmailMultiAlternatives(
        subject=notice.mail_subject,
        body=notice.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(notice.recipients),
        connection=smtp,
        headers={
            # The same Message-ID on every copy: a crash-induced duplicate shows up as one.
            "Message-ID": _message_id(notice),
            "X-CTS-Notice-ID": str(notice.pk),
            "X-CTS-Content-SHA256": notice.content_sha256,
        },
    )
    if notice.body_html:
        message.attach_alternative(notice.body_html, "text/html")
    try:
        message.send()
    except Exception:
        # After a failure the connection's state is unknown: start afresh next time.
        for key, open_connection in list(_open_connection.items()):
            if open_connection is smtp:
                del _open_connection[key]
        _close_quietly(smtp)
        raise


def _is_permanent(exc: Exception) -> bool:
    """5xx answers from the server will not change on a retry; everything else might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def retry_delay(attempts: int) -> int:
    """Exponential backoff after ``attempts`` tries, never longer than the broker's
    visibility timeout (a longer countdown would be redelivered while still waiting)."""
    cap = max(1, settings.CELERY_BROKER_VISIBILITY_TIMEOUT - 60)
    delay: int = settings.NOTICE_RETRY_BACKOFF * 2 ** max(0, attempts - 1)
    return int(min(delay, cap))


def notice_deliver(*, notice_id: int) -> DeliveryOutcome:
    """One delivery attempt: claim, send the stored content to the stored recipients, and
    record the outcome. Runs outside any transaction on purpose: the claim must be visible
    to other workers before the (slow) SMTP conversation starts."""
    notice = notice_claim(notice_id=notice_id)
    if notice is None:
        return DeliveryOutcome("skipped")
    return _attempt(notice, check_connection=True)


# Notices per delivery task: enough to spread a task's and a claim's cost thin, few enough
# that a batch is done long before the claim's lease expires.
DELIVERY_BATCH = 50


def delivery_batches(notice_ids: Sequence[int]) -> Iterator[list[int]]:
    """The ids in batches of DELIVERY_BATCH: one task (one SMTP connection) each."""
    ids = list(notice_ids)
    for start in range(0, len(ids), DELIVERY_BATCH):
        yield ids[start : start + DELIVERY_BATCH]


def notices_deliver(*, notice_ids: Sequence[int]) -> dict[int, DeliveryOutcome]:
    """One delivery attempt for each of the notices: one claim for them all, one SMTP
    connection for them all, and each outcome recorded before the next notice is sent.
    Notices not claimed (sent, failed, in flight elsewhere) are "skipped"."""
    outcomes = {pk: DeliveryOutcome("skipped") for pk in notice_ids}
    # The claims must not outlive their lease while waiting their turn (a slow SMTP server):
    # past half of it, the rest are handed back and retried on their own.
    deadline = time.monotonic() + settings.NOTICE_SENDING_LEASE / 2
    with _records_without_flush_wait():
        claimed = notices_claim(notice_ids=notice_ids)
        for index, notice in enumerate(claimed):
            if time.monotonic() > deadline:
                for rest in _release(claimed[index:]):
                    outcomes[rest] = DeliveryOutcome("retry", retry_in=1)
                break
            outcomes[notice.pk] = _attempt(notice, check_connection=index == 0)
    return outcomes


def _release(notices: Sequence[Notice]) -> list[int]:
    """Hands claimed, unsent notices back (pending again, the attempt not counted), if the
    claim is still this one's; returns their ids."""
    released = []
    for notice in notices:
        changed = Notice.objects.filter(
            pk=notice.pk, state=Notice.State.SENDING, claimed_at=notice.claimed_at
        ).update(state=Notice.State.PENDING, claimed_at=None, attempts=F("attempts") - 1)
        if changed:
            released.append(notice.pk)
    return released


@contextmanager
def _records_without_flush_wait() -> Iterator[None]:
    """Commits of this session do not wait for the WAL flush (see the module docstring).
    Outside a transaction only: inside one, its commit decides."""
    active = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
    if active:
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if active:
            try:
                with db_connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
            except DatabaseError:
                # A broken session must not be reused with the setting still on.
                db_connection.close()


def _attempt(notice: Notice, *, check_connection: bool) -> DeliveryOutcome:
    """Sends a claimed notice and records the outcome."""
    try:
        _send(notice, check_connection=check_connection)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        base = Notice.objects.filter(pk=notice.pk, state=Notice.State.SENDING)
        if _is_permanent(exc) or notice.attempts >= settings.NOTICE_MAX_ATTEMPTS:
            base.update(state=Notice.State.FAILED, last_error=error, claimed_at=None)
            logger.warning(
                "notice %s failed after %s attempts: %s", notice.pk, notice.attempts, error
            )
            return DeliveryOutcome("failed")
        delay = retry_delay(notice.attempts)
        now = timezone.now()
        base.update(
            state=Notice.State.PENDING,
            last_error=error,
            claimed_at=None,
            next_attempt_at=now + timedelta(seconds=delay),
            # The retry message is due then; the sweep waits its grace period beyond that.
            queued_at=now + timedelta(seconds=delay),
        )
        logger.info(
            "notice %s attempt %s failed, retry in %ss: %s",
            notice.pk,
            notice.attempts,
            delay,
            error,
        )
        return DeliveryOutcome("retry", retry_in=delay)
    # The crash window described in the module docstring lies between send() and this UPDATE.
    Notice.objects.filter(pk=notice.pk).update(
        state=Notice.State.SENT,
        sent_at=timezone.now(),
        last_error="",
        claimed_at=None,
        next_attempt_at=None,
    )
    return DeliveryOutcome("sent")


def notices_requeue_due(*, limit: int = 5000, grace_seconds: int | None = None) -> list[int]:
    """The sweep: ids of notices whose delivery task may have been lost (pending and queued
    longer ago than the grace period, or past their retry time) and of notices a dead worker
    left in ``sending`` beyond the lease. Marks them queued now and returns them; two
    queries whatever their number."""
    now = timezone.now()
    if grace_seconds is None:
        grace_seconds = settings.NOTICE_SWEEP_GRACE
    grace = now - timedelta(seconds=grace_seconds)
    lease = now - timedelta(seconds=settings.NOTICE_SENDING_LEASE)
    pending = (
        Q(state=Notice.State.PENDING)
        & (Q(queued_at__isnull=True) | Q(queued_at__lt=grace))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    stuck = Q(state=Notice.State.SENDING, claimed_at__lt=lease)
    ids = list(
        Notice.objects.filter(pending | stuck)
        .exclude(recipients=[])
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Notice.objects.filter(pk__in=ids).update(queued_at=now)
    return ids
