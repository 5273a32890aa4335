"""Staff screens of the lifecycle: measures with a ground and a note, the revocation queue,
interruptions and service ends, and the bulk approval that leaves revoked matches alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    Cancellation,
    RegistrationApplication,
    Revocation,
    ServiceEnd,
    ServiceInterruption,
    Suspension,
)
from notices.models import Notice
from tests.contracts.conftest import GOOD_NUMBER, interruption_form, login
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

STANDING = "/admin/contracts/customerstanding/"
QUEUE = "/admin/contracts/revocationqueueentry/"


def act(client: Client, url: str, action: str, customers: list[Customer], **data: str) -> str:
    payload = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in customers], **data}
    return client.post(url, payload, follow=True).content.decode()


def test_staff_suspend_with_a_ground_and_a_note_on_an_intermediate_page(
    staff: User, customer_a: Customer, alice: User
) -> None:
    client = login(staff)
    page = act(client, STANDING, "suspend", [customer_a])
    # The grounds in the staff member's language, as the terms of use name them.
    assert (
        "第12条第1項第6号：約款・契約条項の債務不履行条項への該当" in page and 'name="note"' in page
    )
    assert not Suspension.objects.exists()
    act(client, STANDING, "suspend", [customer_a], confirm="1", note="x")  # no ground
    assert not Suspension.objects.exists()
    act(client, STANDING, "suspend", [customer_a], confirm="1", ground="art12.1.6", note="未払い")
    suspension = Suspension.objects.get()
    assert (suspension.ground, suspension.note, suspension.started_by) == (
        "art12.1.6",
        "未払い",
        staff,
    )
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.SUSPENDED
    act(client, STANDING, "unsuspend", [customer_a], confirm="1", note="入金確認")
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.ACTIVE


def test_a_refused_measure_is_reported_and_changes_nothing(
    staff: User, customer_a: Customer
) -> None:
    page = act(login(staff), STANDING, "unsuspend", [customer_a], confirm="1", note="x")
    assert "このお客様は利用停止中ではありません。" in page


def test_staff_revoke_and_give_notice_for_the_provider(
    staff: User, customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    client = login(staff)
    act(client, STANDING, "revoke", [customer_a], confirm="1", ground="art12.1.2", note="虚偽")
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.REVOKED
    act(client, STANDING, "cancel_for_provider", [customer_b], confirm="1", note="契約整理")
    cancellation = Cancellation.objects.get(customer=customer_b)
    assert cancellation.side == Cancellation.Side.PROVIDER
    assert cancellation.given_by == staff
    assert AuditEntry.objects.filter(action="contracts.customer.revoked", actor=staff).exists()


def test_the_revocation_queue_lists_only_unanswered_contacts(
    staff: User, customer_a: Customer, customer_b: Customer
) -> None:
    long_ago = timezone.now() - timedelta(days=200)
    Customer.objects.filter(pk=customer_a.pk).update(
        last_activity_at=long_ago,
        inactivity_contacted_at=timezone.now() - timedelta(days=40),
        inactivity_escalated_at=timezone.now() - timedelta(days=10),
    )
    body = login(staff).get(QUEUE).content.decode()
    assert customer_a.name in body
    assert customer_b.name not in body


def test_staff_schedule_an_interruption_in_the_admin(
    staff: User, customer_a: Customer, alice: User
) -> None:
    client = login(staff)
    data = interruption_form()
    response = client.post("/admin/contracts/serviceinterruption/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    interruption = ServiceInterruption.objects.get()
    assert interruption.notified_at is not None
    assert interruption.created_by == staff
    assert Notice.objects.filter(customer=customer_a, kind="service_interruption").exists()
    past = {**data, "starts_at_0": "2020-01-01", "ends_at_0": "2020-01-01"}
    again = client.post("/admin/contracts/serviceinterruption/add/", past)
    assert again.status_code == 200
    assert "緊急としてください" in again.content.decode()
    backwards = {**data, "starts_at_1": "12:00:00", "ends_at_1": "10:00:00"}
    refused = client.post("/admin/contracts/serviceinterruption/add/", backwards)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "終了日時は開始日時より後にしてください。" in body
    assert "interruption_ends_after_start" not in body
    assert ServiceInterruption.objects.count() == 1


def test_staff_announce_a_service_end_and_29_days_is_refused(
    staff: User, customer_a: Customer, alice: User
) -> None:
    client = login(staff)
    too_soon = timezone.localtime(timezone.now() + timedelta(days=29))
    data = {
        "title": "サービス終了",
        "scope": "all",
        "category": "",
        "effective_at_0": too_soon.strftime("%Y-%m-%d"),
        "effective_at_1": "00:00:00",
        "note": "",
        "confirm": "on",
    }
    refused = client.post("/admin/contracts/serviceend/add/", data)
    assert refused.status_code == 200
    assert "通知から30日以上後" in refused.content.decode()
    assert not ServiceEnd.objects.exists()
    later = timezone.localtime(timezone.now() + timedelta(days=40))
    data["effective_at_0"] = later.strftime("%Y-%m-%d")
    assert client.post("/admin/contracts/serviceend/add/", data).status_code == 302
    assert Notice.objects.filter(customer=customer_a, kind="service_end").count() == 1


def test_the_bulk_approval_leaves_a_previously_revoked_match_to_its_own_page(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    CustomerFactory(
        name="取消済の会社", status=Customer.Status.REVOKED, corporate_number=GOOD_NUMBER
    )
    response = login(reviewer).post(
        "/admin/contracts/registrationapplication/",
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [submitted.pk]},
        follow=True,
    )
    assert "登録を取り消されたお客様と一致します" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == RegistrationApplication.State.SUBMITTED
    assert not Notice.objects.filter(kind="registration_approved").exists()


def test_customers_cannot_reach_the_lifecycle_admin(alice_client: Client) -> None:
    for url in (STANDING, QUEUE, "/admin/contracts/serviceinterruption/"):
        assert alice_client.get(url).status_code == 302


def _refused_in_words(client: Client, url: str, cases: list[tuple[dict, str]]) -> None:
    """Each posted form is refused on the page with its message, never a constraint's name."""
    for posted, message in cases:
        response = client.post(url, posted)
        assert response.status_code == 200, posted
        body = response.content.decode()
        assert message in body and "制約" not in body, posted


