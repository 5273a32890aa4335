"""The catalogue, the units and the terms documents are edited directly in the admin: each
save and delete there is in the audit log, with the fields changed, like a service's write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.admin_actions import _jsonable
from accounts.models import AuditEntry, User
from cameras.models import Product
from terms.models import TermsDocument, TermsVersion
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _posted(client: Client, url: str) -> dict[str, str]:
    """What the change form posts back unchanged (single values; a list keeps its first)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list | tuple):
            continue
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = "" if value is None else str(value)
    return data


def test_a_price_change_in_the_admin_is_audited(staff_client: Client, staff: User) -> None:
    product = ProductFactory(monthly_fee_yen=8000)
    url = f"/admin/cameras/product/{product.pk}/change/"
    data = _posted(staff_client, url)
    data["monthly_fee_yen"] = "9500"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(pk=product.pk).monthly_fee_yen == 9500
    entry = AuditEntry.objects.get(action="cameras.product.updated")
    assert entry.actor == staff and entry.target_id == str(product.pk)
    assert entry.clause == "art3"
    assert entry.extra["changes"] == {"monthly_fee_yen": [8000, 9500]}
    # Saved unchanged: nothing to record.
    staff_client.post(url, _posted(staff_client, url))
    assert AuditEntry.objects.filter(action="cameras.product.updated").count() == 1


def test_adding_a_unit_and_a_terms_document_is_audited(staff_client: Client, staff: User) -> None:
    product = ProductFactory()
    response = staff_client.post(
        "/admin/cameras/unit/add/", {"product": product.pk, "serial": "SN-QA2-1", "note": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = AuditEntry.objects.get(action="cameras.unit.created")
    assert created.actor == staff and created.extra["changes"]["serial"] == [None, "SN-QA2-1"]
    response = staff_client.post(
        "/admin/terms/termsdocument/add/",
        {
            "slug": "privacy-qa2",
            "title_ja": "個人情報の取扱い",
            "title_en": "Privacy",
            "requires_acceptance": "",
            "precedence": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="terms.termsdocument.created")
    assert entry.clause == "art15" and entry.actor == staff


def test_deleting_terms_drafts_in_the_admin_is_audited_one_by_one_and_in_bulk(
    staff_client: Client, staff: User
) -> None:
    # Drafts without text: deleting one with its articles lists each paragraph on Django's
    # confirmation page, one query each (left as it is: a rare staff action).
    document = TermsDocument.objects.get(slug="terms-of-use")
    drafts = [
        TermsVersion.objects.create(
            document=document,
            label=label,
            title="ご利用規約（案）",
            effective=date(2027, 1, 1),
            normalized_text="",
            sha256="0" * 64,
        )
        for label in ("2027-01-01", "2027-02-01", "2027-03-01")
    ]
    one, two, three = (draft.pk for draft in drafts)
    response = staff_client.post(f"/admin/terms/termsversion/{one}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = staff_client.post(
        "/admin/terms/termsversion/",
        {"action": "delete_selected", "_selected_action": [two, three], "post": "yes"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not TermsVersion.objects.filter(pk__in=[one, two, three]).exists()
    deleted = AuditEntry.objects.filter(action="terms.termsversion.deleted")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(
        str(pk) for pk in (one, two, three)
    )
    assert set(deleted.values_list("actor_id", flat=True)) == {staff.pk}


def test_old_and_new_values_are_kept_alike_whichever_side_they_come_from() -> None:
    # The form's initial data holds a related object's id and a time in UTC, its cleaned
    # data the object and Japan time: the audit keeps both sides the same way.
    product = ProductFactory()
    moment = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    tokyo = moment.astimezone(ZoneInfo("Asia/Tokyo"))
    assert _jsonable(product) == _jsonable(product.pk) == product.pk
    assert _jsonable(moment) == _jsonable(tokyo) == "2026-12-01T09:30:00+09:00"
