"""Staff take a rental through the admin with the buttons on its page: approve by assigning
units, record delivery, record returns and wipes, end it; payments are recorded through the
service; the customer's admin page shows the balance and the liability cap; CSV exports."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from accounts.models import AuditEntry, Customer, User
from cameras.models import Product, Unit
from contracts.models import Payment, Rental, VideoDeletionRecord
from contracts.services import billing
from tests.conftest import viewing_staff_client
from tests.contracts.rental_helpers import make_active, make_request, make_units
from tests.factories import ProductFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _change(rental: Rental) -> str:
    return f"/admin/contracts/rental/{rental.pk}/change/"


def test_staff_approve_with_the_button_and_record_delivery(
    customer_a: Customer, alice: User, staff_client: Client
):
    rental = make_request(customer_a, alice, quantity=2)
    units = make_units(rental.product, 3)
    UnitFactory()  # another product's unit is not offered
    page = staff_client.get(_change(rental)).content.decode()
    approve_url = f"/admin/contracts/rental/{rental.pk}/approve/"
    assert f'href="{approve_url}"' in page
    form = staff_client.get(approve_url).content.decode()
    for unit in units:
        assert unit.serial in form
    # Wrong count: the page says so and nothing changes.
    response = staff_client.post(approve_url, {"units": [units[0].pk]})
    assert response.status_code == 200
    assert Rental.objects.get(pk=rental.pk).state == "requested"
    response = staff_client.post(approve_url, {"units": [units[0].pk, units[1].pk]})
    assert response.status_code == 302
    rental.refresh_from_db()
    assert rental.state == "approved"
    page = staff_client.get(_change(rental)).content.decode()
    deliver_url = f"/admin/contracts/rental/{rental.pk}/deliver/"
    assert f'formaction="{deliver_url}"' in page
    assert staff_client.post(deliver_url).status_code == 302
    rental.refresh_from_db()
    assert rental.state == "active" and rental.monthly_fee_yen == 2 * 9800


def test_staff_record_returns_and_wipes_per_unit_and_end_the_rental(
    customer_a: Customer, alice: User, staff: User, staff_client: Client
):
    product = ProductFactory(recording=Product.Recording.NAS)
    rental = make_active(customer_a, alice, staff, product=product)
    assignment = rental.assignments.get()
    end_url = f"/admin/contracts/rental/{rental.pk}/end/"
    assert staff_client.get(end_url).status_code == 200
    staff_client.post(end_url, {"clause": "art3", "reason": "工期満了"})
    rental.refresh_from_db()
    assert rental.state == "ended" and rental.end_clause == "art3"
    page = staff_client.get(_change(rental)).content.decode()
    return_url = f"/admin/contracts/rental/{rental.pk}/units/{assignment.pk}/return/"
    assert return_url in page
    staff_client.post(return_url)
    page = staff_client.get(_change(rental)).content.decode()
    wipe_url = f"/admin/contracts/rental/{rental.pk}/units/{assignment.pk}/wipe/"
    assert wipe_url in page
    staff_client.post(wipe_url)
    assert Unit.objects.get(pk=assignment.unit_id).state == "wiped"
    assert VideoDeletionRecord.objects.filter(unit=assignment.unit, storage="nas").exists()
    assert VideoDeletionRecord.objects.filter(rental=rental, storage="cloud").exists()


def test_staff_reject_with_a_reason(customer_a: Customer, alice: User, staff_client: Client):
    rental = make_request(customer_a, alice)
    url = f"/admin/contracts/rental/{rental.pk}/reject/"
    assert staff_client.post(url, {"reason": ""}).status_code == 200
    staff_client.post(url, {"reason": "対象機種の在庫がありません"})
    assert Rental.objects.get(pk=rental.pk).state == "rejected"


def test_rentals_cannot_be_edited_directly(customer_a: Customer, alice: User, staff_client: Client):
    rental = make_request(customer_a, alice)
    staff_client.post(_change(rental), {"state": "active"})
    assert Rental.objects.get(pk=rental.pk).state == "requested"


def test_payments_are_recorded_through_the_service(customer_a: Customer, staff_client: Client):
    response = staff_client.post(
        "/admin/contracts/payment/add/",
        {
            "customer": customer_a.pk,
            "amount_yen": "30000",
            "received_on": "2026-10-31",
            "method": "bank_transfer",
            "reference": "振込 ｴｰｹﾝｾﾂ",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get()
    assert payment.recorded_by is not None
    assert AuditEntry.objects.filter(action="contracts.payment.recorded").count() == 1
    future = staff_client.post(
        "/admin/contracts/payment/add/",
        {
            "customer": customer_a.pk,
            "amount_yen": "1000",
            "received_on": "2999-01-01",
            "method": "bank_transfer",
        },
    )
    assert future.status_code == 200
    assert Payment.objects.count() == 1


def _payment(customer: Customer, staff: User, amount_yen: int = 30000) -> Payment:
    return billing.payment_record(
        customer=customer,
        amount_yen=amount_yen,
        received_on=date(2026, 10, 31),
        method=Payment.Method.BANK_TRANSFER,
        actor=staff,
    )


def _void(client: Client, payment: Payment, note: str) -> str:
    response = client.post(
        "/admin/contracts/payment/",
        {"action": "void", "_selected_action": [payment.pk], "apply": "1", "note": note},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_payment_recorded_by_mistake_is_voided_with_its_reason_and_no_longer_counts(
    customer_a: Customer, alice: User, staff: User, staff_client: Client, alice_client: Client
):
    # 30,000 yen recorded where 3,000 were received: voided, then recorded anew.
    wrong = _payment(customer_a, staff)
    assert billing.customer_outstanding_balance(customer=customer_a) == -30000
    ask = staff_client.post(
        "/admin/contracts/payment/", {"action": "void", "_selected_action": [wrong.pk]}
    )
    assert ask.status_code == 200 and 'name="note"' in ask.content.decode()
    _void(staff_client, wrong, "金額の入力誤り（正しくは3,000円）")
    wrong.refresh_from_db()
    assert wrong.voided_at is not None and wrong.voided_by == staff
    assert wrong.void_reason == "金額の入力誤り（正しくは3,000円）"
    _payment(customer_a, staff, 3000)
    assert billing.customer_outstanding_balance(customer=customer_a) == -3000
    cap = billing.customer_liability_cap(customer=customer_a, on=date(2026, 11, 15))
    assert cap.amount_yen == 3000
    entry = AuditEntry.objects.get(action="contracts.payment.voided")
    assert (entry.actor, entry.clause, entry.extra["amount_yen"]) == (staff, "art5", 30000)
    # The customer sees it kept, marked and not counted.
    page = alice_client.get("/rentals/billing/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="payment-voided"' in page and "取消済み（計上されません）" in page
    api = alice_client.get("/api/v1/payments").json()
    voided = {row["id"]: row["voided_at"] for row in api["results"]}
    assert voided[wrong.pk] is not None


def test_a_payment_is_voided_once_and_only_with_a_reason(
    customer_a: Customer, staff: User, staff_client: Client
):
    payment = _payment(customer_a, staff)
    body = _void(staff_client, payment, "   ")
    assert "入金記録を取り消す理由を入力してください。" in body
    payment.refresh_from_db()
    assert payment.voided_at is None
    _void(staff_client, payment, "二重登録")
    payment.refresh_from_db()
    first = payment.voided_at
    body = _void(staff_client, payment, "もう一度")
    assert "取り消し済みです" in body
    payment.refresh_from_db()
    assert (payment.voided_at, payment.void_reason) == (first, "二重登録")
    assert AuditEntry.objects.filter(action="contracts.payment.voided").count() == 1


def test_staff_who_may_only_view_payments_cannot_void_them(customer_a: Customer, staff: User):
    payment = _payment(customer_a, staff)
    client = viewing_staff_client(Payment)
    assert 'value="void"' not in client.get("/admin/contracts/payment/").content.decode()
    _void(client, payment, "x")
    payment.refresh_from_db()
    assert payment.voided_at is None


def test_a_payment_of_zero_yen_is_refused_in_words_not_by_the_constraint_name(
    customer_a: Customer, staff_client: Client
):
    """The form let 0 through to the database constraint, whose name was all staff saw:
    「制約 “payment_amount_positive” に違反しています。」."""
    response = staff_client.post(
        "/admin/contracts/payment/add/",
        {
            "customer": customer_a.pk,
            "amount_yen": "0",
            "received_on": "2026-10-31",
            "method": "bank_transfer",
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "payment_amount_positive" not in body
    assert "入金額は1円以上で入力してください。" in body
    assert not Payment.objects.exists()


def test_the_customer_page_shows_balance_and_liability_cap(
    customer_a: Customer, staff: User, staff_client: Client
):
    for day, amount in (("2024-02-29", 1000), ("2024-03-01", 20000), ("2024-05-31", 300)):
        Payment.objects.create(
            customer=customer_a,
            amount_yen=amount,
            received_on=date.fromisoformat(day),
            method="bank_transfer",
        )
    url = f"/admin/accounts/customer/{customer_a.pk}/change/?cap_date=2024-05-31"
    body = staff_client.get(url).content.decode()
    assert 'id="customer-billing"' in body
    assert "¥20,300" in body
    assert "¥-21,300" in body or "-21,300" in body
    # A date with no three months before it counts from the first date there is, not a 500.
    response = staff_client.get(
        f"/admin/accounts/customer/{customer_a.pk}/change/?cap_date=0001-01-01",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The date was not understood" not in response.content.decode()


def test_units_list_filters_searches_and_exports(staff_client: Client):
    camera = ProductFactory(model_code="NC-LTE-01")
    UnitFactory(product=camera, serial="CAM-0001")
    UnitFactory(product=camera, serial="CAM-0002", state=Unit.State.RETIRED)
    for query in (
        "",
        "?state__exact=in_stock",
        "?q=CAM-0001",
        "?product__category__exact=network_camera",
    ):
        response = staff_client.get("/admin/cameras/unit/" + query)
        assert response.status_code == 200
        assert "CAM-0001" in response.content.decode()
    assert (
        "CAM-0001"
        not in staff_client.get("/admin/cameras/unit/?state__exact=retired").content.decode()
    )
    ids = list(Unit.objects.values_list("pk", flat=True))
    response = staff_client.post(
        "/admin/cameras/unit/", {"action": "export_csv", "_selected_action": ids}
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "model_code,serial,state,note,updated_at"
    assert "NC-LTE-01,CAM-0002,retired" in text


def test_rentals_and_payments_export_as_csv(
    customer_a: Customer, alice: User, staff: User, staff_client: Client
):
    rental = make_active(customer_a, alice, staff, quantity=2)
    serials = sorted(a.unit.serial for a in rental.assignments.select_related("unit"))
    response = staff_client.post(
        "/admin/contracts/rental/", {"action": "export_csv", "_selected_action": [rental.pk]}
    )
    text = response.content.decode("utf-8-sig")
    assert " ".join(serials) in text or " ".join(reversed(serials)) in text
    payment = Payment.objects.create(
        customer=customer_a, amount_yen=5000, received_on=date(2026, 1, 5), method="other"
    )
    response = staff_client.post(
        "/admin/contracts/payment/", {"action": "export_csv", "_selected_action": [payment.pk]}
    )
    assert "2026-01-05,5000,other" in response.content.decode("utf-8-sig")
    # A voided payment says so, and why.
    billing.payment_void(payment=payment, actor=staff, note="二重登録")
    response = staff_client.post(
        "/admin/contracts/payment/", {"action": "export_csv", "_selected_action": [payment.pk]}
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",voided_at,void_reason")
    assert lines[1].endswith(",二重登録") and "+09:00" in lines[1]


def test_staff_schedule_an_end_date_from_the_end_page(
    customer_a: Customer, alice: User, staff: User, staff_client: Client
):
    rental = make_active(customer_a, alice, staff)
    staff_client.post(
        f"/admin/contracts/rental/{rental.pk}/end/",
        {"clause": "art3", "ends_on": "2099-12-31", "reason": ""},
    )
    rental.refresh_from_db()
    assert rental.state == "ending" and rental.ends_on == date(2099, 12, 31)


def test_staff_without_the_change_rental_permission_cannot_operate(
    customer_a: Customer, alice: User
):
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    rental = make_request(customer_a, alice)
    unit = make_units(rental.product, 1)[0]
    clerk = StaffFactory(email="clerk@cts.example.jp")
    clerk.user_permissions.add(Permission.objects.get(codename="view_rental"))
    client = Client()
    client.force_login(clerk)
    page = client.get(_change(rental))
    assert page.status_code == 200
    assert 'id="approve-button"' not in page.content.decode()
    base = f"/admin/contracts/rental/{rental.pk}"
    assert client.post(f"{base}/approve/", {"units": [unit.pk]}).status_code == 403
    assert client.post(f"{base}/deliver/").status_code == 403
    assert client.post(f"{base}/reject/", {"reason": "x"}).status_code == 403
    assert Rental.objects.get(pk=rental.pk).state == "requested"
    clerk.user_permissions.add(Permission.objects.get(codename="change_rental"))
    clerk = User.objects.get(pk=clerk.pk)  # permissions are cached on the instance
    assert client.post(f"{base}/approve/", {"units": [unit.pk]}).status_code == 302
    assert Rental.objects.get(pk=rental.pk).state == "approved"


def test_staff_suspend_and_resume_a_rental(
    customer_a: Customer, alice: User, staff: User, staff_client: Client
):
    rental = make_active(customer_a, alice, staff)
    base = f"/admin/contracts/rental/{rental.pk}"
    assert f'href="{base}/suspend/"' in staff_client.get(_change(rental)).content.decode()
    staff_client.post(f"{base}/suspend/", {"clause": "art8.1", "reason": "基地局障害"})
    assert Rental.objects.get(pk=rental.pk).state == "suspended"
    assert AuditEntry.objects.filter(action="contracts.rental.suspended", clause="art8.1")
    assert 'id="resume-button"' in staff_client.get(_change(rental)).content.decode()
    staff_client.post(f"{base}/resume/")
    assert Rental.objects.get(pk=rental.pk).state == "active"
