"""Publishing a version (Art. 15): one terms_changed notice per customer still bound by the
terms, never twice; the admin action; what the notice says."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import Customer, User
from notices.models import Notice
from terms.models import TermsVersion
from terms.selectors import tokyo_today
from terms.services import terms_version_publish
from tests.conftest import viewing_staff_client
from tests.factories import CustomerFactory, StaffFactory, make_owner
from tests.terms.helpers import import_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(alice: User, bob: User, charlie: User) -> dict[str, Customer]:
    """A and B (active) from the personas, plus one company in each other state."""
    result = {"a": alice.membership.customer, "b": charlie.membership.customer}
    for status in Customer.Status.values:
        if status == Customer.Status.ACTIVE:
            continue
        customer = CustomerFactory(status=status, name=f"状態 {status}")
        make_owner(email=f"owner-{status}@example.jp", customer=customer)
        result[status] = customer
    return result


def test_publishing_twice_notifies_each_bound_customer_once(
    customers: dict[str, Customer],
    staff: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    assert not Notice.objects.filter(kind="terms_changed").exists()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        terms_version_publish(version=draft, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        terms_version_publish(version=draft, actor=staff)
    notices = Notice.objects.filter(kind="terms_changed")
    expected = {customers[key].pk for key in ("a", "b", "suspended", "cancellation_scheduled")}
    assert {n.customer_id for n in notices} == expected
    assert len(notices) == len(expected)
    assert all(n.clause == "art15" and n.period == "2026-12-01" for n in notices)
    # Neither the applicant nor the cancelled and revoked companies are told.
    for key in ("applicant", "cancelled", "revoked"):
        assert not notices.filter(customer=customers[key]).exists()
    # Company A's notice goes to its owner and member, once.
    a_mails = [m for m in mail.outbox if "alice@a.example.jp" in m.to]
    assert len(a_mails) == 1
    assert "bob@a.example.jp" in a_mails[0].to
    draft.refresh_from_db()
    assert draft.published


def test_the_notice_states_the_document_version_date_summary_and_links(
    customers: dict[str, Customer], staff: User
) -> None:
    version = import_revision(
        effective=date(2027, 1, 15), summary="第12条第3項の予告期間を14日に変更しました。"
    )
    notice = Notice.objects.get(kind="terms_changed", customer=customers["a"])
    assert "ご利用規約" in notice.mail_subject and "改定のお知らせ" in notice.mail_subject
    assert "2027年1月15日" in notice.mail_subject
    for text in (
        "2026-12-01",  # version label
        "2027年1月15日",
        "第12条第3項の予告期間を14日に変更しました。",
        "/terms/accept/",
        "/terms/terms-of-use/diff/2023-04-01/2026-12-01/",
        "/terms/terms-of-use/v/2026-12-01/",
    ):
        assert text in notice.body_text
    assert "御中" in notice.body_text
    assert version.published


def test_an_english_customer_gets_the_english_notice(customers: dict[str, Customer]) -> None:
    customers["b"].language = "en"
    customers["b"].save(update_fields=["language"])
    import_revision(effective=date(2027, 1, 15))
    notice = Notice.objects.get(kind="terms_changed", customer=customers["b"])
    assert notice.mail_subject.startswith("[CTS]")
    assert "Effective from: 2027-01-15" in notice.body_text


def test_the_admin_action_publishes(customers: dict[str, Customer], staff_client: Client) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    response = staff_client.post(
        "/admin/terms/termsversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.published
    assert Notice.objects.filter(kind="terms_changed").count() == 4
    # A published version is read-only in the admin.
    page = staff_client.get(f"/admin/terms/termsversion/{draft.pk}/change/")
    assert page.status_code == 200
    assert 'name="effective"' not in page.content.decode()


def test_publishing_refuses_staff_without_the_permission(
    customers: dict[str, Customer],
) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    with pytest.raises(PermissionDenied):
        terms_version_publish(version=draft, actor=StaffFactory(email="clerk@cts.example.jp"))
    draft.refresh_from_db()
    assert not draft.published
    assert not Notice.objects.filter(kind="terms_changed").exists()


def test_staff_who_may_only_view_terms_cannot_publish_them(
    customers: dict[str, Customer],
) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    client = viewing_staff_client(TermsVersion)
    changelist = "/admin/terms/termsversion/"
    assert 'value="publish"' not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.published
    assert not Notice.objects.filter(kind="terms_changed").exists()


def test_the_admin_action_refuses_a_too_close_date(
    customers: dict[str, Customer], staff_client: Client
) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    TermsVersion.objects.filter(pk=draft.pk).update(effective=tokyo_today())
    response = staff_client.post(
        "/admin/terms/termsversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert not draft.published
    assert not Notice.objects.filter(kind="terms_changed").exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any(str(draft) in m for m in messages)


def test_a_draft_stays_editable_in_the_admin(staff_client: Client) -> None:
    draft = import_revision(effective=date(2027, 1, 15), publish=False)
    page = staff_client.get(f"/admin/terms/termsversion/{draft.pk}/change/")
    assert 'name="effective"' in page.content.decode()
    assert TermsVersion.objects.filter(published=False).count() == 1
