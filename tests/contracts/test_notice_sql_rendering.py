"""The lifecycle jobs' notices rendered by the database (notices_insert_sql): each stored
notice holds exactly what a notice rendered alone in Python holds (subject, text, HTML,
SHA-256, recipients, state), in both languages, whatever the company's name contains."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.templatetags.tz import do_timezone
from django.utils import timezone

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, Membership, User
from contracts.models import Cancellation, ReturnItem, ServiceEnd, ServiceInterruption
from contracts.services import return_lists
from notices.models import Notice
from notices.services import Sql, SqlRenderingUnsupported, notices_insert_sql
from notices.services.rendering import notice_fill
from notices.services.sql_rendering import to_char_format
from tests.factories import StaffFactory, valid_corporate_number

T0 = datetime(2026, 11, 30, 3, 0, 7, 120000, tzinfo=UTC)
NAMES = [
    ("株式会社エー建設 <&> \"'", "ja"),
    ("B & Sons <Construction>", "en"),
    ("\u3000株式会社 シー\u3000工務店 ", "ja"),
    ("No Recipient Ltd.", "en"),
]


def _customers() -> list[Customer]:
    customers = []
    for index, (name, language) in enumerate(NAMES):
        customer = Customer.objects.create(
            name=name, language=language, corporate_number=valid_corporate_number(9100 + index)
        )
        if index != 3:
            owner = User.objects.create_user(f"owner{index}@sql.example.jp", "x")
            Membership.objects.create(user=owner, customer=customer, role="owner")
            member = User.objects.create_user(f"member{index}@sql.example.jp", "x")
            Membership.objects.create(user=member, customer=customer, role="member")
            gone = User.objects.create_user(f"gone{index}@sql.example.jp", "x", is_active=False)
            Membership.objects.create(user=gone, customer=customer, role="member")
        customers.append(customer)
    return customers


def _values(rows: list[list[Any]], columns: str, types: list[str]) -> Sql:
    """A source relation of literal rows: ``(SELECT * FROM (VALUES ...) v(columns))``."""
    row_sql = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    sql = Sql("(SELECT * FROM (VALUES " + ", ".join([row_sql] * len(rows)) + f") v({columns}))")  # noqa: S608
    for row in rows:
        sql.params.extend(row)
    return sql


def _insert(kind: str, clause: str, source: Sql, **kwargs: Any) -> int:
    sql = notices_insert_sql(kind=kind, clause=clause, source=source, now=T0, **kwargs)
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return cursor.rowcount


def _assert_as_if_alone(kind: str, contexts: dict[int, dict[str, Any]]) -> list[Notice]:
    notices = list(Notice.objects.filter(kind=kind).select_related("customer").order_by("pk"))
    assert len(notices) == len(contexts)
    for notice in notices:
        alone = copy.copy(notice)
        alone.mail_subject = alone.body_text = alone.body_html = ""
        alone.state, alone.last_error = Notice.State.PENDING, ""
        assert notice.customer_id is not None
        notice_fill(alone, customer=notice.customer, context=contexts[notice.customer_id])
        assert notice.mail_subject == alone.mail_subject
        assert notice.body_text == alone.body_text
        assert notice.body_html == alone.body_html
        assert notice.content_sha256 == alone.content_sha256
        assert notice.content_matches_digest()
        assert (notice.state, notice.last_error) == (alone.state, alone.last_error)
        assert notice.language == notice.customer.language
        # Its own link (the cancellation's readers can no longer sign in: none there).
        assert (f"/notices/{notice.pk}/" in notice.body_text) == (
            kind != Notice.Kind.CANCELLATION_APPLIED
        )
    return notices


@pytest.mark.django_db
def test_reminders_rendered_in_sql_read_as_if_rendered_alone() -> None:
    customers = _customers()
    rows, contexts = [], {}
    for index, customer in enumerate(customers):
        cancellation = Cancellation(
            pk=500 + index,
            given_at=T0 - timedelta(days=20, minutes=index),
            effective_at=T0 + timedelta(days=6, hours=15 + index),
        )
        rows.append(
            [
                customer.pk,
                str(cancellation.pk),
                "",
                cancellation.given_at,
                cancellation.effective_at,
            ]
        )
        contexts[customer.pk] = {"cancellation": cancellation}
    created = _insert(
        Notice.Kind.CANCELLATION_REMINDER,
        Clause.ART12_3,
        _values(
            rows,
            "customer_id, subject_id, period, given_at, effective_at",
            ["bigint", "text", "text", "timestamptz", "timestamptz"],
        ),
        columns={"cancellation.given_at": "given_at", "cancellation.effective_at": "effective_at"},
        subject_type=ContentType.objects.get_for_model(Cancellation),
    )

    assert created == 4
    notices = _assert_as_if_alone(Notice.Kind.CANCELLATION_REMINDER, contexts)
    first, second, _third, nobody = notices
    assert "株式会社エー建設 &lt;&amp;&gt; &quot;&#x27; 御中" in first.body_html
    assert "B &amp; Sons &lt;Construction&gt;" in second.body_html
    assert first.recipients == ["owner0@sql.example.jp", "member0@sql.example.jp"]
    assert (nobody.state, nobody.last_error) == (Notice.State.FAILED, "No recipient address.")
    assert first.dedupe_key == Notice.dedupe_key_for(
        customer_id=first.customer_id,
        kind=first.kind,
        subject_type_id=first.subject_type_id,
        subject_id=first.subject_id,
        period="",
    )


@pytest.mark.django_db
def test_a_return_list_rendered_in_sql_reads_as_if_rendered_alone() -> None:
    # The list of what to return (Art. 12(5)) of cancellation_applied, as the job renders it
    # in SQL (return_list_sql): units with descriptions to escape, the materials, none at all.
    customers = _customers()
    items_rows: list[list[Any]] = []
    rows, contexts = [], {}
    for index, customer in enumerate(customers):
        cancellation = Cancellation(
            pk=600 + index,
            effective_at=T0 - timedelta(minutes=index),
            rentals_ended=index,
            video_data_deleted_at=T0,
        )
        unit = ReturnItem(kind="unit", action="return", description=f"NC-{index} <#{index}> & 'x'")
        software = ReturnItem(kind="software", action="return_or_destroy", description="sw")
        manual = ReturnItem(kind="manual", action="return_or_destroy", description="manuals")
        # Units and materials; materials only; one item; nothing to return.
        items = [[unit, unit, software, manual], [software, manual], [manual], []][index]
        for position, item in enumerate(items):
            items_rows.append([customer.pk, item.kind, item.action, item.description, position])
        rows.append(
            [customer.pk, str(cancellation.pk), "", cancellation.effective_at, str(index), T0]
        )
        contexts[customer.pk] = {
            "cancellation": cancellation,
            **return_lists.return_list_context(items, customer.language),
        }
    items_sql = _values(
        items_rows,
        "customer_id, kind, action, description, position",
        ["bigint", "text", "text", "text", "int"],
    )
    source = Sql("(WITH items AS ").extend(items_sql).add(", rendered AS (")
    source.extend(return_lists.return_lists_sql(items="items")).add(") SELECT s.*")
    columns = return_lists.return_list_columns()
    for name in [name for per_language in columns.values() for name in per_language.values()]:
        source.add(f", COALESCE(r.{name}, '') AS {name}")
    source.add(" FROM ").extend(
        _values(
            rows,
            "customer_id, subject_id, period, effective_at, rentals_ended, deleted_at",
            ["bigint", "text", "text", "timestamptz", "text", "timestamptz"],
        )
    ).add(" s LEFT JOIN rendered r ON r.customer_id = s.customer_id)")
    created = _insert(
        Notice.Kind.CANCELLATION_APPLIED,
        Clause.ART12_3,
        source,
        columns={
            "cancellation.effective_at": "effective_at",
            "cancellation.rentals_ended": "rentals_ended",
            "cancellation.video_data_deleted_at": "deleted_at",
            **columns,
        },
        subject_type=ContentType.objects.get_for_model(Cancellation),
    )

    assert created == 4
    first, second, third, fourth = _assert_as_if_alone(Notice.Kind.CANCELLATION_APPLIED, contexts)
    assert "  - レンタル機材: NC-0 <#0> & 'x'（返還）\n" in first.body_text
    assert "<li>レンタル機材: NC-0 &lt;#0&gt; &amp; &#x27;x&#x27;（返還）</li>" in first.body_html
    assert "Software (viewer software, licence keys, installation media)" in second.body_text
    assert "返還・廃棄" in third.body_text and "レンタル機材" not in third.body_text
    assert "To return or destroy" not in fourth.body_text


@pytest.mark.django_db
@pytest.mark.parametrize("reminder", [False, True])
def test_service_end_and_interruption_notices_rendered_in_sql(reminder: bool) -> None:
    customers = _customers()
    end = ServiceEnd(pk=7, scope="all", title="旧型 <終了> & co", note="a\nb", effective_at=T0)
    end.announced_at = T0 - timedelta(days=40)
    outage = ServiceInterruption(
        pk=8,
        scope="customers",
        reason=Clause.ART8_1_2,
        title="停止 <x>",
        description="line <1>\nline 2",
        emergency=True,
    )
    outage.starts_at, outage.ends_at = T0, T0 + timedelta(hours=2)
    rows = [[c.pk, "7", "reminder" if reminder else ""] for c in customers]
    source = _values(rows, "customer_id, subject_id, period", ["bigint", "text", "text"])
    end_context = {"service_end": end, "reminder": reminder}
    end_type = ContentType.objects.get_for_model(ServiceEnd)
    created = _insert(
        Notice.Kind.SERVICE_END, Clause.ART8_2, source, context=end_context, subject_type=end_type
    )
    assert created == 4
    _assert_as_if_alone(Notice.Kind.SERVICE_END, {c.pk: end_context for c in customers})

    context = {"interruption": outage}
    rows = [[c.pk, "8", ""] for c in customers]
    source = _values(rows, "customer_id, subject_id, period", ["bigint", "text", "text"])
    outage_type = ContentType.objects.get_for_model(ServiceInterruption)
    created = _insert(
        Notice.Kind.SERVICE_INTERRUPTION,
        Clause.ART8_1_2,
        source,
        context=context,
        subject_type=outage_type,
    )
    assert created == 4
    _assert_as_if_alone(Notice.Kind.SERVICE_INTERRUPTION, {c.pk: context for c in customers})


@pytest.mark.django_db
def test_inactivity_contacts_rendered_in_sql_and_inserted_once() -> None:
    customers = _customers()
    rows, contexts = [], {}
    reply_by = T0 + timedelta(days=30)
    for index, customer in enumerate(customers):
        last_use = T0 - timedelta(days=93, hours=index, microseconds=index)
        url = f"https://cts.example.jp/still-using/{customer.pk}?a=1&b=<2>"
        rows.append([customer.pk, "", "p", last_use, url])
        contexts[customer.pk] = {"last_use": last_use, "reply_by": reply_by, "confirm_url": url}

    def source() -> Sql:
        return _values(
            rows,
            "customer_id, subject_id, period, last_use, confirm_url",
            ["bigint", "text", "text", "timestamptz", "text"],
        )

    def insert() -> int:
        return _insert(
            Notice.Kind.INACTIVITY_CONTACT,
            Clause.ART12_1_5,
            source(),
            columns={"last_use": "last_use", "confirm_url": "confirm_url"},
            context={"reply_by": reply_by},
        )

    assert insert() == 4
    # The dedupe key: a second run (or a concurrent one) inserts nothing.
    assert insert() == 0
    _assert_as_if_alone(Notice.Kind.INACTIVITY_CONTACT, contexts)


@pytest.mark.django_db
def test_a_template_with_a_per_notice_value_in_a_tag_is_refused_before_anything_is_written() -> (
    None
):
    # security_alert chooses its wording with {% if event == ... %}: no SQL counterpart.
    with pytest.raises(SqlRenderingUnsupported):
        notices_insert_sql(
            kind=Notice.Kind.SECURITY_ALERT,
            clause=Clause.ART6_3,
            source=Sql("changed"),
            columns={"event": "event"},
            now=timezone.now(),
        )
    with pytest.raises(SqlRenderingUnsupported):
        to_char_format("j F Y")  # a month's name depends on the language


@pytest.mark.django_db
@pytest.mark.parametrize("django_format", ["Y年n月j日 H:i", "Y-m-d H:i", "Y-m-d", "Y年n月j日"])
def test_dates_formatted_in_sql_as_django_formats_them(django_format: str) -> None:
    moments = [
        datetime(1999, 12, 31, 15, 0, tzinfo=UTC),  # midnight in Tokyo
        datetime(2024, 2, 28, 15, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 5, 0, 4, tzinfo=UTC),
        datetime(2101, 10, 9, 23, 30, tzinfo=UTC),
    ]
    pattern = to_char_format(django_format)
    with connection.cursor() as cursor:
        for moment in moments:
            cursor.execute(
                "SELECT to_char(%s::timestamptz AT TIME ZONE %s, %s)",
                [moment, "Asia/Tokyo", pattern],
            )
            expected = date_filter(do_timezone(moment, "Asia/Tokyo"), django_format)
            assert cursor.fetchone()[0] == expected


@pytest.mark.django_db
def test_the_inactivity_job_signs_each_link_as_python_does_and_the_link_answers() -> None:
    from contracts.services import inactivity

    customers = _customers()
    long_ago = T0 - timedelta(days=200)
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        status=Customer.Status.ACTIVE, created_at=long_ago - timedelta(days=50)
    )
    # The last use is the latest of the last activity, the last answer and the last change
    # of status (each missing one counting as the registration): a different one for each.
    first, second, third, fourth = customers
    Customer.objects.filter(pk=first.pk).update(last_activity_at=long_ago)
    Customer.objects.filter(pk=second.pk).update(
        last_activity_at=long_ago - timedelta(days=9),
        inactivity_answered_at=long_ago + timedelta(hours=5, microseconds=7),
    )
    Customer.objects.filter(pk=third.pk).update(status_changed_at=long_ago + timedelta(days=1))
    with time_machine.travel(T0, tick=False):
        result = inactivity.customers_flag_inactive()
    assert (result.changed, result.notices) == (4, 4)

    reply_by = T0 + timedelta(days=settings.INACTIVITY_REPLY_DAYS)
    last_use = {
        first.pk: long_ago,
        second.pk: long_ago + timedelta(hours=5, microseconds=7),
        third.pk: long_ago + timedelta(days=1),
        fourth.pk: long_ago - timedelta(days=50),
    }
    contexts: dict[int, dict[str, Any]] = {}
    with time_machine.travel(T0, tick=False):
        for customer in Customer.objects.filter(pk__in=[c.pk for c in customers]):
            contexts[customer.pk] = {
                "last_use": last_use[customer.pk],
                "reply_by": reply_by,
                "confirm_url": inactivity.inactivity_confirm_url(customer),
            }
    audited = dict(
        AuditEntry.objects.filter(action="contracts.inactivity.contacted").values_list(
            "customer_id", "extra"
        )
    )
    assert audited == {pk: {"last_use": when.isoformat()} for pk, when in last_use.items()}
    notices = _assert_as_if_alone(Notice.Kind.INACTIVITY_CONTACT, contexts)
    for notice in notices:
        assert notice.customer_id is not None
        url = contexts[notice.customer_id]["confirm_url"]
        assert url in notice.body_text
        token = url.rstrip("/").rsplit("/", 1)[1]
        with time_machine.travel(T0 + timedelta(days=1), tick=False):
            assert inactivity.inactivity_customer_for_token(token) == notice.customer


@pytest.mark.django_db
def test_a_jobs_notices_are_delivered_after_the_commit_as_stored(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail

    from contracts.services import cancellations

    customers = _customers()
    staff = StaffFactory(mfa=False)
    for customer in customers:
        Cancellation.objects.create(
            customer=customer,
            side="customer",
            given_by=staff,
            given_at=T0 - timedelta(days=20),
            effective_at=T0 + timedelta(days=3),
        )
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            result = cancellations.cancellation_reminders_send_due()
        assert mail.outbox == []  # nothing goes before the commit
        for callback in queued:
            callback()

    assert (result.changed, result.notices) == (4, 4)
    sent = {m.extra_headers["X-CTS-Notice-ID"]: m for m in mail.outbox}
    # The company without anyone to write to keeps its notice, failed, and gets no e-mail.
    delivered = Notice.objects.exclude(state=Notice.State.FAILED)
    assert set(sent) == {str(pk) for pk in delivered.values_list("pk", flat=True)}
    for notice in delivered:
        message = sent[str(notice.pk)]
        assert message.subject == notice.mail_subject
        assert message.body == notice.body_text
        assert message.alternatives[0][0] == notice.body_html
        assert message.extra_headers["X-CTS-Content-SHA256"] == notice.content_sha256
        notice.refresh_from_db()
        assert notice.state == Notice.State.SENT


@pytest.mark.django_db
def test_the_delivery_of_notices_created_together_is_queued_by_kind_and_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notices import tasks
    from notices.services import notices_created_pending

    customers = _customers()
    rows = [[c.pk, "", ""] for c in customers]
    source = _values(rows, "customer_id, subject_id, period", ["bigint", "text", "text"])
    end = ServiceEnd(pk=7, scope="all", title="終了", effective_at=T0, announced_at=T0)
    _insert(Notice.Kind.SERVICE_END, Clause.ART8_2, source, context={"service_end": end})
    ours = set(Notice.objects.filter(state=Notice.State.PENDING).values_list("pk", flat=True))
    assert len(ours) == 3  # the fourth has no recipient: failed, never queued
    Notice.objects.filter(pk=min(ours)).update(state=Notice.State.SENT, sent_at=T0)
    Notice.objects.filter(pk=max(ours)).update(created_at=T0 + timedelta(microseconds=1))

    assert notices_created_pending(kind=Notice.Kind.SERVICE_END, created_at=T0) == [
        pk for pk in sorted(ours) if pk not in (min(ours), max(ours))
    ]
    assert notices_created_pending(kind=Notice.Kind.SERVICE_INTERRUPTION, created_at=T0) == []
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.notices_deliver, "delay", lambda ids: queued.append(ids))
    assert tasks.notices_deliver_created(Notice.Kind.SERVICE_END, T0.isoformat()) == 1
    assert queued == [[sorted(ours)[1]]]


AUDIT_FIELDS = (
    "action",
    "actor_id",
    "actor_label",
    "customer_id",
    "clause",
    "ip_address",
    "user_agent",
    "extra",
    "target_type_id",
    "target_id",
    "target_repr",
)


@pytest.mark.django_db
def test_the_sql_jobs_audit_each_row_as_audit_many_would() -> None:
    from contracts.services import cancellations, inactivity
    from contracts.services.jobs import audit_entry

    customers = _customers()
    staff = StaffFactory(mfa=False)
    long_ago = T0 - timedelta(days=200)
    for index, customer in enumerate(customers):
        # Effective dates with and without microseconds, one near midnight UTC.
        Cancellation.objects.create(
            customer=customer,
            side="customer",
            given_by=staff,
            given_at=T0 - timedelta(days=20),
            effective_at=T0 + timedelta(days=3, hours=20 + index, microseconds=index * 250),
        )
    Customer.objects.filter(pk__in=[c.pk for c in customers[:2]]).update(
        status=Customer.Status.ACTIVE,
        last_activity_at=long_ago,
        created_at=long_ago,
        inactivity_contacted_at=T0 - timedelta(days=31, microseconds=5),
    )
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_reminders_send_due()
        inactivity.inactivity_escalate_unanswered()

    expected = []
    for cancellation in Cancellation.objects.select_related("customer").order_by("pk"):
        expected.append(
            audit_entry(
                action="contracts.cancellation.reminded",
                actor=None,
                customer_id=cancellation.customer_id,
                target=cancellation,
                clause=Clause.ART12_3,
                extra={"effective_at": cancellation.effective_at.isoformat()},
            )
        )
    for customer in Customer.objects.filter(pk__in=[c.pk for c in customers[:2]]).order_by("pk"):
        assert customer.inactivity_contacted_at is not None
        expected.append(
            audit_entry(
                action="contracts.inactivity.escalated",
                actor=None,
                customer_id=customer.pk,
                target=customer,
                clause=Clause.ART12_1_5,
                extra={"contacted_at": customer.inactivity_contacted_at.isoformat()},
            )
        )
    written = list(AuditEntry.objects.order_by("action", "target_id").values(*AUDIT_FIELDS))
    built = sorted(
        ({field: getattr(entry, field) for field in AUDIT_FIELDS} for entry in expected),
        key=lambda row: (row["action"], row["target_id"]),
    )
    assert written == built
    assert {e.created_at for e in AuditEntry.objects.all()} == {T0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pieces",
    [
        ["\n\u3000 Dear ", "company", ",\n\n body\u3000", " end \n\t "],
        ["  ", "only one piece with text ", "\n"],
        [" \n", "\u3000"],
        ["ends", "", "trimmed\n\n"],
    ],
)
def test_a_body_is_stripped_where_its_shared_text_allows_as_python_strips_it(
    pieces: list[str],
) -> None:
    from notices.services.rendering import _Skeleton
    from notices.services.sql_rendering import _WHITESPACE, _template_sql

    sql = _template_sql(
        _Skeleton(per_notice=frozenset(), pieces=list(pieces)), {}, strip=_WHITESPACE
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.text}", sql.params)
        assert cursor.fetchone()[0] == "".join(pieces).strip()
