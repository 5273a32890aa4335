"""The outbox (Art. 16): a notice is a row first, created in the transaction of the event it
reports, unique per (customer, kind, subject, period); its delivery is queued after the
commit. Also staff retries and the per-person read marker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from accounts.staff import require_staff_permission
from notices.models import PERSONAL_KINDS, Notice, NoticeRead

from .delivery import delivery_batches
from .rendering import notice_fill, notices_fill_many


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


def notices_queue_delivery(notice_ids: Sequence[int]) -> None:
    """Publishes the delivery of these notices now: one task per DELIVERY_BATCH of them."""
    from notices.tasks import notices_deliver

    for batch in delivery_batches(notice_ids):
        notices_deliver.delay(batch)


def _queue_delivery(notice_ids: list[int]) -> None:
    """Queues the delivery of the notices once the surrounding transaction commits; a
    rolled-back event queues nothing."""
    if not notice_ids:
        return
    transaction.on_commit(lambda: notices_queue_delivery(notice_ids))


def notices_created_pending(*, kind: str, created_at: datetime) -> list[int]:
    """Ids of the pending notices of ``kind`` created at exactly ``created_at`` (the notices a
    job inserted in SQL, ``notices_insert_sql``, all stamped with the job's ``now``)."""
    return list(
        Notice.objects.filter(
            kind=kind, created_at=created_at, state=Notice.State.PENDING
        ).values_list("pk", flat=True)
    )


def notices_queue_created(*, kind: str, created_at: datetime) -> None:
    """Once the surrounding transaction commits, queues one task that looks up the notices
    of ``kind`` created at ``created_at`` and queues their delivery: the job that inserted
    them in SQL never holds their ids (its memory stays the same whatever their number). A
    rolled-back job queues nothing; a lost message is the sweep's, as always."""
    from notices.tasks import notices_deliver_created

    transaction.on_commit(lambda: notices_deliver_created.delay(kind, created_at.isoformat()))


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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))::regclass)"
            " FROM generate_series(1, %s)",
            [Notice._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


# Notices rendered and inserted at a time by notices_create_many: bounds its memory.
NOTICE_CHUNK = 2000


@transaction.atomic
def notices_create_many(
    *,
    kind: Notice.Kind,
    clause: Clause,
    items: Iterable[NoticeItem],
    actor: User | None = None,
) -> int:
    """Notices of one kind to many customers, each with its own subject, period and
    context. Set-wise: NOTICE_CHUNK notices at a time, each chunk
    in four queries (recipients, ids, one INSERT ... ON CONFLICT DO NOTHING, one read back
    of the ids) and rendered once for the chunk (``notices_fill_many``): the queries do not
    grow with the number of notices in a chunk, and the memory is bounded by the chunk.
    Items whose (customer, kind, subject, period) was already notified are skipped: a
    repeated or concurrent job sends nothing twice. Returns how many notices this call created."""
    if kind not in Notice.Kind.values:
        raise ValueError(f"Unknown notice kind: {kind}")
    created = 0
    chunk: list[NoticeItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == NOTICE_CHUNK:
            created += _notices_create_chunk(kind=kind, clause=clause, items=chunk, actor=actor)
            chunk = []
    if chunk:
        created += _notices_create_chunk(kind=kind, clause=clause, items=chunk, actor=actor)
    return created


def _notices_create_chunk(
    *, kind: Notice.Kind, clause: Clause, items: list[NoticeItem], actor: User | None
) -> int:
    if connection.vendor != "postgresql":
        # SQLite (``make run``) has no sequences to draw from: one notice at a time.
        before = set(Notice.objects.filter(kind=kind).values_list("pk", flat=True))
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
        return len({n.pk for n in made} - before)
    recipients = _recipients_by_customer(customer_ids=sorted({i.customer.pk for i in items}))
    now = timezone.now()
    rows: dict[str, tuple[NoticeItem, Notice]] = {}
    for item in items:
        subject_type, subject_id = _subject_key(item.subject)
        notice = _notice_unsent(
            customer=item.customer,
            kind=kind,
            clause=clause,
            subject_type=subject_type,
            subject_id=subject_id,
            period=item.period,
            recipients=recipients.get(item.customer.pk, []),
            language=item.customer.language or Notice.Language.JA,
            actor=actor,
            now=now,
        )
        rows.setdefault(notice.dedupe_key, (item, notice))
    for (_item, notice), pk in zip(rows.values(), _allocate_notice_ids(len(rows)), strict=True):
        notice.pk = pk
    # Rendered after the ids are drawn so the text can link to the notice's own page.
    notices_fill_many([(notice, item.customer, item.context) for item, notice in rows.values()])
    notices = [notice for _item, notice in rows.values()]
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
    inserted = set(
        Notice.objects.filter(pk__in=[n.pk for n in notices]).values_list("pk", flat=True)
    )
    _queue_delivery([n.pk for n in notices if n.pk in inserted and n.state == Notice.State.PENDING])
    return len(inserted)


@transaction.atomic
def notice_retry(*, notice: Notice, actor: User | None, request: Any = None) -> bool:
    """Staff: gives a failed notice a fresh round of attempts. Returns False (and does
    nothing) unless the notice is failed and has recipients."""
    if actor is not None:
        require_staff_permission(
            actor,
            "notices.change_notice",
            _("Only staff entitled to manage the notices may retry a delivery."),
        )
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
