"""Staff ledger: filters, the body as sent, CSV history of one customer."""

import csv
import io

import pytest
from django.test import Client

from accounts.models import AuditEntry, Customer, User
from notices.checks import check_notice_templates, missing_templates
from notices.models import Notice

from .conftest import make_notice

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


@pytest.fixture
def ledger(alice: User, charlie: User, customer_a: Customer, customer_b: Customer) -> list[Notice]:
    return [
        make_notice(customer_a, period="a1"),
        make_notice(customer_a, period="a2", clause="art12.3"),
        make_notice(customer_b, period="b1"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state__exact": "pending"},
        {"kind__exact": "service_interruption"},
        {"created_at__gte": "2020-01-01 00:00:00+09:00"},
        {"q": "株式会社エー建設"},
    ],
)
def test_the_changelist_filters_and_searches(
    staff_client: Client, ledger: list[Notice], query: dict[str, str]
) -> None:
    response = staff_client.get("/admin/notices/notice/", query, headers=EN)
    assert response.status_code == 200


def test_the_customer_filter_narrows_the_ledger(
    staff_client: Client, ledger: list[Notice], customer_b: Customer
) -> None:
    response = staff_client.get(
        "/admin/notices/notice/", {"customer__id__exact": customer_b.pk}, headers=EN
    )
    assert response.status_code == 200
    assert [n.pk for n in response.context["cl"].result_list] == [ledger[2].pk]


def test_the_change_page_shows_the_body_as_sent_read_only(
    staff_client: Client, ledger: list[Notice]
) -> None:
    notice = ledger[0]
    response = staff_client.get(f"/admin/notices/notice/{notice.pk}/change/", headers=EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "期間: window a1" in page  # the text body
    assert 'sandbox=""' in page  # the HTML body, displayed, never run
    assert notice.content_sha256 in page
    assert 'name="mail_subject"' not in page  # nothing is editable
    assert f"/admin/notices/notice/customer/{notice.customer_id}/history.csv" in page
    # Ledger rows are never added or deleted by hand.
    assert staff_client.get("/admin/notices/notice/add/").status_code == 403
    assert staff_client.get(f"/admin/notices/notice/{notice.pk}/delete/").status_code == 403


def test_the_csv_history_holds_one_customers_notices_and_is_audited(
    staff_client: Client, ledger: list[Notice], customer_a: Customer
) -> None:
    response = staff_client.get(f"/admin/notices/notice/customer/{customer_a.pk}/history.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [int(r["id"]) for r in rows] == [ledger[0].pk, ledger[1].pk]
    assert rows[1]["clause"] == "art12.3"
    assert rows[0]["content_sha256"] == ledger[0].content_sha256
    assert rows[0]["recipients"] == "alice@a.example.jp"
    entry = AuditEntry.objects.get(action="notices.history.exported")
    assert entry.customer == customer_a


def test_the_export_action_gives_the_selected_notices(
    staff_client: Client, ledger: list[Notice]
) -> None:
    response = staff_client.post(
        "/admin/notices/notice/",
        {"action": "export_csv", "_selected_action": [ledger[2].pk]},
    )
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(content))] == [ledger[2].pk]


def test_customers_cannot_reach_the_ledger(alice_client: Client, ledger: list[Notice]) -> None:
    response = alice_client.get(
        f"/admin/notices/notice/customer/{ledger[0].customer_id}/history.csv"
    )
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_every_kind_has_all_its_templates_and_the_check_is_clean() -> None:
    assert missing_templates() == []
    assert check_notice_templates() == []


def test_a_missing_template_of_a_sendable_kind_is_a_system_check_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core import checks
    from django.template import TemplateDoesNotExist, loader

    real = loader.get_template

    def without_one(name: str, *args: object, **kwargs: object) -> object:
        if name == "emails/revocation.en.html":
            raise TemporaryError(name)
        return real(name, *args, **kwargs)

    class TemporaryError(TemplateDoesNotExist):
        """The one template this test pretends is missing."""

    monkeypatch.setattr("notices.checks.get_template", without_one)
    messages = check_notice_templates()
    assert [m.id for m in messages] == ["notices.E001"]
    assert messages[0].level == checks.ERROR
    assert "emails/revocation.en.html" in messages[0].msg
