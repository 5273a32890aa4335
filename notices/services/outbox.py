"""The outbox (Art. 16): a notice is a row first, created in the transaction of the event it
reports, unique per (customer, kind, subject, period); its delivery is queued after the
commit. Also staff retries and the per-person read marker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from notices.models import PERSONAL_KINDS, Notice, NoticeRead

from .rendering import notice_fill


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
        from notices.tasks import notice_deliver

        for notice_id in notice_ids:
            notice_deliver.delay(notice_id)

    transaction.on_commit(publish)


# The content digest of a notice inserted but not yet rendered.
UNRENDERED = "0" * 64
# What rendering (notice_fill) writes onto an inserted notice.
RENDERED_FIELDS = [
    "mail_subject",
    "body_text",
    "body_html",
    "content_sha256",
    "state",
    "last_error",
]


def _notice_unsent(
    *,
    customer: Customer | None,
    kind: Notice.Kind,
    clause: Clause,
    subject_type: ContentType | None,
    subject_id: str,
    period: str,
    recipients: list[str],
    language: str,
    actor: User | None,
    now: datetime,
) -> Notice:
    """A notice row before its insert: keyed for deduplication, content still to render."""
    return Notice(
        customer=customer,
        kind=kind,
        clause=clause,
        subject_type=subject_type,
        subject_id=subject_id,
        period=period,
        dedupe_key=Notice.dedupe_key_for(
            customer_id=customer.pk if customer is not None else None,
            kind=kind,
            subject_type_id=subject_type.pk if subject_type else None,
            subject_id=subject_id,
            period=period,
        ),
        recipients=recipients,
        language=language,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        queued_at=now,
        content_sha256=UNRENDERED,
    )


@transaction.atomic
def notice_create(
    *,
    customer: Customer | None,
    kind: Notice.Kind,
    clause: Clause,
    subject: models.Model | None = None,
    period: str = "",
    context: dict[str, Any] | None = None,
    recipients: list[str] | None = None,
    language: str | None = None,
    actor: User | None = None,
) -> Notice:
    """Creates the notice of an event, inside the event's transaction, and queues its
    delivery for after the commit. A second call with the same (customer, kind, subject,
    period) returns the existing notice and sends nothing (Art. 16: each notice once).

    ``customer`` is None only for the PERSONAL_KINDS (to staff, or to a person without a
    company); such a notice names its ``recipients`` and is kept in the same ledger."""
    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    if customer is None and (kind not in PERSONAL_KINDS or recipients is None):
        raise ValueError(f"A {kind} notice needs a customer (or is personal, with recipients).")
    subject_type, subject_id = _subject_key(subject)
    if recipients is None:
        assert customer is not None
        recipients = notice_default_recipients(customer=customer)
    notice = _notice_unsent(
        customer=customer,
        kind=kind,
        clause=clause,
        subject_type=subject_type,
        subject_id=subject_id,
        period=period,
        recipients=list(recipients),
        language=language or (customer.language if customer else "") or Notice.Language.JA,
        actor=actor,
        now=timezone.now(),
    )
    key = notice.dedupe_key
    existing = Notice.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
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
    notice_fill(notice, customer=customer, context=context)
    notice.save(update_fields=RENDERED_FIELDS)
    if notice.state == Notice.State.PENDING:
        _queue_delivery([notice.pk])
    return notice


@transaction.atomic
def notices_create_bulk(
    *,
    customers: list[Customer],
    kind: Notice.Kind,
    clause: Clause,
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
        notice = _notice_unsent(
            customer=customer,
            kind=kind,
            clause=clause,
            subject_type=subject_type,
            subject_id=subject_id,
            period=period,
            recipients=recipients.get(customer.pk, []),
            language=customer.language or Notice.Language.JA,
            actor=actor,
            now=now,
        )
        if notice.dedupe_key in by_key:
            continue
        by_key[notice.dedupe_key] = customer
        rows.append(notice)
    # Rows that already existed are left alone; the marker below finds only ours.
    marker = UNRENDERED
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notice.objects.filter(dedupe_key__in=list(by_key), content_sha256=marker, created_at=now)
    )
    for notice in created:
        notice_fill(notice, customer=by_key[notice.dedupe_key], context=context)
    Notice.objects.bulk_update(
        created,
        RENDERED_FIELDS,
        batch_size=500,
    )
    _queue_delivery([n.pk for n in created if n.state == Notice.State.PENDING])
    return created


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
        clause=Clause.ART16,
        request=request,
        extra=previous,
    )
    _queue_delivery([locked.pk])
    return True


def notice_mark_read(*, notice: Notice, user: User) -> None:
    """Records that ``user`` has read ``notice`` (each person has their own marker)."""
    NoticeRead.objects.bulk_create([NoticeRead(notice=notice, user=user)], ignore_conflicts=True)
