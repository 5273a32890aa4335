"""Staff review in the admin: every staff member may look, only reviewers decide."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import RequestFactory
from django.utils import translation

from accounts.models import Customer, User
from accounts.views import permission_denied
from contracts.models import RegistrationApplication
from notices.models import Notice
from tests.contracts.conftest import GOOD_NUMBER, login
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/contracts/registrationapplication/"


def change_url(app: RegistrationApplication) -> str:
    return f"{CHANGELIST}{app.pk}/change/"


def test_the_queue_filters_and_searches(submitted: RegistrationApplication, viewer: User) -> None:
    client = login(viewer)
    for query in (
        "",
        "?state__exact=submitted",
        "?q=" + GOOD_NUMBER,
        "?q=applicant@kita.example.jp",
        "?q=北建設",
        "?submitted_at__isnull=False",
    ):
        response = client.get(CHANGELIST + query)
        assert response.status_code == 200, query
        assert "株式会社北建設" in response.content.decode(), query
    empty = client.get(CHANGELIST + "?state__exact=approved")
    assert "株式会社北建設" not in empty.content.decode()


def test_the_detail_shows_the_checks(submitted: RegistrationApplication, viewer: User) -> None:
    CustomerFactory(
        name="取消済の会社", status=Customer.Status.REVOKED, corporate_number=GOOD_NUMBER
    )
    body = login(viewer).get(change_url(submitted)).content.decode()
    assert 'data-testid="revoked-matches"' in body
    assert "取消済の会社" in body


def test_a_viewer_may_look_but_not_decide(submitted: RegistrationApplication, viewer: User) -> None:
    client = login(viewer)
    body = client.get(change_url(submitted)).content.decode()
    assert 'id="decision"' not in body
    changelist = client.get(CHANGELIST).content.decode()
    assert "approve_selected" not in changelist
    assert client.post(f"{CHANGELIST}{submitted.pk}/approve/").status_code == 403
    assert client.get(f"{CHANGELIST}{submitted.pk}/refuse/").status_code == 403
    client.post(CHANGELIST, {"action": "approve_selected", ACTION_CHECKBOX_NAME: [submitted.pk]})
    submitted.refresh_from_db()
    assert submitted.state == RegistrationApplication.State.SUBMITTED
    assert not Notice.objects.exists()


def test_a_reviewer_approves_with_the_action(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    client = login(reviewer)
    assert 'id="decision"' in client.get(change_url(submitted)).content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [submitted.pk]},
        follow=True,
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.state == RegistrationApplication.State.APPROVED
    # Approving again reports that it is already decided and sends nothing more.
    again = client.post(f"{CHANGELIST}{submitted.pk}/approve/", follow=True)
    messages = [str(m) for m in again.context["messages"]]
    assert any("株式会社北建設" in m for m in messages)
    assert Notice.objects.filter(kind="registration_approved").count() == 1


def test_a_refusal_needs_grounds_and_a_note_on_the_intermediate_page(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    client = login(reviewer)
    first = client.post(
        CHANGELIST, {"action": "refuse_selected", ACTION_CHECKBOX_NAME: [submitted.pk]}
    )
    assert first.status_code == 200
    assert 'name="grounds"' in first.content.decode()
    incomplete = client.post(
        CHANGELIST,
        {
            "action": "refuse_selected",
            ACTION_CHECKBOX_NAME: [submitted.pk],
            "grounds": ["2"],
            "note": "",
            "confirm": "1",
        },
    )
    assert incomplete.status_code == 200
    assert incomplete.context["form"].errors["note"]
    submitted.refresh_from_db()
    assert submitted.state == RegistrationApplication.State.SUBMITTED
    done = client.post(
        CHANGELIST,
        {
            "action": "refuse_selected",
            ACTION_CHECKBOX_NAME: [submitted.pk],
            "grounds": ["2", "5"],
            "note": "代表者名が登記と一致しません。",
            "message": "ご登録情報を確認できませんでした。",
            "confirm": "1",
        },
    )
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == RegistrationApplication.State.REFUSED
    assert submitted.refusal_grounds == ["2", "5"]


def test_a_reviewer_refuses_from_the_detail_page(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    client = login(reviewer)
    url = f"{CHANGELIST}{submitted.pk}/refuse/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"grounds": ["4"], "note": "確認事項あり", "message": "見送ります。", "confirm": "1"}
    )
    assert response.status_code == 302
    assert response.url == change_url(submitted)
    submitted.refresh_from_db()
    assert submitted.refusal_grounds == ["4"]


def test_staff_cannot_edit_or_delete_applications(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    client = login(reviewer)
    client.post(change_url(submitted), {"company_name": "改ざん"})
    submitted.refresh_from_db()
    assert submitted.company_name == "株式会社北建設"
    assert client.get(f"{CHANGELIST}{submitted.pk}/delete/").status_code == 403


def test_a_staff_member_without_the_permission_sees_a_staff_message(
    submitted: RegistrationApplication, viewer: User
) -> None:
    response = login(viewer).post(f"{CHANGELIST}{submitted.pk}/approve/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "staff account" in body or "スタッフ" in body
    assert "your company" not in body and "貴社内" not in body
    assert "/admin/" in body


def test_a_customer_still_sees_the_customer_message(alice: User) -> None:
    request = RequestFactory().get("/members/")
    request.user = alice
    with translation.override("en"):
        body = permission_denied(request).content.decode()
    assert "Your role in your company" in body
    assert "staff account" not in body


def test_the_terms_accepted_are_listed_in_japan_time(
    submitted: RegistrationApplication, viewer: User
) -> None:
    """Accepted at 16:30 UTC on 30 November is 01:30 on 1 December in Tokyo: the staff
    screens show the Tokyo day, as every other time there, not the stored JSON in UTC."""
    snapshot = [
        {
            "document": "terms-of-use",
            "label": "2023-04-01",
            "sha256": "ab" * 32,
            "accepted_at": "2026-11-30T16:30:00+00:00",
        }
    ]
    RegistrationApplication.objects.filter(pk=submitted.pk).update(terms_accepted=snapshot)
    body = login(viewer).get(change_url(submitted)).content.decode()
    assert "terms-of-use 2023-04-01 — 2026年12月1日1:30" in body
    assert "2026-11-30T16:30" not in body


def test_the_usage_contract_lists_its_terms_in_japan_time(
    customer_a: Customer, viewer: User
) -> None:
    from contracts.models import UsageContract
    from tests.factories import make_usage_contract

    contract = make_usage_contract(customer_a)
    snapshot = [{"document": "terms-of-use", "label": "2023-04-01", "sha256": "cd" * 32}]
    snapshot[0]["accepted_at"] = "2026-11-30T16:30:00+00:00"
    UsageContract.objects.filter(pk=contract.pk).update(terms_versions=snapshot)
    response = login(viewer).get(f"/admin/contracts/usagecontract/{contract.pk}/change/")
    assert response.status_code == 200
    assert "2026年12月1日1:30" in response.content.decode()
