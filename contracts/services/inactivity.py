"""The inactivity rule (Art. 12(1)(5)): a customer with no use for three calendar months is
contacted with a signed "we are still using it" link; an unanswered contact puts it on
staff's revocation queue. Nothing is revoked automatically (that is ``standing``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer
from notices.models import Notice
from notices.services import (
    NoticeItem,
    Sql,
    notices_create_many,
    notices_insert_sql,
)

from . import jobs
from .jobs import (
    JOIN_DUE,
    JobResult,
    audit_insert_sql,
    audit_many,
    job_run_in_chunks,
    job_run_in_sql,
    sql_isoformat,
)
from .lifecycle_common import (
    add_months,
    local_date,
    lock_customer,
    start_of_day,
)

S = Customer.Status
# The salt of the signed "we are still using it" links.
_LINK_SALT = "contracts.inactivity"


# --- inactivity (Art. 12(1)(5)) ---------------------------------------------------------------


def inactivity_cutoff(today: date) -> datetime:
    """The instant before which a last use makes a customer inactive on ``today``: no use
    for three calendar months means last use on a day D with D + 3 months ≤ today (in
    Asia/Tokyo). Because D ↦ D + 3 months is monotonic, those days are a prefix: this is
    the start of the first day that is not in it."""
    last = add_months(today, -3)
    while add_months(last + timedelta(days=1), 3) <= today:
        last += timedelta(days=1)
    return start_of_day(last + timedelta(days=1))


def _last_use() -> Greatest:
    # A company that never signed in counts from its registration; an answer to the
    # contact ("we are still using it") restarts the three months.
    return Greatest(
        Coalesce("last_activity_at", "created_at"),
        Coalesce("inactivity_answered_at", "created_at"),
        Coalesce("status_changed_at", "created_at"),
    )


# ``_last_use()`` of the row ``t`` in SQL (the flagging job returns it from its UPDATE).
_LAST_USE_SQL = (
    "GREATEST(COALESCE(t.last_activity_at, t.created_at),"
    " COALESCE(t.inactivity_answered_at, t.created_at),"
    " COALESCE(t.status_changed_at, t.created_at))"
)


def inactivity_token(customer: Customer) -> str:
    """The signed value of the one-click "we are still using it" link of one contact."""
    contacted = customer.inactivity_contacted_at
    return signing.dumps(
        {"c": customer.pk, "t": contacted.isoformat() if contacted else ""},
        salt=_LINK_SALT,
    )


def inactivity_confirm_url(customer: Customer) -> str:
    return settings.SITE_URL + reverse(
        "lifecycle:inactivity_confirm", args=[inactivity_token(customer)]
    )


def inactivity_customer_for_token(token: str) -> Customer | None:
    """The customer whose current contact the token answers, or None (bad, expired, from an
    earlier contact, or the registration has ended: a revoked or cancelled company cannot
    tell us it still uses the service)."""
    max_age = timedelta(days=settings.INACTIVITY_REPLY_DAYS + 365)
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    customer = Customer.objects.filter(pk=data.get("c")).first()
    if customer is None or customer.inactivity_contacted_at is None:
        return None
    if customer.has_ended:
        return None
    if customer.inactivity_contacted_at.isoformat() != data.get("t"):
        return None
    return customer


@transaction.atomic
def inactivity_answer(*, token: str, request: HttpRequest | None = None) -> Customer:
    """The customer answers the inactivity contact: the flag is cleared, the customer leaves
    the revocation queue, and the three months start again."""
    customer = inactivity_customer_for_token(token)
    if customer is None:
        raise ValidationError(_("This link is no longer valid."), code="invalid_link")
    locked = lock_customer(customer)
    if locked.inactivity_contacted_at is None:
        return locked
    now = timezone.now()
    extra = {"contacted_at": locked.inactivity_contacted_at.isoformat()}
    locked.inactivity_answered_at = now
    locked.inactivity_contacted_at = None
    locked.inactivity_escalated_at = None
    locked.save(
        update_fields=[
            "inactivity_answered_at",
            "inactivity_contacted_at",
            "inactivity_escalated_at",
            "updated_at",
        ]
    )
    audit_record(
        action="contracts.inactivity.answered",
        customer=locked,
        target=locked,
        clause=Clause.ART12_1_5,
        request=request,
        actor_label="customer (signed link)",
        extra=extra,
    )
    return locked


def inactivity_flag_active() -> Q:
    """Contacted and not used since (any use after the contact clears the flag)."""
    return Q(inactivity_contacted_at__isnull=False) & (
        Q(last_activity_at__isnull=True)
        | Q(last_activity_at__lte=models.F("inactivity_contacted_at"))
    )


def customers_flag_inactive(*, now: datetime | None = None) -> JobResult:
    """Daily (Art. 12(1)(5)): clears the flag of customers who used the service since the
    contact, then flags active customers with no use for three calendar months and sends
    each the inactivity_contact notice with a signed "we are still using it" link. Never
    revokes. On PostgreSQL the flagging, its audit and the notices are one statement
    (``job_run_in_sql``)."""
    now = now or timezone.now()
    Customer.objects.filter(inactivity_contacted_at__isnull=False).exclude(
        inactivity_flag_active()
    ).update(inactivity_contacted_at=None, inactivity_escalated_at=None)
    cutoff = inactivity_cutoff(local_date(now))
    reply_by = now + timedelta(days=settings.INACTIVITY_REPLY_DAYS)

    def due() -> models.QuerySet[Any]:
        return (
            Customer.objects.select_for_update(skip_locked=True)
            .annotate(last_use=_last_use())
            .filter(status=S.ACTIVE, inactivity_contacted_at__isnull=True, last_use__lt=cutoff)
        )

    if not jobs.in_sql():
        return _flag_in_chunks(due, now=now, reply_by=reply_by)
    result = job_run_in_sql(
        due=lambda: due().order_by("pk").values("pk"),
        change=Sql(
            f"UPDATE {Customer._meta.db_table} t SET inactivity_contacted_at = %s"  # noqa: S608
            f" {JOIN_DUE} RETURNING t.id AS customer_id, t.id AS target_id,"
            f" t.name, '' AS subject_id, %s::text AS period, {_LAST_USE_SQL} AS last_use, ",
            now,
            now.isoformat(),
        )
        .extend(_confirm_url_sql(now))
        .add(" AS confirm_url"),
        audits=[
            audit_insert_sql(
                action="contracts.inactivity.contacted",
                clause=Clause.ART12_1_5,
                target_type=Customer,
                target_repr="s.name",
                extra=f"jsonb_build_object('last_use', {sql_isoformat('s.last_use')})",
            )
        ],
        notices=notices_insert_sql(
            kind=Notice.Kind.INACTIVITY_CONTACT,
            clause=Clause.ART12_1_5,
            source=Sql("changed"),
            columns={"last_use": "last_use", "confirm_url": "confirm_url"},
            context={"reply_by": reply_by},
            now=now,
        ),
    )
    return result


def _confirm_url_sql(contacted_at: datetime) -> Sql:
    """``inactivity_confirm_url`` of the row ``t`` (a customer contacted at
    ``contacted_at``) in SQL: the same ``signing.dumps`` token, its HMAC-SHA256 computed by
    the database from the salted key's inner and outer pads (RFC 2104), so the link reads
    exactly as one signed in Python at the same second."""
    signer = signing.TimestampSigner(salt=_LINK_SALT)
    key = hashlib.sha256(force_bytes(f"{_LINK_SALT}signer") + force_bytes(signer.key)).digest()
    key = key.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in key)
    outer = bytes(b ^ 0x5C for b in key)
    payload = Sql(
        "rtrim(translate(encode(convert_to('{\"c\":' || t.id::text || %s, 'UTF8'),"
        " 'base64'), E'+/\\n', '-_'), '=') || ':' || %s",
        f',"t":"{contacted_at.isoformat()}"}}',
        signer.timestamp(),
    )
    signature = Sql(
        "rtrim(translate(encode(sha256(%s::bytea || sha256(%s::bytea || convert_to(", outer, inner
    )
    signature.extend(payload).add(", 'UTF8'))), 'base64'), E'+/\\n', '-_'), '=')")
    prefix, suffix = (
        settings.SITE_URL + reverse("lifecycle:inactivity_confirm", args=["TOKEN"])
    ).split("TOKEN")
    return (
        Sql("(%s || ", prefix)
        .extend(payload)
        .add(" || ':' || ")
        .extend(signature)
        .add(" || %s)", suffix)
    )


def _flag_in_chunks(
    due: Callable[[], models.QuerySet[Any]], *, now: datetime, reply_by: datetime
) -> JobResult:
    """The flagging on a database without data-modifying CTEs (SQLite, ``make run``)."""

    def act(due: list[Any]) -> JobResult:
        # Customers annotated with ``last_use``.
        Customer.objects.filter(pk__in=[c.pk for c in due]).update(inactivity_contacted_at=now)
        for customer in due:
            customer.inactivity_contacted_at = now
        created = notices_create_many(
            kind=Notice.Kind.INACTIVITY_CONTACT,
            clause=Clause.ART12_1_5,
            items=[
                NoticeItem(
                    customer=c,
                    period=now.isoformat(),
                    context={
                        "last_use": c.last_use,
                        "reply_by": reply_by,
                        "confirm_url": inactivity_confirm_url(c),
                    },
                )
                for c in due
            ],
        )
        audit_many(
            action="contracts.inactivity.contacted",
            clause=Clause.ART12_1_5,
            rows=[(c.pk, c, {"last_use": c.last_use.isoformat()}) for c in due],
        )
        return JobResult(len(due), created)

    return job_run_in_chunks(due=due, act=act)


def inactivity_escalate_unanswered(*, now: datetime | None = None) -> JobResult:
    """Daily: a contact left unanswered (no answer, no use) for INACTIVITY_REPLY_DAYS puts
    the customer on staff's revocation queue. Staff decide; nothing is revoked here. On
    PostgreSQL one statement (``job_run_in_sql``)."""
    now = now or timezone.now()
    deadline = now - timedelta(days=settings.INACTIVITY_REPLY_DAYS)

    def due() -> models.QuerySet[Customer]:
        return (
            Customer.objects.select_for_update(skip_locked=True)
            .filter(inactivity_flag_active())
            .filter(
                status=S.ACTIVE,
                inactivity_escalated_at__isnull=True,
                inactivity_contacted_at__lte=deadline,
            )
        )

    if jobs.in_sql():
        return job_run_in_sql(
            due=lambda: due().order_by("pk").values("pk"),
            change=Sql(
                f"UPDATE {Customer._meta.db_table} t SET inactivity_escalated_at = %s"  # noqa: S608
                f" {JOIN_DUE} RETURNING t.id AS customer_id,"
                " t.id AS target_id, t.name, t.inactivity_contacted_at",
                now,
            ),
            audits=[
                audit_insert_sql(
                    action="contracts.inactivity.escalated",
                    clause=Clause.ART12_1_5,
                    target_type=Customer,
                    target_repr="s.name",
                    extra="jsonb_build_object('contacted_at', "
                    f"{sql_isoformat('s.inactivity_contacted_at')})",
                )
            ],
        )

    def act(due: list[Customer]) -> JobResult:
        Customer.objects.filter(pk__in=[c.pk for c in due]).update(inactivity_escalated_at=now)
        audit_many(
            action="contracts.inactivity.escalated",
            clause=Clause.ART12_1_5,
            rows=[
                (c.pk, c, {"contacted_at": c.inactivity_contacted_at.isoformat()})  # type: ignore[union-attr]
                for c in due
            ],
        )
        return JobResult(len(due), 0)

    return job_run_in_chunks(due=due, act=act)


def revocation_queue() -> models.QuerySet[Customer]:
    """Customers staff should consider revoking on ground Art. 12(1)(5)."""
    return Customer.objects.filter(inactivity_flag_active()).filter(
        inactivity_escalated_at__isnull=False, status=S.ACTIVE
    )
