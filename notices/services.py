"""Writes of the notices app: creating notices (the only way the portal says anything to a
customer, Art. 16), delivering them, and staff retries.

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
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User

from .models import Notice, NoticeRead, content_digest

logger = logging.getLogger(__name__)


def notice_default_recipients(*, customer: Customer) -> list[str]:
    """E-mails of the customer's owner and active members, owner first."""
    return _recipients_by_customer(customer_ids=[customer.pk]).get(customer.pk, [])


def _recipients_by_customer(*, customer_ids: list[int]) -> dict[int, list[str]]:
    # "owner" sorts after "member", so descending role puts the owner first.
    rows = (
        Membership.objects.filter(customer_id__in=customer_ids, user__is_active=True)
        .order_by("customer_id", "-role", "created_at", "pk")
        .values_list("customer_id", "user__email")
    )
    result: dict[int, list[str]] = {}
    for customer_id, email in rows:
        result.setdefault(customer_id, []).append(email)
    return result


def _render(
    *, notice: Notice, customer: Customer, context: dict[str, Any] | None
) -> tuple[str, str, str]:
    """Renders subject, text and HTML for the notice's kind and language. Subject and text
    are rendered without HTML escaping (they are plain text)."""
    base = f"emails/{notice.kind}.{notice.language}"
    full_context: dict[str, Any] = {
        "customer": customer,
        "notice": notice,
        "site_url": settings.SITE_URL,
        "notice_url": settings.SITE_URL + reverse("notices:detail", args=[notice.pk]),
        "clause_label": Clause.label_for(notice.clause, notice.language),
        "language": notice.language,
        **(context or {}),
    }
    with translation.override(notice.language):
        subject_tpl = get_template(f"{base}.subject.txt")
        text_tpl = get_template(f"{base}.txt")
        html_tpl = get_template(f"{base}.html")
        # The backend wrappers always autoescape; plain-text parts use the raw template.
        subject = subject_tpl.template.render(Context(full_context, autoescape=False))  # type: ignore[attr-defined]
        subject = " ".join(subject.split())[:300]
        # The bodies may show the subject (the HTML <title> does).
        notice.mail_subject = subject
        text = text_tpl.template.render(Context(full_context, autoescape=False))  # type: ignore[attr-defined]
        html = html_tpl.render(full_context)
    return subject, text.strip() + "\n", html


def _subject_key(subject: models.Model | None) -> tuple[ContentType | None, str]:
    if subject is None:
        return None, ""
    if subject.pk is None:
        raise ValueError("The subject of a notice must be saved first.")
    return ContentType.objects.get_for_model(subject), str(subject.pk)


def _queue_delivery(notice_ids: list[int]) -> None:
    """Queues one delivery task per notice once the surrounding transaction commits; a
    rolled-back event queues nothing."""
    if not notice_ids:
        return

    def publish() -> None:
        from .tasks import notice_deliver

        for notice_id in notice_ids:
            notice_deliver.delay(notice_id)

    transaction.on_commit(publish)


def _fill(notice: Notice, *, customer: Customer, context: dict[str, Any] | None) -> None:
    subject, text, html = _render(notice=notice, customer=customer, context=context)
    notice.mail_subject = subject
    notice.body_text = text
    notice.body_html = html
    notice.content_sha256 = content_digest(mail_subject=subject, body_text=text, body_html=html)
    if not notice.recipients:
        # Kept as evidence that a notice was due; staff see it among the failed ones.
        notice.state = Notice.State.FAILED
        notice.last_error = "No recipient address."


