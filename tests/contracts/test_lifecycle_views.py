"""The owner gives and withdraws notice of cancellation in the browser and over the API
(Art. 12(3)), is warned that no video data is kept afterwards (Art. 10(6)), and may do so
while suspended (Art. 12(1)). Other members and other companies may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import resolve

from accounts.clauses import Clause
from accounts.models import Customer, User
from contracts.models import Cancellation
from contracts.services import cancellations, standing
from ctsportal.access import access_for
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/company/cancellation/"
API = "/api/v1/cancellation"
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 Tokyo


def test_the_views_are_open_while_suspended_with_a_reason() -> None:
    for url in (PAGE, API):
        policy = access_for(resolve(url).func)
        assert policy.while_suspended
        assert "Art. 12(1)" in policy.reason
        assert not policy.public and not policy.ended


def test_the_page_warns_that_no_video_data_is_kept(alice_client: Client) -> None:
    with time_machine.travel(T0, tick=False):
        body = alice_client.get(PAGE).content.decode()
    assert 'data-testid="video-data-warning"' in body
    assert 'value="2026-12-08"' in body  # the earliest date is preselected


def test_the_owner_gives_notice_and_sees_the_date_and_the_banner(
    alice_client: Client, customer_a: Customer
) -> None:
    with time_machine.travel(T0, tick=False):
        response = alice_client.post(
            PAGE, {"give": "1", "effective_date": "2026-12-08", "confirm": "on"}
        )
        assert response.status_code == 302
        cancellation = Cancellation.objects.get(customer=customer_a)
        assert cancellation.effective_at == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
        page = alice_client.get(PAGE).content.decode()
        assert 'data-testid="cancellation-effective"' in page
        assert "2026-12-09 00:00" in page
        dashboard = alice_client.get("/notices/").content.decode()
        assert 'data-testid="cancellation-banner"' in dashboard


def test_the_banner_of_a_notice_given_by_the_provider_offers_no_withdrawal(
    alice_client: Client, customer_a: Customer, staff: User
) -> None:
    # Only whoever gave the notice may withdraw it: the banner's link only leads to it.
    cancellations.cancellation_give(customer=customer_a, actor=staff)
    page = alice_client.get("/notices/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    banner = page.split('data-testid="cancellation-banner"')[1].split("</div>")[0]
    assert "登録取消の通知を確認する" in banner and "撤回" not in banner


def test_a_date_under_seven_days_is_refused(alice_client: Client, customer_a: Customer) -> None:
    with time_machine.travel(T0, tick=False):
        response = alice_client.post(
            PAGE, {"give": "1", "effective_date": "2026-12-07", "confirm": "on"}
        )
    assert response.status_code == 200
    assert not Cancellation.objects.exists()


def test_the_last_date_there_is_is_refused_not_a_server_error(alice_client: Client) -> None:
    """9999-12-31 has no end of day to take effect at: the form says the date is invalid."""
    response = alice_client.post(
        PAGE,
        {"give": "1", "effective_date": "9999-12-31", "confirm": "on"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert "日付を正しく入力してください。" in response.content.decode()
    assert not Cancellation.objects.exists()


def test_the_warning_must_be_acknowledged(alice_client: Client) -> None:
    alice_client.post(PAGE, {"give": "1", "effective_date": "2030-01-01"})
    assert not Cancellation.objects.exists()


def test_the_owner_withdraws_on_the_page(alice_client: Client, customer_a: Customer) -> None:
    alice_client.post(PAGE, {"give": "1", "effective_date": "2030-01-01", "confirm": "on"})
    response = alice_client.post(PAGE, {"withdraw": "1"})
    assert response.status_code == 302
    assert Cancellation.objects.get().state == Cancellation.State.WITHDRAWN
    customer_a.refresh_from_db()
    assert customer_a.status == Customer.Status.ACTIVE


def test_the_owner_finds_the_page_from_the_account_page(
    alice_client: Client, bob_client: Client
) -> None:
    """The owner reaches the cancellation page from the account page (it was linked only
    from the banner shown once notice was given); a member, who may not give notice, sees
    no link."""
    assert f'href="{PAGE}"' in alice_client.get("/account/").content.decode()
    assert f'href="{PAGE}"' not in bob_client.get("/account/").content.decode()


def test_a_member_may_not_give_notice(bob_client: Client) -> None:
    assert bob_client.get(PAGE).status_code == 403
    assert bob_client.post(PAGE, {"give": "1", "effective_date": "2030-01-01"}).status_code == 403
    assert bob_client.post(API, {}).status_code == 403
    assert not Cancellation.objects.exists()


def test_staff_without_a_company_get_404(staff_client: Client) -> None:
    assert staff_client.get(PAGE).status_code == 404


def test_another_company_cannot_see_or_withdraw_the_notice(
    alice: User, customer_a: Customer, charlie_client: Client
) -> None:
    cancellation = cancellations.cancellation_give(customer=customer_a, actor=alice)
    assert charlie_client.get(API).status_code == 404
    assert charlie_client.delete(API).status_code == 404
    charlie_client.post(PAGE, {"withdraw": "1"})
    cancellation.refresh_from_db()
    assert cancellation.state == Cancellation.State.SCHEDULED
    assert 'data-testid="cancellation-effective"' not in charlie_client.get(PAGE).content.decode()


def test_the_api_gives_reads_and_withdraws(alice_client: Client, customer_a: Customer) -> None:
    assert alice_client.get(API).status_code == 404
    with time_machine.travel(T0, tick=False):
        created = alice_client.post(API, {}, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["effective_at"].startswith("2026-12-08T10:00:00")
    assert alice_client.get(API).json()["state"] == "scheduled"
    withdrawn = alice_client.delete(API)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"


def test_the_api_refuses_a_six_day_notice(alice_client: Client) -> None:
    response = alice_client.post(
        API,
        {"effective_at": (datetime.now(UTC) + timedelta(days=6)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Cancellation.objects.exists()


def test_the_api_answers_in_japanese(alice_client: Client, bob_client: Client) -> None:
    """A Japanese client reads every refusal of the cancellation API in Japanese."""
    missing = alice_client.get(API, HTTP_ACCEPT_LANGUAGE="ja").json()
    assert missing == {"code": "not_found", "detail": "解約の通知はまだありません。"}
    member = bob_client.post(API, {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ja")
    assert member.json()["code"] == "permission_denied"
    assert member.json()["detail"] == "通知およびその撤回は、貴社の管理者（オーナー）のみ行えます。"
    invalid = alice_client.post(
        API, {"effective_at": "garbage"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ja"
    ).json()
    assert invalid["code"] == "invalid"
    assert invalid["detail"] == "入力内容に誤りがあります。"
    assert not Cancellation.objects.exists()


def test_the_api_refuses_withdrawal_after_the_effective_moment(
    alice: User, alice_client: Client, customer_a: Customer
) -> None:
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(customer=customer_a, actor=alice)
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        response = alice_client.delete(API)
    assert response.status_code == 409
    assert response.json()["code"] == "not_withdrawable"


def test_a_suspended_company_gives_notice_over_the_api(
    alice_client: Client, customer_a: Customer, staff: User
) -> None:
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    response = alice_client.post(API, {}, content_type="application/json")
    assert response.status_code == 201


def test_a_second_notice_while_suspended_is_refused_as_already_given(
    alice_client: Client, customer_a: Customer, staff: User
) -> None:
    """Notice given, then suspended: the status no longer says "cancellation scheduled", and
    a second notice reached the database's constraint (its name was the API's answer and the
    admin's message) instead of "already given"."""
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from tests.contracts.conftest import login

    assert alice_client.post(API, {}, content_type="application/json").status_code == 201
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    again = alice_client.post(API, {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_given"
    assert "cancellation_one_scheduled_per_customer" not in again.content.decode()
    page = login(staff).post(
        "/admin/contracts/customerstanding/",
        {
            "action": "cancel_for_provider",
            ACTION_CHECKBOX_NAME: [customer_a.pk],
            "confirm": "1",
            "note": "x",
        },
        follow=True,
    )
    body = page.content.decode()
    assert "登録取消の通知はすでに行われています" in body
    assert "cancellation_one_scheduled_per_customer" not in body
    assert Cancellation.objects.filter(customer=customer_a).count() == 1


def test_a_member_of_a_cancelled_company_is_told_why_the_login_no_longer_works(
    alice: User, customer_a: Customer
) -> None:
    """Applying the cancellation disables the logins; signing in with the right password
    then showed allauth's bare "アカウントが無効です。", with no reason and no one to ask."""
    with time_machine.travel(T0, tick=False):
        cancellations.cancellation_give(customer=customer_a, actor=alice)
    cancellations.cancellations_apply_due(now=T0 + timedelta(days=8))
    response = Client().post(
        "/accounts/login/", {"login": alice.email, "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/inactive/"
    body = response.content.decode()
    assert "利用登録の解約" in body and 'data-testid="logins-disabled"' in body
    assert "mailto:support@cts.example.jp" in body


def test_a_japanese_label_that_ends_a_sentence_takes_no_colon(alice_client: Client) -> None:
    """Django adds ":" after a label unless it ends with a mark of the language's list; the
    Japanese list had only ASCII marks: "…了承します（第10条第6項）。:" on the cancellation
    page, "…理解しました。:" on the stolen-credentials report."""
    for path, label in (
        (PAGE, "復元できないことを了承します（第10条第6項）。</label>"),
        ("/account/compromised/", "理解しました。</label>"),
    ):
        body = alice_client.get(path, headers={"Accept-Language": "ja"}).content.decode()
        assert label in body, path
        assert "。:" not in body, path
    english = alice_client.get(PAGE, headers={"Accept-Language": "en"}).content.decode()
    assert "cannot be restored (Art. 10(6)).</label>" in english
