"""Service interruptions (Art. 8(1)) and service ends with 30 days' notice (Art. 8(2))."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import Client

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from contracts.models import ServiceEnd, ServiceInterruption
from contracts.services import service_events as services
from contracts.services.jobs import JobResult
from notices.models import Notice
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 Tokyo


def kinds(customer: Customer, kind: str) -> list[Notice]:
    return list(
        Notice.objects.filter(customer=customer, kind=kind)
        .order_by("pk")
        .prefetch_related("subject")
    )


# --- interruptions ----------------------------------------------------------------------------


def test_a_planned_interruption_is_notified_before_it_starts(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    with time_machine.travel(T0, tick=False):
        interruption = services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="定期保守",
            starts_at=T0 + timedelta(days=3),
            ends_at=T0 + timedelta(days=3, hours=2),
        )
    assert interruption.notified_at == T0
    [notice] = kinds(customer_a, Notice.Kind.SERVICE_INTERRUPTION)
    assert notice.clause == "art8.1.1"
    assert "2026年12月4日 10:00" in notice.body_text and "第8条第1項第1号" in notice.body_text
    assert len(kinds(customer_b, Notice.Kind.SERVICE_INTERRUPTION)) == 1
    entry = AuditEntry.objects.get(action="contracts.interruption.scheduled")
    assert entry.clause == "art8.1.1"


def test_a_planned_interruption_cannot_start_in_the_past(staff: User) -> None:
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError):
        services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="x",
            starts_at=T0,
            ends_at=T0 + timedelta(hours=1),
        )


def test_an_interruption_must_end_after_it_starts(staff: User) -> None:
    with pytest.raises(ValidationError):
        services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="x",
            starts_at=T0 + timedelta(days=400),
            ends_at=T0 + timedelta(days=399),
        )


def test_an_interruption_needs_a_reason_of_article_8_1(staff: User) -> None:
    with pytest.raises(ValidationError):
        services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART12_3,
            title="x",
            starts_at=T0 + timedelta(days=400),
            ends_at=T0 + timedelta(days=401),
        )


@pytest.mark.parametrize(
    ("scope", "extra", "field"),
    [
        (ServiceInterruption.Scope.ALL, {"category": "accessory"}, "category"),
        (ServiceInterruption.Scope.ALL, {"customers": "named"}, "customers"),
        (
            ServiceInterruption.Scope.CATEGORY,
            {"category": "accessory", "customers": "named"},
            "customers",
        ),
    ],
)
def test_the_service_refuses_what_the_scope_does_not_use(
    staff: User, customer_a: Customer, scope: str, extra: dict[str, str], field: str
) -> None:
    # Dropped without a word, the whole service was notified instead of the category named.
    fields: dict[str, object] = dict(extra)
    if "customers" in fields:
        fields["customers"] = [customer_a]
    with pytest.raises(ValidationError) as refused:
        services.interruption_schedule(
            actor=staff,
            scope=scope,
            reason=Clause.ART8_1_1,
            title="x",
            starts_at=T0 + timedelta(days=400),
            ends_at=T0 + timedelta(days=401),
            **fields,
        )
    assert field in refused.value.message_dict
    assert not ServiceInterruption.objects.exists()
    assert not Notice.objects.exists()


def test_customers_cannot_schedule_interruptions(alice: User) -> None:
    with pytest.raises(PermissionDenied):
        services.interruption_schedule(
            actor=alice,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="x",
            starts_at=T0 + timedelta(days=400),
            ends_at=T0 + timedelta(days=401),
        )


def test_an_emergency_starts_at_once_and_is_notified_as_it_starts(
    customer_a: Customer, alice: User, staff: User
) -> None:
    with time_machine.travel(T0, tick=False):
        now = services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_2,
            title="回線障害",
            starts_at=T0 - timedelta(minutes=10),
            ends_at=T0 + timedelta(hours=3),
            emergency=True,
        )
        later = services.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_3,
            title="停電対応",
            starts_at=T0 + timedelta(hours=1),
            ends_at=T0 + timedelta(hours=3),
            emergency=True,
        )
    assert now.notified_at == T0
    assert later.notified_at is None
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert services.interruptions_notify_due().changed == 0
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert services.interruptions_notify_due() == services.JobResult(1, 1)
        assert services.interruptions_notify_due() == services.JobResult(0, 0)
    titles = [n.subject.title for n in kinds(customer_a, Notice.Kind.SERVICE_INTERRUPTION)]
    assert titles == ["回線障害", "停電対応"]
    assert "緊急" in kinds(customer_a, Notice.Kind.SERVICE_INTERRUPTION)[0].mail_subject


def test_named_customers_only_are_notified_and_see_the_banner(
    customer_a: Customer,
    alice: User,
    alice_client: Client,
    customer_b: Customer,
    charlie: User,
    charlie_client: Client,
    staff: User,
) -> None:
    services.interruption_schedule(
        actor=staff,
        scope=ServiceInterruption.Scope.CUSTOMERS,
        customers=[customer_a],
        reason=Clause.ART8_1_5,
        title="エー建設様向け設定変更",
        starts_at=datetime.now(UTC) + timedelta(hours=1),
        ends_at=datetime.now(UTC) + timedelta(hours=2),
    )
    assert len(kinds(customer_a, Notice.Kind.SERVICE_INTERRUPTION)) == 1
    assert kinds(customer_b, Notice.Kind.SERVICE_INTERRUPTION) == []
    page_a = alice_client.get("/notices/").content.decode()
    page_b = charlie_client.get("/notices/").content.decode()
    assert 'data-testid="interruption-banner"' in page_a and "エー建設様向け設定変更" in page_a
    assert 'data-testid="interruption-banner"' not in page_b


def test_the_banner_is_gone_once_the_interruption_is_over(
    customer_a: Customer, alice: User, staff: User
) -> None:
    services.interruption_schedule(
        actor=staff,
        scope=ServiceInterruption.Scope.ALL,
        reason=Clause.ART8_1_1,
        title="保守",
        starts_at=datetime.now(UTC) + timedelta(hours=1),
        ends_at=datetime.now(UTC) + timedelta(hours=2),
    )
    assert services.interruptions_for_customer(customer=customer_a)
    later = datetime.now(UTC) + timedelta(hours=3)
    assert services.interruptions_for_customer(customer=customer_a, now=later) == []


def test_a_category_interruption_without_rentals_in_it_affects_nobody(
    customer_a: Customer, alice: User, staff: User
) -> None:
    interruption = services.interruption_schedule(
        actor=staff,
        scope=ServiceInterruption.Scope.CATEGORY,
        category="backhoe_camera_system",
        reason=Clause.ART8_1_4,
        title="x",
        starts_at=datetime.now(UTC) + timedelta(hours=1),
        ends_at=datetime.now(UTC) + timedelta(hours=2),
    )
    assert list(services.interruption_affected_customers(interruption)) == []


# --- service end ------------------------------------------------------------------------------


def test_a_service_end_29_days_ahead_is_refused(staff: User) -> None:
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as excinfo:
        services.service_end_announce(
            actor=staff,
            scope=ServiceEnd.Scope.ALL,
            title="サービス終了",
            effective_at=T0 + timedelta(days=29, hours=23),
        )
    assert excinfo.value.code == "notice_too_short"
    assert not ServiceEnd.objects.exists()


def test_the_database_refuses_a_service_end_under_30_days(staff: User) -> None:
    with pytest.raises(IntegrityError):
        ServiceEnd.objects.create(
            scope="all",
            title="x",
            announced_at=T0,
            announced_by=staff,
            effective_at=T0 + timedelta(days=29),
        )


def test_every_live_customer_is_told_once_and_reminded_when_30_days_remain(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, staff: User
) -> None:
    revoked = CustomerFactory(status=Customer.Status.REVOKED)
    with time_machine.travel(T0, tick=False):
        service_end = services.service_end_announce(
            actor=staff,
            scope=ServiceEnd.Scope.ALL,
            title="サービス終了",
            effective_at=T0 + timedelta(days=45),
        )
    assert len(kinds(customer_a, Notice.Kind.SERVICE_END)) == 1
    assert len(kinds(customer_b, Notice.Kind.SERVICE_END)) == 1
    assert kinds(revoked, Notice.Kind.SERVICE_END) == []
    assert "2027年1月15日 10:00" in kinds(customer_a, Notice.Kind.SERVICE_END)[0].body_text
    # A company registered later is told by the next run; nobody is told twice.
    late = CustomerFactory()
    # What a run reports (lifecycle_job prints it): a run with nothing to send changed
    # nothing, however many service ends are announced.
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert services.service_end_notices_send_due() == JobResult(1, 1)
        assert services.service_end_notices_send_due() == JobResult(0, 0)
    assert len(kinds(late, Notice.Kind.SERVICE_END)) == 1
    with time_machine.travel(service_end.reminder_at - timedelta(seconds=1), tick=False):
        assert services.service_end_notices_send_due() == JobResult(0, 0)
    with time_machine.travel(service_end.reminder_at, tick=False):
        assert services.service_end_notices_send_due() == JobResult(1, 3)
        assert services.service_end_notices_send_due() == JobResult(0, 0)
    periods = [n.period for n in kinds(customer_a, Notice.Kind.SERVICE_END)]
    assert periods == ["", "reminder"]
    assert "再通知" in kinds(customer_a, Notice.Kind.SERVICE_END)[1].mail_subject


def test_no_reminder_when_announced_exactly_30_days_ahead(
    customer_a: Customer, alice: User, staff: User
) -> None:
    with time_machine.travel(T0, tick=False):
        services.service_end_announce(
            actor=staff,
            scope=ServiceEnd.Scope.ALL,
            title="x",
            effective_at=T0 + timedelta(days=30),
        )
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert services.service_end_notices_send_due().notices == 0
    assert len(kinds(customer_a, Notice.Kind.SERVICE_END)) == 1


def test_the_service_end_applies_on_its_date_once_and_catches_up(
    customer_a: Customer, alice: User, staff: User
) -> None:
    with time_machine.travel(T0, tick=False):
        service_end = services.service_end_announce(
            actor=staff,
            scope=ServiceEnd.Scope.CATEGORY,
            category="network_camera",
            title="旧型カメラの提供終了",
            effective_at=T0 + timedelta(days=31),
        )
    with time_machine.travel(T0 + timedelta(days=31) - timedelta(seconds=1), tick=False):
        assert services.service_ends_apply_due().changed == 0
    with time_machine.travel(T0 + timedelta(days=90), tick=False):
        assert services.service_ends_apply_due().changed == 1
        assert services.service_ends_apply_due().changed == 0
        assert services.service_end_notices_send_due().changed == 0
    service_end.refresh_from_db()
    assert service_end.state == ServiceEnd.State.APPLIED
    assert AuditEntry.objects.filter(
        action="contracts.service_end.applied", clause="art8.2"
    ).exists()