def test_the_interruption_and_service_end_forms_explain_their_refusals(
    staff: User, customer_a: Customer
) -> None:
    """An end before the start, a category scope without its category, a whole-service end
    naming a product line, a time in year 1: each a clear form error (in Japanese for a
    Japanese staff member), never the constraint's database name or a 500, nothing
    written."""
    client = login(staff)
    data = interruption_form(ends_at="09:00:00")
    url = "/admin/contracts/serviceinterruption/add/"
    cases = [
        (data, "終了日時は開始日時より後にしてください。"),
        ({**data, "ends_at_1": "12:00:00", "scope": "category"}, "製品カテゴリを選んでください"),
        (
            {**data, "starts_at_0": "0001-01-01", "starts_at_1": "00:00:00", "emergency": "on"},
            "指定できる範囲外の日時です。",
        ),
    ]
    _refused_in_words(client, url, cases)
    assert not ServiceInterruption.objects.exists()
    later = timezone.localtime(timezone.now() + timedelta(days=40)).strftime("%Y-%m-%d")
    end = {"title": "終了", "scope": "category", "category": "", "note": "", "confirm": "on"}
    end |= {"effective_at_0": later, "effective_at_1": "00:00:00"}
    url = "/admin/contracts/serviceend/add/"
    cases = [
        (end, "提供を終了する製品ラインを選んでください。"),
        ({**end, "scope": "all", "category": "accessory"}, "製品ラインを空欄にしてください。"),
        ({**end, "effective_at_0": "0001-01-01"}, "指定できる範囲外の日時です。"),
    ]
    _refused_in_words(client, url, cases)
    assert not ServiceEnd.objects.exists()
    page = act(
        client,
        STANDING,
        "cancel_for_provider",
        [customer_a],
        confirm="1",
        note="x",
        effective_at="0001-01-01 00:00",
    )
    assert "指定できる範囲外の日時です。" in page
    assert not Cancellation.objects.exists()


