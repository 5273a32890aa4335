"""Delivery of notices: one attempt per task, claimed, sent, recorded, retried with backoff.

Delivery guarantees: a notice is claimed with a conditional UPDATE (pending → sending), so two
workers, a redelivered message and the sweep can never both send it. The one window left is
a worker killed after the SMTP server accepted the message and before ``sent`` is recorded:
once the lease (NOTICE_SENDING_LEASE) expires the notice is claimed and sent again, so a
crash may cost at most one extra copy per killed delivery. Every copy carries the same
Message-ID, so most mail clients show them as one."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Q
from django.utils import timezone

from notices.models import Notice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a delivery attempt did. ``retry_in`` is set when the task should try again."""

    status: str  # "sent", "skipped", "retry", "failed"
    retry_in: int | None = None


def notice_claim(*, notice_id: int) -> Notice | None:
    """Claims the notice for one delivery attempt, or returns None if it is sent, failed or
    in flight elsewhere. A conditional UPDATE: of any number of concurrent callers exactly
    one changes the row. A ``sending`` claim older than the lease is a dead worker's."""
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
    return Notice.objects.only(
        "id", "recipients", "mail_subject", "body_text", "body_html", "attempts", "content_sha256"
    ).get(pk=notice_id)


def _message_id(notice: Notice) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "cts.example.jp"
    return f"<notice.{notice.pk}.{notice.content_sha256[:16]}@{domain}>"


# One open SMTP connection per worker process, reused from notice to notice: connecting and
# greeting cost more than sending. Keyed by the backend settings so a change is honoured.
_open_connection: dict[tuple[str, str, int], BaseEmailBackend] = {}


def _mail_connection() -> BaseEmailBackend:
    key = (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        int(getattr(settings, "EMAIL_PORT", 0) or 0),
    )
    connection = _open_connection.pop(key, None)
    smtp = getattr(connection, "connection", None)
    if connection is not None and smtp is not None:
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


def _send(notice: Notice) -> None:
    connection = _mail_connection()
    message = EmailMultiAlternatives(
        subject=notice.mail_subject,
        body=notice.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(notice.recipients),
        connection=connection,
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
            if open_connection is connection:
                del _open_connection[key]
        _close_quietly(connection)
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
    try:
        _send(notice)
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