@transaction.atomic
def notice_create(
    *,
    customer: Customer,
    kind: str,
    clause: str,
    subject: models.Model | None = None,
    period: str = "",
    context: dict[str, Any] | None = None,
    recipients: list[str] | None = None,
    language: str | None = None,
    actor: User | None = None,
) -> Notice:
    """Creates the notice of an event, inside the event's transaction, and queues its
    delivery for after the commit. A second call with the same (customer, kind, subject,
    period) returns the existing notice and sends nothing (Art. 16: each notice once)."""
    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    subject_type, subject_id = _subject_key(subject)
    key = Notice.dedupe_key_for(
        customer_id=customer.pk,
        kind=kind,
        subject_type_id=subject_type.pk if subject_type else None,
        subject_id=subject_id,
        period=period,
    )
    existing = Notice.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    notice = Notice(
        customer=customer,
        kind=kind,
        clause=clause,
        subject_type=subject_type,
        subject_id=subject_id,
        period=period,
        dedupe_key=key,
        recipients=list(recipients)
        if recipients is not None
        else notice_default_recipients(customer=customer),
        language=language or customer.language or Notice.Language.JA,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        queued_at=timezone.now(),
        content_sha256="0" * 64,
    )
    notice.full_clean(exclude=["dedupe_key", "content_sha256"], validate_unique=False)
    try:
        # INSERT under a savepoint: if a racing transaction committed the same key first,
        # PostgreSQL makes this one wait for it and then raise, and we return its row.
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:
        existing = Notice.objects.filter(dedupe_key=key).first()
        if existing is None:
            raise
        return existing
    # Rendered after the insert so the text can link to the notice's own page.
    _fill(notice, customer=customer, context=context)
    notice.save(
        update_fields=[
            "mail_subject",
            "body_text",
            "body_html",
            "content_sha256",
            "state",
            "last_error",
        ]
    )
    if notice.state == Notice.State.PENDING:
        _queue_delivery([notice.pk])
    return notice


@transaction.atomic
def notices_create_bulk(
    *,
    customers: list[Customer],
    kind: str,
    clause: str,
    subject: models.Model | None = None,
    period: str = "",
    context: dict[str, Any] | None = None,
    actor: User | None = None,
) -> list[Notice]:
    """The same notice to many customers (a terms change, a service end) in a few queries
    whatever their number: one for recipients, one INSERT ... ON CONFLICT DO NOTHING, one
    read back, one bulk UPDATE of the rendered content. Customers already notified under the
    same key are skipped; returns the notices created by this call."""
    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    if not customers:
        return []
    subject_type, subject_id = _subject_key(subject)
    recipients = _recipients_by_customer(customer_ids=[c.pk for c in customers])
    now = timezone.now()
    by_key: dict[str, Customer] = {}
    rows = []
    for customer in customers:
        key = Notice.dedupe_key_for(
            customer_id=customer.pk,
            kind=kind,
            subject_type_id=subject_type.pk if subject_type else None,
            subject_id=subject_id,
            period=period,
        )
        if key in by_key:
            continue
        by_key[key] = customer
        rows.append(
            Notice(
                customer=customer,
                kind=kind,
                clause=clause,
                subject_type=subject_type,
                subject_id=subject_id,
                period=period,
                dedupe_key=key,
                recipients=recipients.get(customer.pk, []),
                language=customer.language or Notice.Language.JA,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                created_at=now,
                queued_at=now,
                content_sha256="0" * 64,
            )
        )
    # Rows that already existed are left alone; the marker below finds only ours.
    marker = "0" * 64
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notice.objects.filter(dedupe_key__in=list(by_key), content_sha256=marker, created_at=now)
    )
    for notice in created:
        _fill(notice, customer=by_key[notice.dedupe_key], context=context)
    Notice.objects.bulk_update(
        created,
        ["mail_subject", "body_text", "body_html", "content_sha256", "state", "last_error"],
        batch_size=500,
    )
    _queue_delivery([n.pk for n in created if n.state == Notice.State.PENDING])
    return created


@dataclass(frozen=True)
class NoticeItem:
    """One notice of a set-based batch: to whom, about what, for which period, and the
    context of its text (a reminder date, a signed link...)."""

    customer: Customer
    subject: models.Model | None = None
    period: str = ""
    context: dict[str, Any] | None = None


