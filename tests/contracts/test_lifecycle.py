"""Suspension, revocation and cancellation (Art. 10(6), 12): every transition, every refused
one, the notices and audit entries they leave, and the notice periods across time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from contracts.models import Cancellation, ReturnChecklist, ReturnItem, Revocation, Suspension
from contracts.services import cancellations, standing
from contracts.services.jobs import JobResult
from notices.models import Notice
from tests.factories import TEST_PASSWORD, sign_in

pytestmark = pytest.mark.django_db

S = Customer.Status
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 Tokyo


def notices(customer: Customer, kind: str) -> list[Notice]:
    return list(Notice.objects.filter(customer=customer, kind=kind).order_by("pk"))


def actions(customer: Customer) -> list[str]:
    return list(
        AuditEntry.objects.filter(customer=customer).order_by("pk").values_list("action", flat=True)
    )


# --- suspension -------------------------------------------------------------------------------


def test_staff_suspend_on_a_ground_without_notice_and_the_company_is_told(
    customer_a: Customer, alice: User, staff: User
) -> None:
    suspension = standing.customer_suspend(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_6, note="Unpaid since October."
    )
    customer_a.refresh_from_db()
    assert customer_a.status == S.SUSPENDED
    assert customer_a.status_changed_at == suspension.started_at
    [notice] = notices(customer_a, Notice.Kind.SUSPENSION)
    assert notice.clause == "art12.1.6"
    assert notice.recipients == ["alice@a.example.jp"]
    assert "第12条第1項第6号" in notice.body_text
    entry = AuditEntry.objects.get(action="contracts.customer.suspended")
    assert (entry.actor, entry.customer, entry.clause) == (staff, customer_a, "art12.1.6")


def test_suspension_needs_a_ground_of_article_12_1(customer_a: Customer, staff: User) -> None:
    with pytest.raises(ValidationError):
        standing.customer_suspend(customer=customer_a, actor=staff, ground="art8.2", note="x")
    assert not Suspension.objects.exists()


def test_only_staff_may_suspend(customer_a: Customer, alice: User) -> None:
    with pytest.raises(PermissionDenied):
        standing.customer_suspend(
            customer=customer_a, actor=alice, ground=Clause.ART12_1_1, note="x"
        )


@pytest.mark.parametrize("status", [S.SUSPENDED, S.CANCELLED, S.REVOKED, S.APPLICANT])
def test_only_an_active_company_can_be_suspended(
    customer_a: Customer, staff: User, status: str
) -> None:
    Customer.objects.filter(pk=customer_a.pk).update(status=status)
    with pytest.raises(ValidationError):
        standing.customer_suspend(
            customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x"
        )


def test_unsuspend_returns_the_company_to_active_and_tells_it(
    customer_a: Customer, alice: User, staff: User
) -> None:
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    suspension = standing.customer_unsuspend(customer=customer_a, actor=staff, note="Paid.")
    customer_a.refresh_from_db()
    assert customer_a.status == S.ACTIVE
    assert suspension.lifted_by == staff
    assert [n.period for n in notices(customer_a, Notice.Kind.SUSPENSION)] == ["", "lifted"]
    assert actions(customer_a)[-1] == "contracts.customer.unsuspended"


def test_unsuspending_an_active_company_is_refused(customer_a: Customer, staff: User) -> None:
    with pytest.raises(ValidationError):
        standing.customer_unsuspend(customer=customer_a, actor=staff, note="x")


def test_a_suspended_company_may_still_give_notice_and_returns_to_its_schedule(
    customer_a: Customer, alice: User, staff: User
) -> None:
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    customer_a.refresh_from_db()
    assert customer_a.status == S.SUSPENDED
    assert customer_a.cancellation_effective_at == cancellation.effective_at
    standing.customer_unsuspend(customer=customer_a, actor=staff, note="x")
    customer_a.refresh_from_db()
    assert customer_a.status == S.CANCELLATION_SCHEDULED


@pytest.mark.parametrize("in_sql", [True, False], ids=["in-sql", "in-python"])
def test_a_suspended_companys_cancellation_takes_effect_on_its_day(
    customer_a: Customer, alice: User, staff: User, in_sql: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It used to fail: the open suspension was closed without anyone named (a check
    # constraint), and the job's whole run with it, every other cancellation due included.
    from contracts.services import jobs

    monkeypatch.setattr(jobs, "in_sql", lambda: in_sql)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    day = cancellation.effective_at + timedelta(minutes=1)
    with time_machine.travel(day, tick=False):
        assert cancellations.cancellations_apply_due() == JobResult(1, 1)
    customer_a.refresh_from_db()
    assert customer_a.status == S.CANCELLED
    suspension = Suspension.objects.get(customer=customer_a)
    assert (suspension.lifted_at, suspension.lifted_by, suspension.lift_note) == (
        day,
        None,
        "Ended by cancellation.",
    )


# --- revocation -------------------------------------------------------------------------------


def test_revocation_ends_access_opens_the_return_checklist_and_tells_the_company(
    customer_a: Customer, alice: User, bob: User, staff: User
) -> None:
    sign_in("alice@a.example.jp")
    sign_in("bob@a.example.jp")
    assert UserSession.objects.filter(user__in=[alice, bob]).count() == 2
    revocation = standing.customer_revoke(
        customer=customer_a, actor=staff, ground=Clause.ART12_1_2, note="False address."
    )
    customer_a.refresh_from_db()
    assert customer_a.status == S.REVOKED
    assert customer_a.status_changed_at == revocation.revoked_at
    assert not UserSession.objects.filter(user__in=[alice, bob]).exists()
    assert not Session.objects.exists()
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    assert checklist.reason == ReturnChecklist.Reason.REVOCATION
    kinds = sorted(checklist.items.values_list("kind", flat=True))
    assert kinds == [ReturnItem.Kind.MANUAL, ReturnItem.Kind.SOFTWARE]
    [notice] = notices(customer_a, Notice.Kind.REVOCATION)
    assert notice.clause == "art12.1.2"
    assert "0円" in notice.body_text and "第12条第5項" in notice.body_text
    assert "contracts.customer.revoked" in actions(customer_a)
    from contracts.selectors.rentals import return_checklist_current

    assert return_checklist_current(customer=customer_a) == checklist


def test_revocation_supersedes_a_suspension_and_a_scheduled_cancellation(
    customer_a: Customer, alice: User, staff: User
) -> None:
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    customer_a.refresh_from_db()
    cancellation.refresh_from_db()
    assert customer_a.cancellation_effective_at is None
    assert cancellation.state == Cancellation.State.WITHDRAWN
    assert not Suspension.objects.filter(lifted_at__isnull=True).exists()


def test_a_revoked_company_cannot_be_revoked_suspended_or_cancelled_again(
    customer_a: Customer, alice: User, staff: User
) -> None:
    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_7, note="x")
    with pytest.raises(ValidationError):
        standing.customer_revoke(
            customer=customer_a, actor=staff, ground=Clause.ART12_1_7, note="x"
        )
    with pytest.raises(ValidationError):
        standing.customer_suspend(
            customer=customer_a, actor=staff, ground=Clause.ART12_1_7, note="x"
        )
    with pytest.raises(ValidationError):
        cancellations.cancellation_give(customer=customer_a, actor=staff)
    assert Revocation.objects.count() == 1


def test_a_revoked_company_is_matched_on_a_later_application(
    customer_a: Customer, staff: User
) -> None:
    from contracts.selectors.registration import revoked_customer_matches
    from tests.contracts.conftest import make_applicant, make_draft

    standing.customer_revoke(customer=customer_a, actor=staff, ground=Clause.ART12_1_7, note="x")
    draft = make_draft(make_applicant(), corporate_number=customer_a.corporate_number)
    assert [m.customer for m in revoked_customer_matches(application=draft)] == [customer_a]


# --- cancellation (Art. 12(3)) ----------------------------------------------------------------


def test_the_owner_gives_notice_exactly_seven_days_ahead_by_default_and_both_sides_are_told(
    customer_a: Customer, alice: User
) -> None:
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    assert cancellation.side == Cancellation.Side.CUSTOMER
    assert cancellation.effective_at == T0 + timedelta(days=7)
    customer_a.refresh_from_db()
    assert customer_a.status == S.CANCELLATION_SCHEDULED
    assert customer_a.cancellation_effective_at == T0 + timedelta(days=7)
    assert customer_a.status_changed_at == T0
    given = notices(customer_a, Notice.Kind.CANCELLATION_GIVEN)
    assert [n.recipients for n in given] == [["alice@a.example.jp"], ["support@cts.example.jp"]]
    assert all(n.clause == "art12.3" for n in given)
    assert "2026年12月8日 10:00" in given[0].body_text
    assert "第10条第6項" in given[0].body_text
    entry = AuditEntry.objects.get(action="contracts.cancellation.given")
    assert (entry.actor, entry.clause) == (alice, "art12.3")


def test_a_six_day_cancellation_is_refused(customer_a: Customer, alice: User) -> None:
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as excinfo:
        cancellations.cancellation_give(
            customer=customer_a, actor=alice, effective_at=T0 + timedelta(days=6, hours=23)
        )
    assert excinfo.value.code == "notice_too_short"
    assert not Cancellation.objects.exists()
    customer_a.refresh_from_db()
    assert customer_a.status == S.ACTIVE


def test_the_database_refuses_a_cancellation_under_seven_days(
    customer_a: Customer, alice: User
) -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Cancellation.objects.create(
            customer=customer_a,
            side="customer",
            given_by=alice,
            given_at=T0,
            effective_at=T0 + timedelta(days=6),
        )


def test_a_member_who_is_not_the_owner_cannot_give_notice(customer_a: Customer, bob: User) -> None:
    with pytest.raises(PermissionDenied):
        cancellations.cancellation_give(customer=customer_a, actor=bob)


def test_another_companys_owner_cannot_give_notice_for_it(
    customer_a: Customer, charlie: User
) -> None:
    with pytest.raises(PermissionDenied):
        cancellations.cancellation_give(customer=customer_a, actor=charlie)


def test_notice_cannot_be_given_twice(customer_a: Customer, alice: User) -> None:
    cancellations.cancellation_give(customer=customer_a, actor=alice)
    with pytest.raises(ValidationError):
        cancellations.cancellation_give(customer=customer_a, actor=alice)


def test_staff_give_notice_for_the_provider_and_only_the_provider_may_withdraw_it(
    customer_a: Customer, alice: User, staff: User
) -> None:
    cancellation = cancellations.cancellation_give(
        customer=customer_a, actor=staff, effective_at=timezone.now() + timedelta(days=30)
    )
    assert cancellation.side == Cancellation.Side.PROVIDER
    with pytest.raises(PermissionDenied):
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
    cancellations.cancellation_withdraw(cancellation=cancellation, actor=staff)
    customer_a.refresh_from_db()
    assert customer_a.status == S.ACTIVE


def test_the_owner_withdraws_before_it_takes_effect(customer_a: Customer, alice: User) -> None:
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=7) - timedelta(seconds=1), tick=False):
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
    cancellation.refresh_from_db()
    customer_a.refresh_from_db()
    assert cancellation.state == Cancellation.State.WITHDRAWN
    assert customer_a.status == S.ACTIVE
    assert customer_a.cancellation_effective_at is None
    periods = [n.period for n in notices(customer_a, Notice.Kind.CANCELLATION_GIVEN)]
    assert periods == ["", "provider", "withdrawn", "withdrawnprovider"]


def test_withdrawing_after_the_effective_moment_is_refused(
    customer_a: Customer, alice: User
) -> None:
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=7), tick=False), pytest.raises(ValidationError):
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)


def test_withdrawing_twice_is_refused(customer_a: Customer, alice: User) -> None:
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
    with pytest.raises(ValidationError):
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)


def test_a_date_names_the_end_of_that_day_in_tokyo(customer_a: Customer, alice: User) -> None:
    with time_machine.travel(T0, tick=False):
        earliest = cancellations.cancellation_earliest_date()
        assert str(earliest) == "2026-12-08"
        effective = cancellations.cancellation_effective_for_date(earliest)
        assert effective == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 00:00 JST on the 9th
        cancellations.cancellation_give(customer=customer_a, actor=alice, effective_at=effective)


def test_the_reminder_goes_seven_days_before_when_notice_was_given_further_ahead(
    customer_a: Customer, alice: User
) -> None:
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(
            customer=customer_a, actor=alice, effective_at=T0 + timedelta(days=20)
        )
    with time_machine.travel(T0 + timedelta(days=13) - timedelta(seconds=1), tick=False):
        assert cancellations.cancellation_reminders_send_due() == JobResult(0, 0)
    with time_machine.travel(T0 + timedelta(days=13), tick=False):
        assert cancellations.cancellation_reminders_send_due() == JobResult(1, 1)
        assert cancellations.cancellation_reminders_send_due() == JobResult(0, 0)
    [reminder] = notices(customer_a, Notice.Kind.CANCELLATION_REMINDER)
    assert "2026年12月21日 10:00" in reminder.body_text


def test_no_reminder_when_notice_was_exactly_seven_days(customer_a: Customer, alice: User) -> None:
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert cancellations.cancellation_reminders_send_due().changed == 0
    assert not notices(customer_a, Notice.Kind.CANCELLATION_REMINDER)


def test_applying_a_due_cancellation_ends_everything_and_tells_the_company(
    customer_a: Customer, alice: User, bob: User, customer_b: Customer, charlie: User
) -> None:
    sign_in("bob@a.example.jp")
    sign_in("charlie@b.example.jp")
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=7) - timedelta(seconds=1), tick=False):
        assert cancellations.cancellations_apply_due().changed == 0
    with time_machine.travel(T0 + timedelta(days=7, minutes=15), tick=False):
        result = cancellations.cancellations_apply_due()
        assert result == JobResult(1, 1)
        assert cancellations.cancellations_apply_due() == JobResult(0, 0)
    cancellation.refresh_from_db()
    customer_a.refresh_from_db()
    assert cancellation.state == Cancellation.State.APPLIED
    assert cancellation.video_data_deleted_at is not None
    assert customer_a.status == S.CANCELLED
    assert customer_a.status_changed_at == T0 + timedelta(days=7, minutes=15)
    assert not User.objects.filter(pk__in=[alice.pk, bob.pk], is_active=True).exists()
    assert not UserSession.objects.filter(user=bob).exists()
    assert UserSession.objects.filter(user=charlie).exists()
    assert User.objects.get(pk=charlie.pk).is_active
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    assert checklist.reason == ReturnChecklist.Reason.CANCELLATION
    [applied] = notices(customer_a, Notice.Kind.CANCELLATION_APPLIED)
    assert "第10条第6項" in applied.body_text and "マニュアル" in applied.body_text
    # Its readers can no longer sign in: no link to the portal, the e-mail is the record.
    assert "/notices/" not in applied.body_text + applied.body_html
    assert "記録として保管してください" in applied.body_text
    assert {"contracts.cancellation.applied", "contracts.video_data.deleted"} <= set(
        actions(customer_a)
    )
    deletion = AuditEntry.objects.get(action="contracts.video_data.deleted")
    assert deletion.clause == "art10.6"
    client = Client()
    client.post("/accounts/login/", {"login": "bob@a.example.jp", "password": TEST_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_withdrawn_cancellation_is_never_applied(customer_a: Customer, alice: User) -> None:
    with time_machine.travel(T0, tick=False):
        cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
        cancellations.cancellation_withdraw(cancellation=cancellation, actor=alice)
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert cancellations.cancellations_apply_due().changed == 0
    customer_a.refresh_from_db()
    assert customer_a.status == S.ACTIVE


def test_the_apply_job_catches_up_after_downtime(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        cancellations.cancellation_give(customer=customer_b, actor=charlie)
    # The scheduler was down from day 6 to day 40: one run does both, and their reminders
    # are not sent afterwards (the cancellations are no longer scheduled).
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        assert cancellations.cancellations_apply_due().changed == 2
        assert cancellations.cancellation_reminders_send_due().changed == 0
    assert set(Customer.objects.values_list("status", flat=True)) == {S.CANCELLED}