def test_the_standing_list_heads_its_columns_in_japanese(staff: User, customer_a: Customer) -> None:
    body = login(staff).get(STANDING).content.decode()
    assert "ステータスの変更日時" in body and "解約の効力発生日時" in body
    assert "status changed" not in body.lower() and "cancellation takes effect" not in body


def test_announcing_a_service_end_asks_for_a_confirmation_first(
    staff: User, customer_a: Customer, alice: User
) -> None:
    """Saving notifies every affected customer at once and cannot be undone (no service
    withdraws an end): a bare "save" did it without a word of warning."""
    client = login(staff)
    add = "/admin/contracts/serviceend/add/"
    page = client.get(add).content.decode()
    assert 'name="confirm"' in page
    assert "撤回できません（第8条第2項）" in page
    later = timezone.localtime(timezone.now() + timedelta(days=40)).strftime("%Y-%m-%d")
    data = {
        "title": "サービス終了",
        "scope": "all",
        "category": "",
        "effective_at_0": later,
        "effective_at_1": "00:00:00",
        "note": "",
    }
    unconfirmed = client.post(add, data)
    assert unconfirmed.status_code == 200
    assert "この項目は必須です。" in unconfirmed.content.decode()
    assert not ServiceEnd.objects.exists()
    assert not Notice.objects.filter(kind="service_end").exists()
    assert client.post(add, {**data, "confirm": "on"}).status_code == 302
    service_end = ServiceEnd.objects.get()
    assert Notice.objects.filter(customer=customer_a, kind="service_end").count() == 1
    # The recorded end is only viewed: no confirmation box there.
    view = client.get(f"/admin/contracts/serviceend/{service_end.pk}/change/").content.decode()
    assert 'name="confirm"' not in view


def test_the_return_checklist_shows_the_provided_materials_in_japanese(
    staff: User, customer_a: Customer, alice: User
) -> None:
    """The software and manuals are stored in English; the Japanese page showed them so."""
    from contracts.models import ReturnChecklist
    from contracts.services import standing

    standing.customer_revoke(customer=customer_a, actor=staff, ground="art12.1.7", note="x")
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    body = login(staff).get(f"/admin/contracts/returnchecklist/{checklist.pk}/change/")
    page = body.content.decode()
    assert "ビューアソフト、ライセンスキー、インストール媒体" in page
    assert "マニュアル、設定ガイドその他の提供資料" in page
    assert "Viewer software" not in page and "setup guides" not in page


