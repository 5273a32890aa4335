"""Transfer of the contractual position (Art. 17): the owner's request, staff approval with
the written consent, the move of everything in one transaction, refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    Charge,
    ContractTransfer,
    Rental,
    UsageContract,
    VideoDisclosure,
    VideoRecord,
)
from contracts.services import transfers as services
from notices.models import Notice
from tests.conftest import viewing_staff_client
from tests.contracts.rental_helpers import make_active, make_charge
from tests.factories import (
    StaffFactory,
    make_usage_contract,
    make_video_record,
    valid_corporate_number,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/contracts/contracttransfer/"


def _to_full_width(number: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in number)


def _request_form(successor: Customer, **overrides: str) -> dict[str, str]:
    data = {
        "successor_name": successor.name,
        "successor_corporate_number": _to_full_width(successor.corporate_number),
        "successor_address": "東京都千代田区丸の内1-1",
        "successor_contact_name": "承継 太郎",
        "successor_contact_email": "taro@b.example.jp",
        "reason": "吸収合併による承継",
    }
    data.update(overrides)
    return data


@pytest.fixture
def requested(
    alice_client: Client, customer_a: Customer, customer_b: Customer, charlie: User
) -> ContractTransfer:
    response = alice_client.post("/transfer/", _request_form(customer_b))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ContractTransfer.objects.get()


def test_the_owner_requests_a_transfer_from_the_page(
    requested: ContractTransfer, customer_b: Customer, alice_client: Client
):
    assert requested.state == ContractTransfer.State.REQUESTED
    # Full-width digits were normalised and checked (accounts.validators).
    assert requested.successor_corporate_number == customer_b.corporate_number
    assert AuditEntry.objects.filter(action="contracts.transfer.requested", clause="art17").exists()
    assert (
        f'data-testid="transfer-{requested.pk}"' in alice_client.get("/transfer/").content.decode()
    )
    page = alice_client.get("/transfer/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    # The column of the request's time, not the state's word 「申込み受付」.
    assert "<th>申込日時</th>" in page and "<th>申込み受付</th>" not in page
    again = alice_client.post("/transfer/", _request_form(customer_b))
    assert again.status_code == 200
    assert ContractTransfer.objects.count() == 1


def test_a_bad_corporate_number_is_refused(alice_client: Client, customer_b: Customer):
    # One off in the last digit (9 → 0 would change the weighted sum by 9 and still pass the
    # mod-9 check digit, so 9 goes down to 8 instead).
    last = int(customer_b.corporate_number[-1])
    bad = customer_b.corporate_number[:-1] + str(last - 1 if last == 9 else last + 1)
    response = alice_client.post(
        "/transfer/", _request_form(customer_b, successor_corporate_number=bad)
    )
    assert response.status_code == 200
    assert "check digit" in response.content.decode() or "チェック" in response.content.decode()
    assert not ContractTransfer.objects.exists()


def test_a_member_cannot_request_and_other_companies_see_nothing(
    bob_client: Client, charlie_client: Client, customer_b: Customer, requested: ContractTransfer
):
    assert bob_client.post("/transfer/", _request_form(customer_b)).status_code == 403
    assert f"transfer-{requested.pk}" not in charlie_client.get("/transfer/").content.decode()


def _setup_everything(customer_a: Customer, alice: User, staff: User) -> tuple[Rental, VideoRecord]:
    rental = make_active(customer_a, alice, staff)
    record = make_video_record(rental)
    make_charge(rental, period=date(2026, 10, 1), due_on=date(2026, 11, 30))
    return rental, record


def test_staff_approve_with_written_consent_and_everything_moves(
    staff_client: Client,
    staff: User,
    alice: User,
    customer_a: Customer,
    customer_b: Customer,
    requested: ContractTransfer,
):
    rental, record = _setup_everything(customer_a, alice, staff)
    successor_contract = make_usage_contract(customer_b)
    staff_client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            ACTION_CHECKBOX_NAME: [requested.pk],
            "apply": "1",
            "consent_reference": "承諾書 CTS-2026-017",
            "consent_date": "2026-11-28",
        },
    )
    requested.refresh_from_db()
    assert requested.state == ContractTransfer.State.APPROVED
    assert requested.successor == customer_b
    assert requested.consent_reference == "承諾書 CTS-2026-017"
    rental.refresh_from_db()
    record.refresh_from_db()
    assert rental.customer == customer_b and rental.contract == successor_contract
    assert record.customer == customer_b
    assert Charge.objects.get().customer == customer_b
    assert requested.moved["rentals"] == 1 and requested.moved["units"] == 1
    # Art. 10(3)(6): the video data went to the successor by succession; the log says so.
    disclosure = VideoDisclosure.objects.get()
    assert disclosure.customer == customer_a and disclosure.ground == 6
    assert list(disclosure.records.all()) == [record]
    # Both sides notified and audit-logged, on Art. 17.
    notices = Notice.objects.filter(kind=Notice.Kind.CONTRACT_TRANSFER)
    assert {n.customer_id for n in notices} == {customer_a.pk, customer_b.pk}
    assert {
        a.customer_id
        for a in AuditEntry.objects.filter(action__startswith="contracts.transfer.approved")
    } == {
        customer_a.pk,
        customer_b.pk,
    }


def test_without_its_own_contract_the_successor_takes_over_the_usage_contract(
    staff: User,
    alice: User,
    customer_a: Customer,
    customer_b: Customer,
    requested: ContractTransfer,
):
    rental, _record = _setup_everything(customer_a, alice, staff)
    contract = UsageContract.objects.get(customer=customer_a)
    services.transfer_approve(
        transfer=requested,
        actor=staff,
        consent_reference="承諾書 1",
        consent_date=date(2026, 11, 1),
    )
    contract.refresh_from_db()
    rental.refresh_from_db()
    assert contract.customer == customer_b and rental.contract == contract


def test_a_failure_mid_way_leaves_both_customers_untouched(
    monkeypatch: pytest.MonkeyPatch,
    staff: User,
    alice: User,
    customer_a: Customer,
    customer_b: Customer,
    requested: ContractTransfer,
):
    rental, record = _setup_everything(customer_a, alice, staff)
    make_usage_contract(customer_b)
    calls = {"n": 0}
    real = services.notice_create

    def failing_notice(**kwargs: Any) -> Any:
        # The rows have moved and the first side is notified when the second notice fails.
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("mail template exploded")
        return real(**kwargs)

    monkeypatch.setattr(services, "notice_create", failing_notice)
    with pytest.raises(RuntimeError):
        services.transfer_approve(
            transfer=requested,
            actor=staff,
            consent_reference="承諾書 2",
            consent_date=date(2026, 11, 1),
        )
    assert calls["n"] == 2
    requested.refresh_from_db()
    rental.refresh_from_db()
    record.refresh_from_db()
    assert requested.state == ContractTransfer.State.REQUESTED and requested.successor is None
    assert rental.customer == customer_a and record.customer == customer_a
    assert Charge.objects.get().customer == customer_a
    assert UsageContract.objects.get(customer=customer_a)
    assert not Notice.objects.filter(kind=Notice.Kind.CONTRACT_TRANSFER).exists()
    assert not AuditEntry.objects.filter(action__startswith="contracts.transfer.approved").exists()
    assert not VideoDisclosure.objects.exists()


def test_approval_needs_a_registered_successor_and_the_consent(
    staff: User, customer_a: Customer, alice: User
):
    transfer = services.transfer_request(
        customer=customer_a,
        user=alice,
        data=services.TransferRequestData(
            successor_name="未登録株式会社",
            successor_corporate_number=valid_corporate_number(987654321),
            successor_address="大阪府大阪市",
            successor_contact_name="未登録 花子",
            successor_contact_email="h@x.example.jp",
        ),
    )
    with pytest.raises(ValidationError, match=r"consent|承諾"):
        services.transfer_approve(
            transfer=transfer, actor=staff, consent_reference=" ", consent_date=date(2026, 11, 1)
        )
    with pytest.raises(ValidationError) as excinfo:
        services.transfer_approve(
            transfer=transfer,
            actor=staff,
            consent_reference="承諾書",
            consent_date=date(2026, 11, 1),
        )
    assert excinfo.value.code == "successor_not_registered"


def test_staff_refuse_with_a_reason_and_the_customer_is_told(
    staff_client: Client, customer_a: Customer, requested: ContractTransfer
):
    staff_client.post(
        CHANGELIST,
        {
            "action": "refuse_selected",
            ACTION_CHECKBOX_NAME: [requested.pk],
            "apply": "1",
            "refusal_reason": "承継会社の与信審査が完了していないため。",
        },
    )
    requested.refresh_from_db()
    assert requested.state == ContractTransfer.State.REFUSED
    notice = Notice.objects.get(kind=Notice.Kind.CONTRACT_TRANSFER)
    assert notice.customer == customer_a and "与信審査" in notice.body_text


def test_the_transfer_services_refuse_staff_without_the_permission(
    requested: ContractTransfer,
):
    clerk = StaffFactory(email="clerk@cts.example.jp")
    with pytest.raises(PermissionDenied):
        services.transfer_approve(
            transfer=requested,
            actor=clerk,
            consent_reference="承諾書",
            consent_date=timezone.localdate(),
        )
    with pytest.raises(PermissionDenied):
        services.transfer_refuse(transfer=requested, actor=clerk, reason="x")
    requested.refresh_from_db()
    assert requested.state == ContractTransfer.State.REQUESTED


@pytest.mark.parametrize("action", ["approve_selected", "refuse_selected"])
def test_staff_who_may_only_view_transfers_cannot_decide_them(
    requested: ContractTransfer, action: str
):
    client = viewing_staff_client(ContractTransfer)
    assert f'value="{action}"' not in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST,
        {
            "action": action,
            ACTION_CHECKBOX_NAME: [requested.pk],
            "apply": "1",
            "consent_reference": "承諾書 CTS-2026-017",
            "consent_date": "2026-11-28",
            "refusal_reason": "与信審査",
        },
    )
    requested.refresh_from_db()
    assert requested.state == ContractTransfer.State.REQUESTED
    assert not Notice.objects.filter(kind=Notice.Kind.CONTRACT_TRANSFER).exists()


def test_a_written_consent_dated_in_the_future_is_refused_and_nothing_moves(
    requested: ContractTransfer,
    customer_a: Customer,
    customer_b: Customer,
    alice: User,
    staff: User,
    staff_client: Client,
):
    """Art. 17 asks for the consent before the transfer: a consent dated next year was
    recorded and everything moved."""
    rental, _record = _setup_everything(customer_a, alice, staff)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = staff_client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            ACTION_CHECKBOX_NAME: [requested.pk],
            "apply": "1",
            "consent_reference": "承諾書 CTS-2026-018",
            "consent_date": tomorrow.isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="ja",
        follow=True,
    )
    assert "書面承諾の日付に未来の日付は指定できません。" in response.content.decode()
    requested.refresh_from_db()
    rental.refresh_from_db()
    assert requested.state == ContractTransfer.State.REQUESTED
    assert rental.customer == customer_a


def test_the_staff_action_forms_button_says_run_not_apply_for(
    requested: ContractTransfer, staff_client: Client
):
    """The admin's action forms (this one and the lifecycle actions with a note) shared the
    customer's msgid "Apply", so staff approving a transfer pressed 「申請する」."""
    page = staff_client.post(
        CHANGELIST,
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [requested.pk]},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert 'type="submit" value="実行する"' in page
    assert "申請する" not in page
