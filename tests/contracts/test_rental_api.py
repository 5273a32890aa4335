"""The rentals API: catalogue, requests (create), contract, rentals, units, charges,
payments, deletion records and the balance with the liability cap; every object route is a
404 for another company; list routes take a fixed number of queries; the schema documents
the routes and their errors."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.test import Client
from knox.models import AuthToken

from accounts.models import Customer, User
from cameras.models import Product
from contracts.models import BackhoeAcknowledgement, Payment, Rental
from tests.contracts.rental_helpers import bulk_rentals, make_active, make_charge_and_payment
from tests.factories import ProductFactory, make_usage_contract

pytestmark = pytest.mark.django_db


def _api(user: User) -> Client:
    _token, secret = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def _request(product: Product, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "product": product.pk,
        "quantity": 2,
        "site_name": "横浜港北IC改良工事",
        "site_address": "神奈川県横浜市都筑区",
        "desired_start": "2099-05-01",
    }
    body.update(overrides)
    return body


def test_the_catalogue_filters(alice: User):
    ProductFactory(model_code="NC-LTE", connectivity="lte")
    ProductFactory(model_code="NC-WIFI", connectivity="wifi")
    rows = _api(alice).get("/api/v1/catalogue/products?connectivity=wifi").json()["results"]
    assert [r["model_code"] for r in rows] == ["NC-WIFI"]
    assert _api(alice).get("/api/v1/catalogue/products/999999").json()["code"] == "not_found"


def test_a_member_requests_through_the_api(customer_a: Customer, bob: User):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    response = _api(bob).post("/api/v1/rentals", _request(camera), "application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "requested" and body["quantity"] == 2 and body["units"] == []
    assert Rental.objects.get().requested_by == bob


def test_a_backhoe_request_through_the_api_needs_the_acknowledgement(
    customer_a: Customer, alice: User
):
    make_usage_contract(customer_a)
    backhoe = ProductFactory(category="backhoe_camera_system")
    client = _api(alice)
    machine = {"machine_maker": "コベルコ", "machine_model": "SK200", "machine_number": "S-9"}
    response = client.post("/api/v1/rentals", _request(backhoe, **machine), "application/json")
    assert response.status_code == 400
    assert "backhoe_acknowledged" in response.json()["errors"]
    ack = client.get("/api/v1/rentals/backhoe-acknowledgement").json()
    wrong = _request(backhoe, backhoe_acknowledged=True, acknowledgement_sha256="0" * 64, **machine)
    assert client.post("/api/v1/rentals", wrong, "application/json").status_code == 400
    good = _request(
        backhoe, backhoe_acknowledged=True, acknowledgement_sha256=ack["sha256"], **machine
    )
    assert client.post("/api/v1/rentals", good, "application/json").status_code == 201
    assert BackhoeAcknowledgement.objects.get().sha256 == ack["sha256"]


def test_suspended_customer_cannot_request_through_the_api(customer_a: Customer, alice: User):
    make_usage_contract(customer_a)
    Customer.objects.filter(pk=customer_a.pk).update(status=Customer.Status.SUSPENDED)
    response = _api(alice).post("/api/v1/rentals", _request(ProductFactory()), "application/json")
    assert response.status_code in (400, 403)
    assert not Rental.objects.exists()


def test_the_customer_reads_its_contract_rentals_units_and_billing(
    customer_a: Customer, alice: User, staff: User
):
    rental = make_active(customer_a, alice, staff, quantity=2)
    Payment.objects.create(
        customer=customer_a, amount_yen=12000, received_on=date(2026, 10, 1), method="other"
    )
    client = _api(alice)
    assert client.get("/api/v1/contract").json()["terms_versions"][0]["label"] == "2023-04-01"
    rentals = client.get("/api/v1/rentals").json()["results"]
    assert len(rentals[0]["units"]) == 2
    units = client.get("/api/v1/units").json()["results"]
    assert {u["serial"] for u in units} == {
        a.unit.serial for a in rental.assignments.select_related("unit")
    }
    balance = client.get("/api/v1/balance?date=2026-11-15").json()
    assert balance["liability_cap_yen"] == 12000
    assert balance["outstanding_balance_yen"] == -12000
    assert client.get("/api/v1/balance?date=2026-13-01").status_code == 400
    refused = client.get("/api/v1/balance?date=2026-13-01", HTTP_ACCEPT_LANGUAGE="ja")
    assert refused.json()["errors"]["date"] == ["日付は YYYY-MM-DD 形式で指定してください。"]
    # A date with no three months before it counts from the first date there is, not a 500.
    early = client.get("/api/v1/balance?date=0001-01-01")
    assert early.status_code == 200
    assert early.json()["liability_cap_window_start"] == "0001-01-01"


def test_every_object_route_is_404_for_another_company(
    customer_a: Customer, alice: User, charlie: User, staff: User
):
    rental = make_active(customer_a, alice, staff)
    assignment = rental.assignments.get()
    charge, payment = make_charge_and_payment(customer_a, rental)
    routes = [
        f"/api/v1/rentals/{rental.pk}",
        f"/api/v1/units/{assignment.pk}",
        f"/api/v1/charges/{charge.pk}",
        f"/api/v1/payments/{payment.pk}",
    ]
    owner, stranger = _api(alice), _api(charlie)
    for url in routes:
        assert owner.get(url).status_code == 200, url
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    for url in ("/api/v1/rentals", "/api/v1/units", "/api/v1/charges", "/api/v1/payments"):
        assert stranger.get(url).json()["results"] == [], url
    # charlie's company has no contract yet: a 404 too, never alice's.
    assert stranger.get("/api/v1/contract").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rentals",
        "/api/v1/units",
        "/api/v1/charges",
        "/api/v1/payments",
        "/api/v1/deletion-records",
        "/api/v1/catalogue/products",
    ],
)
@pytest.mark.parametrize("count", [1, 200])
def test_api_lists_take_a_fixed_number_of_queries(
    customer_a: Customer,
    alice: User,
    staff: User,
    url: str,
    count: int,
    django_assert_max_num_queries,
):
    bulk_rentals(customer_a, staff, count)
    ProductFactory.create_batch(count)
    client = _api(alice)
    client.get(url + "?page_size=200")
    with django_assert_max_num_queries(12):
        response = client.get(url + "?page_size=200")
    assert response.status_code == 200
    assert len(response.json()["results"]) >= count


def test_the_schema_documents_the_rental_routes_and_their_errors(alice: User):
    client = Client()
    client.force_login(alice)
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for route in (
        "/api/v1/catalogue/products",
        "/api/v1/rentals",
        "/api/v1/rentals/{id}",
        "/api/v1/units/{id}",
        "/api/v1/charges/{id}",
        "/api/v1/payments/{id}",
        "/api/v1/balance",
        "/api/v1/contract",
    ):
        assert route in paths, route
    post = paths["/api/v1/rentals"]["post"]["responses"]
    assert {"201", "400", "403", "404"} <= set(post)
    assert "404" in paths["/api/v1/rentals/{id}"]["get"]["responses"]


def test_the_api_refusals_of_its_own_are_in_the_callers_language(
    customer_a: Customer, alice: User, bob: User
):
    """The rentals and cancellation views' own messages (unknown product, changed
    acknowledgement, a malformed date, no notice given, owner only) are translated."""
    make_usage_contract(customer_a)
    camera = ProductFactory()
    client = _api(alice)
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    unknown = {**_request(camera), "product": 999999}
    errors = client.post("/api/v1/rentals", unknown, "application/json", **ja).json()["errors"]
    assert errors["product"] == ["該当する商品がありません。"]
    changed = {**_request(camera), "acknowledgement_sha256": "0" * 64}
    errors = client.post("/api/v1/rentals", changed, "application/json", **ja).json()["errors"]
    assert "確認事項" in errors["acknowledgement_sha256"][0]
    errors = client.get("/api/v1/balance?date=2027/01/01", **ja).json()["errors"]
    assert errors["date"] == ["日付は YYYY-MM-DD 形式で指定してください。"]
    assert (
        client.get("/api/v1/cancellation", **ja).json()["detail"] == "解約の通知はまだありません。"
    )
    refused = _api(bob).get("/api/v1/cancellation", **ja)
    assert refused.status_code == 403
    assert "オーナー" in refused.json()["detail"]
    english = client.get("/api/v1/cancellation", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == "No notice of cancellation has been given."


def test_dates_at_the_ends_of_the_calendar_are_a_400_not_a_500(customer_a: Customer, alice: User):
    """Year 1 placed in Tokyo leaves the calendar (UTC is 9 hours behind): refused with the
    error shape. Balance dates at both ends of the calendar are answered."""
    make_usage_contract(customer_a)
    client = _api(alice)
    for effective_at in ("0001-01-01", "0001-01-01T00:00", "9999-12-31T23:59:59-12:00"):
        response = client.post(
            "/api/v1/cancellation", {"effective_at": effective_at}, "application/json"
        )
        assert response.status_code == 400, (effective_at, response.content[:200])
        assert response.json()["errors"]["effective_at"] == ["指定できる範囲外の日時です。"]
    assert client.get("/api/v1/balance?date=0001-04-02").status_code == 200
    assert client.get("/api/v1/balance?date=9999-12-31").status_code == 200


def test_a_request_retried_with_its_idempotency_key_makes_one_rental(
    customer_a: Customer, alice: User
):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    client = _api(alice)
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = client.post("/api/v1/rentals", _request(camera), "application/json", **key)
    again = client.post("/api/v1/rentals", _request(camera), "application/json", **key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] == Rental.objects.get().pk
    other = client.post(
        "/api/v1/rentals",
        _request(camera),
        "application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert other.status_code == 201 and Rental.objects.count() == 2
    bad = client.post(
        "/api/v1/rentals",
        _request(camera),
        "application/json",
        HTTP_IDEMPOTENCY_KEY="again",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["Idempotency-Key"][0].startswith("UUID で指定してください")
    assert Rental.objects.count() == 2
    empty = client.post(
        "/api/v1/rentals", _request(camera), "application/json", HTTP_IDEMPOTENCY_KEY=""
    )
    assert empty.status_code == 400 and "Idempotency-Key" in empty.json()["errors"]
    assert Rental.objects.count() == 2


def test_the_same_idempotency_key_with_other_details_is_a_422_and_makes_nothing(
    customer_a: Customer, alice: User
):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    client = _api(alice)
    key = str(uuid.uuid4())
    first = client.post(
        "/api/v1/rentals", _request(camera), "application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == 201
    for language, words in (("ja", "この Idempotency-Key は"), ("en", "This Idempotency-Key")):
        other = client.post(
            "/api/v1/rentals",
            _request(camera, quantity=5),
            "application/json",
            HTTP_IDEMPOTENCY_KEY=key,
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert other.status_code == 422, other.content
        body = other.json()
        assert body["code"] == "idempotency_key_reused"
        assert body["detail"].startswith(words) and str(first.json()["id"]) in body["detail"]
    # Stripped as the rental stores them, the same details are the same request.
    again = client.post(
        "/api/v1/rentals",
        _request(camera, site_name=" 横浜港北IC改良工事 "),
        "application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Rental.objects.get().quantity == 2


def test_an_idempotency_key_is_the_companys_own(
    customer_a: Customer, customer_b: Customer, alice: User, bob: User, charlie: User
):
    make_usage_contract(customer_a)
    make_usage_contract(customer_b)
    camera = ProductFactory()
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    mine = _api(alice).post("/api/v1/rentals", _request(camera), "application/json", **key)
    # A colleague retrying the company's request gets the company's rental...
    colleague = _api(bob).post("/api/v1/rentals", _request(camera), "application/json", **key)
    assert colleague.status_code == 201 and colleague.json()["id"] == mine.json()["id"]
    # ...another company sending the same key makes its own, and learns nothing of A's.
    theirs = _api(charlie).post(
        "/api/v1/rentals", _request(camera, quantity=3), "application/json", **key
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]
    assert Rental.objects.get(pk=theirs.json()["id"]).customer == customer_b
    assert Rental.objects.filter(customer=customer_a).count() == 1


def test_the_schema_documents_the_idempotency_key_and_its_422(alice: User):
    schema = _api(alice).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/rentals"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["format"] == "uuid"
    assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
    error = operation["responses"]["422"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