def test_staff_withdraw_the_providers_notice_but_not_the_customers(
    staff: User, customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    """Art. 12(3): the side that gave the notice may withdraw it before it takes effect. The
    notice tells the customer so, but the admin had no way for the provider to do it."""
    from contracts.services import cancellations

    client = login(staff)
    act(client, STANDING, "cancel_for_provider", [customer_a], confirm="1", note="契約整理")
    cancellations.cancellation_give(customer=customer_b, actor=charlie)
    page = client.post(
        STANDING,
        {"action": "withdraw_provider_cancellation", ACTION_CHECKBOX_NAME: [customer_a.pk]},
    ).content.decode()
    assert "登録取消の通知の撤回（第12条第3項）" in page
    act(
        client,
        STANDING,
        "withdraw_provider_cancellation",
        [customer_a],
        confirm="1",
        note="お客様と合意",
    )
    withdrawn = Cancellation.objects.get(customer=customer_a)
    assert withdrawn.state == Cancellation.State.WITHDRAWN
    assert withdrawn.withdrawn_by == staff
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.ACTIVE
    assert customer_a.cancellation_effective_at is None
    entry = AuditEntry.objects.get(action="contracts.cancellation.withdrawn")
    assert entry.actor == staff and entry.extra["note"] == "お客様と合意"
    assert Notice.objects.filter(customer=customer_a, period="withdrawn").exists()
    # The customer's own notice is the customer's to withdraw: refused, in words.
    done = act(
        client, STANDING, "withdraw_provider_cancellation", [customer_b], confirm="1", note="x"
    )
    assert "通知を撤回できるのは、通知を行った当事者のみです。" in done
    assert Cancellation.objects.get(customer=customer_b).state == Cancellation.State.SCHEDULED


def test_scheduling_an_interruption_says_how_many_customers_were_notified(
    staff: User, customer_a: Customer, alice: User
) -> None:
    """Named customers whose registration ended reach nobody; the plain "added" message did
    not say so, nor how many were told, nor that an emergency ahead is told as it starts."""
    client = login(staff)
    ended = CustomerFactory(name="取消済の会社", status=Customer.Status.REVOKED)
    data = interruption_form()
    add = "/admin/contracts/serviceinterruption/add/"
    told = client.post(add, data, follow=True).content.decode()
    assert "1 件のお客様に通知しました（第8条第1項）。" in told
    nobody = client.post(add, {**data, "scope": "customers", "customers": [ended.pk]}, follow=True)
    assert "どなたにも通知していません" in nobody.content.decode()
    later = client.post(add, {**data, "emergency": "on"}, follow=True).content.decode()
    assert "停止の開始時に通知されます" in later
    assert ServiceInterruption.objects.count() == 3


def test_an_interruption_naming_what_its_scope_does_not_use_is_refused(
    staff: User, customer_a: Customer, alice: User
) -> None:
    """The whole service with a category chosen (or a category with customers named) was
    saved as the whole service and notified every customer at once: the category or the
    customers the scope does not use were dropped without a word. Now the form refuses it,
    in Japanese, and nothing is scheduled or sent."""
    client = login(staff)
    data = interruption_form()
    url = "/admin/contracts/serviceinterruption/add/"
    cases = [
        ({**data, "category": "accessory"}, "製品カテゴリを空欄にしてください。"),
        (
            {**data, "scope": "category", "category": "accessory", "customers": [customer_a.pk]},
            "対象のお客様を選択しないでください。",
        ),
        (
            {**data, "scope": "customers", "category": "accessory", "customers": [customer_a.pk]},
            "製品カテゴリを空欄にしてください。",
        ),
    ]
    _refused_in_words(client, url, cases)
    assert not ServiceInterruption.objects.exists()
    assert not Notice.objects.exists()


def test_a_suspension_and_a_revocation_name_their_ground_in_japanese_in_the_admin(
    staff: User, customer_a: Customer, alice: User, customer_b: Customer, charlie: User
) -> None:
    """The revocation's page (title, breadcrumb) and the suspensions listed on the standing
    page named the ground "Art. 12(1)(5)" in English on the Japanese admin."""
    client = login(staff)
    act(client, STANDING, "suspend", [customer_b], confirm="1", ground="art12.1.1", note="x")
    act(client, STANDING, "revoke", [customer_a], confirm="1", ground="art12.1.5", note="y")
    revocation = Revocation.objects.get()
    page = client.get(f"/admin/contracts/revocation/{revocation.pk}/change/").content.decode()
    assert f"{customer_a.name} (第12条第1項第5号)" in page and "Art. 12" not in page
    page = client.get(f"{STANDING}{customer_b.pk}/change/").content.decode()
    assert f"{customer_b.name} (第12条第1項第1号)" in page and "Art. 12" not in page


def test_the_providers_notice_asks_its_date_with_the_browsers_date_and_time_picker(
    staff: User, customer_a: Customer, alice: User
) -> None:
    """The date was a bare text box that took only 2026-12-20 10:00, said nothing of it and
    refused the Japanese 2026/12/20 10:00 as "not a date": it is now the browser's picker,
    whose value is read in Japan time."""
    client = login(staff)
    page = act(client, STANDING, "cancel_for_provider", [customer_a])
    assert 'type="datetime-local" name="effective_at"' in page
    when = timezone.localtime(timezone.now() + timedelta(days=10)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    act(
        client,
        STANDING,
        "cancel_for_provider",
        [customer_a],
        confirm="1",
        note="x",
        effective_at=when.strftime("%Y-%m-%dT%H:%M"),
    )
    assert Cancellation.objects.get(customer=customer_a).effective_at == when
