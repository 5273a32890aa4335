"""Every lifecycle notice renders in Japanese and English, cites its article and states its
dates in Japan time (Art. 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.clauses import Clause
from accounts.models import Customer, User
from contracts.models import ServiceEnd, ServiceInterruption
from contracts.services import cancellations, inactivity, service_events, standing
from notices.models import Notice

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 Tokyo
EXPECTED: dict[str, tuple[str, str]] = {
    # kind: (Japanese, English) fragments every body must contain
    Notice.Kind.SUSPENSION: ("第12条第1項", "Art. 12(1)"),
    Notice.Kind.REVOCATION: ("第12条第5項", "Art. 12(5)"),
    Notice.Kind.CANCELLATION_GIVEN: ("第12条第3項", "Art. 12(3)"),
    Notice.Kind.CANCELLATION_REMINDER: ("第10条第6項", "Art. 10(6)"),
    Notice.Kind.CANCELLATION_APPLIED: ("第10条第6項", "Art. 10(6)"),
    Notice.Kind.SERVICE_INTERRUPTION: ("第8条第1項", "Art. 8(1)"),
    Notice.Kind.SERVICE_END: ("第8条第2項", "Art. 8(2)"),
    Notice.Kind.INACTIVITY_CONTACT: ("第12条第1項第5号", "Art. 12(1)(5)"),
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_lifecycle_notice_renders_in_both_languages(
    language: str, customer_a: Customer, alice: User, staff: User
) -> None:
    Customer.objects.filter(pk=customer_a.pk).update(
        language=language,
        last_activity_at=T0 - timedelta(days=120),
        created_at=T0 - timedelta(days=400),
    )
    customer_a.refresh_from_db()
    with time_machine.travel(T0, tick=False):
        inactivity.customers_flag_inactive()
        standing.customer_suspend(
            customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x"
        )
        standing.customer_unsuspend(customer=customer_a, actor=staff, note="x")
        cancellation = cancellations.cancellation_give(
            customer=customer_a, actor=alice, effective_at=T0 + timedelta(days=10)
        )
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
        service_events.interruption_schedule(
            actor=staff,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="Maintenance",
            starts_at=T0 - timedelta(minutes=1),
            ends_at=T0 + timedelta(hours=2),
            emergency=True,
        )
        service_events.service_end_announce(
            actor=staff,
            scope=ServiceEnd.Scope.ALL,
            title="End",
            effective_at=T0 + timedelta(days=45),
        )
    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        service_events.service_end_notices_send_due()
        cancellation = cancellations.cancellation_give(
            customer=customer_a, actor=alice, effective_at=T0 + timedelta(days=30)
        )
    with time_machine.travel(T0 + timedelta(days=23), tick=False):
        cancellations.cancellation_reminders_send_due()
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        cancellations.cancellations_apply_due()
    # Revocation is tried on the same company once more (its logins back on, as new).
    Customer.objects.filter(pk=customer_a.pk).update(status=Customer.Status.ACTIVE)
    User.objects.filter(pk=alice.pk).update(is_active=True)
    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_7, note="x")

    sent = Notice.objects.filter(customer=customer_a)
    assert {n.kind for n in sent} == set(EXPECTED)
    for notice in sent:
        if notice.recipients == ["support@cts.example.jp"]:
            assert notice.language == "ja"  # the provider's own copy
            continue
        assert notice.language == language
        fragment = EXPECTED[notice.kind][0 if language == "ja" else 1]
        assert fragment in notice.body_text, (notice.kind, notice.body_text)
        assert fragment in notice.body_html, notice.kind
        assert notice.mail_subject.startswith("【CTS】" if language == "ja" else "[CTS]")
        assert "{{" not in notice.body_text and "{%" not in notice.body_html
        assert notice.state != Notice.State.FAILED, notice.last_error


@pytest.mark.parametrize("in_sql", [True, False], ids=["in-sql", "in-python"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_reminder_of_a_notice_the_provider_gave_does_not_say_the_customer_gave_it(
    language: str,
    in_sql: bool,
    customer_a: Customer,
    alice: User,
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Art. 12(3): only the side that gave the notice may withdraw it. The reminder of the
    provider's notice told the customer it had given it ("ご通知いただいた") and to withdraw
    it in the portal, which refuses a customer the provider's notice."""
    from contracts.services import jobs

    monkeypatch.setattr(jobs, "in_sql", lambda: in_sql)
    Customer.objects.filter(pk=customer_a.pk).update(language=language)
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(
            customer=customer_a, actor=staff, effective_at=T0 + timedelta(days=30), note="x"
        )
    with time_machine.travel(T0 + timedelta(days=23), tick=False):
        assert cancellations.cancellation_reminders_send_due().notices == 1
    reminder = Notice.objects.get(kind=Notice.Kind.CANCELLATION_REMINDER)
    for body in (reminder.body_text, reminder.body_html):
        if language == "ja":
            assert "ご通知いただいた" not in body
            assert "通知をした側のみ" in body
            assert "当社による通知については、当社までお問い合わせください" in body
        else:
            assert "Only the side that gave the notice may withdraw it" in body
            assert "contact us" in body


def test_the_providers_copy_of_the_customers_notice_names_the_company_that_gave_it(
    customer_a: Customer, alice: User
) -> None:
    """The copy is addressed to CTS: "貴社より" there meant CTS had given the notice."""
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(
            customer=customer_a, actor=alice, effective_at=T0 + timedelta(days=10)
        )
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
    copies = Notice.objects.filter(
        kind=Notice.Kind.CANCELLATION_GIVEN, period__in=["provider", "withdrawnprovider"]
    )
    assert copies.count() == 2
    for copy in copies:
        assert copy.recipients == ["support@cts.example.jp"]
        for body in (copy.body_text, copy.body_html):
            assert "貴社" not in body, body
            assert f"{customer_a.name}より" in body or f"{customer_a.name}により" in body
    own = Notice.objects.filter(kind=Notice.Kind.CANCELLATION_GIVEN, period__in=["", "withdrawn"])
    assert own.count() == 2
    for notice in own:
        assert "貴社より" in notice.body_text or "貴社により" in notice.body_text