def _allocate_notice_ids(count: int) -> list[int]:
    """``count`` primary keys from the table's sequence in one query, so that each notice
    can be rendered (its text links to its own page) before the single INSERT."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Notice._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def notices_create_many(
    *, kind: str, clause: str, items: list[NoticeItem], actor: User | None = None
) -> list[Notice]:
    """Notices of one kind to many customers, each with its own subject, period and
    context, in a fixed number of queries whatever their number (recipients, ids, one
    INSERT ... ON CONFLICT DO NOTHING, one read back). Items whose (customer, kind, subject,
    period) was already notified are skipped: a repeated or concurrent job sends nothing
    twice. Returns the notices created by this call."""
    from django.db import connection

    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    if not items:
        return []
    if connection.vendor != "postgresql":
        # SQLite (``make run``) has no sequences to draw from: one notice at a time.
        before = {n.pk for n in Notice.objects.filter(kind=kind)}
        made = [
            notice_create(
                customer=item.customer,
                kind=kind,
                clause=clause,
                subject=item.subject,
                period=item.period,
                context=item.context,
                actor=actor,
            )
            for item in items
        ]
        return [n for n in made if n.pk not in before]
    recipients = _recipients_by_customer(customer_ids=sorted({i.customer.pk for i in items}))
    now = timezone.now()
    rows: dict[str, Notice] = {}
    pending: list[tuple[NoticeItem, Notice]] = []
    for item in items:
        subject_type, subject_id = _subject_key(item.subject)
        key = Notice.dedupe_key_for(
            customer_id=item.customer.pk,
            kind=kind,
            subject_type_id=subject_type.pk if subject_type else None,
            subject_id=subject_id,
            period=item.period,
        )
        if key in rows:
            continue
        notice = Notice(
            customer=item.customer,
            kind=kind,
            clause=clause,
            subject_type=subject_type,
            subject_id=subject_id,
            period=item.period,
            dedupe_key=key,
            recipients=recipients.get(item.customer.pk, []),
            language=item.customer.language or Notice.Language.JA,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            created_at=now,
            queued_at=now,
        )
        rows[key] = notice
        pending.append((item, notice))
    for (item, notice), pk in zip(pending, _allocate_notice_ids(len(pending)), strict=True):
        notice.pk = pk
        _fill(notice, customer=item.customer, context=item.context)
    Notice.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    inserted = set(
        Notice.objects.filter(pk__in=[n.pk for n in rows.values()]).values_list("pk", flat=True)
    )
    created = [n for n in rows.values() if n.pk in inserted]
    _queue_delivery([n.pk for n in created if n.state == Notice.State.PENDING])
    return created


# --- delivery ------------------------------------------------------------------------------


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


@transaction.atomic
def notice_retry(*, notice: Notice, actor: User | None, request: Any = None) -> bool:
    """Staff: gives a failed notice a fresh round of attempts. Returns False (and does
    nothing) unless the notice is failed and has recipients."""
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if locked.state != Notice.State.FAILED or not locked.recipients:
        return False
    previous = {"attempts": locked.attempts, "last_error": locked.last_error}
    locked.state = Notice.State.PENDING
    locked.attempts = 0
    locked.next_attempt_at = None
    locked.claimed_at = None
    locked.queued_at = timezone.now()
    locked.full_clean(validate_unique=False)
    locked.save(update_fields=["state", "attempts", "next_attempt_at", "claimed_at", "queued_at"])
    audit_record(
        action="notices.notice.retried",
        actor=actor,
        customer=locked.customer,
        target=locked,
        clause="art16",
        request=request,
        extra=previous,
    )
    _queue_delivery([locked.pk])
    return True


def notice_mark_read(*, notice: Notice, user: User) -> None:
    """Records that ``user`` has read ``notice`` (each person has their own marker)."""
    NoticeRead.objects.bulk_create([NoticeRead(notice=notice, user=user)], ignore_conflicts=True)
