"""Art. 8(2): once the end of the service or of a product line is announced, the catalogue
says when the product's line ends and offers no request, a new rental of it is refused (in
the service, the form and the API, Japanese first) and staff cannot approve one still
pending; other lines are unaffected, and an end no longer announced covers nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from knox.models import AuthToken

from accounts.models import AuditEntry, Customer, User
from cameras.models import Product, Unit
from contracts.models import Rental, ServiceEnd
from contracts.selectors.service_ends import service_end_for_product, service_ends_for_products
from contracts.services import rentals as services
from contracts.services import service_events
from tests.contracts.rental_helpers import make_request, make_units, request_data
from tests.factories import ProductFactory, make_usage_contract

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# Far enough ahead that the 30 days' notice always holds, whenever the suite runs.
ENDS_AT = datetime(2099, 1, 10, 0, 0, tzinfo=TOKYO)
ENDS_JA = "2099年1月10日 00:00"
ENDS_EN = "2099-01-10 00:00"
REFUSAL_JA = (
    f"この製品は{ENDS_JA}（日本時間）をもって提供を終了するため、"
    "新規のレンタルはお申し込みいただけません（利用規約第8条第2項）。"
)
WITHDRAWN_JA = "この商品はお申込みいただけません。"
REFUSAL_EN = (
    f"The provision of this product ends at {ENDS_EN} (Japan time), so new rentals of it "
    "cannot be requested (Terms of use, Art. 8(2))."
)


def _announce(staff: User, category: str = "", *, effective_at: datetime = ENDS_AT) -> ServiceEnd:
    return service_events.service_end_announce(
        actor=staff,
        scope=ServiceEnd.Scope.CATEGORY if category else ServiceEnd.Scope.ALL,
        category=category,
        title="旧型ネットワークカメラの提供終了",
        effective_at=effective_at,
    )


@pytest.fixture
def camera() -> Product:
    return ProductFactory(category=Product.Category.NETWORK_CAMERA, model_code="NC-END")


@pytest.fixture
def backhoe() -> Product:
    return ProductFactory(category=Product.Category.BACKHOE_CAMERA_SYSTEM, model_code="BH-GO")


def _request(customer: Customer, user: User, product: Product) -> Rental:
    make_usage_contract(customer)
    return services.rental_request(
        customer=customer,
        user=user,
        data=request_data(product),
        backhoe_acknowledged=product.is_backhoe,
    )


# --- the selector -------------------------------------------------------------------------------


def test_the_earliest_announced_end_covering_each_product_in_one_query(
    staff: User, camera: Product, backhoe: Product, django_assert_num_queries
) -> None:
    accessory: Product = ProductFactory(category=Product.Category.ACCESSORY)
    later = _announce(staff, effective_at=datetime(2099, 6, 1, tzinfo=TOKYO))
    line = _announce(staff, Product.Category.NETWORK_CAMERA)
    other_cameras = ProductFactory.create_batch(5)
    with django_assert_num_queries(1):
        covering = service_ends_for_products(products=[camera, backhoe, accessory, *other_cameras])
    assert covering == {
        camera.pk: line,
        backhoe.pk: later,
        accessory.pk: later,
        **{p.pk: line for p in other_cameras},
    }


def test_an_end_of_another_line_or_an_applied_end_covers_nothing(
    staff: User, camera: Product
) -> None:
    end = _announce(staff, Product.Category.BACKHOE_CAMERA_SYSTEM)
    assert service_end_for_product(product=camera) is None
    ServiceEnd.objects.filter(pk=end.pk).update(
        scope=ServiceEnd.Scope.ALL, category="", state=ServiceEnd.State.APPLIED, applied_at=ENDS_AT
    )
    assert service_end_for_product(product=camera) is None


# --- the request, in the service ----------------------------------------------------------------


@pytest.mark.parametrize("category", [Product.Category.NETWORK_CAMERA, ""])
def test_a_request_for_a_product_of_an_ending_line_is_refused_and_nothing_is_written(
    customer_a: Customer, alice: User, staff: User, camera: Product, category: str
) -> None:
    _announce(staff, category)
    audit_before = AuditEntry.objects.count()
    with translation.override("ja"), pytest.raises(ValidationError) as refused:
        _request(customer_a, alice, camera)
    assert refused.value.message_dict == {"product": [REFUSAL_JA]}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _request(customer_a, alice, camera)
    assert refused.value.message_dict == {"product": [REFUSAL_EN]}
    assert not Rental.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_request_for_another_line_is_still_accepted(
    customer_a: Customer, alice: User, staff: User, backhoe: Product
) -> None:
    _announce(staff, Product.Category.NETWORK_CAMERA)
    rental = _request(customer_a, alice, backhoe)
    assert rental.state == Rental.State.REQUESTED


def test_a_request_is_accepted_again_once_the_end_is_no_longer_announced(
    customer_a: Customer, alice: User, staff: User, camera: Product
) -> None:
    # The terms provide no withdrawal; an end that is no longer "announced" (applied, or
    # put right by staff in the database) no longer refuses anything.
    end = _announce(staff, Product.Category.NETWORK_CAMERA)
    with pytest.raises(ValidationError):
        _request(customer_a, alice, camera)
    ServiceEnd.objects.filter(pk=end.pk).update(state=ServiceEnd.State.APPLIED, applied_at=ENDS_AT)
    assert _request(customer_a, alice, camera).state == Rental.State.REQUESTED


def test_an_applied_end_takes_its_line_out_of_the_catalogue(
    customer_a: Customer, alice: User, staff: User, camera: Product, backhoe: Product
) -> None:
    # Once the end is applied it no longer refuses by its date: the line's products leave
    # the catalogue instead, and a request for one is refused as for any withdrawn product.
    end = _announce(staff, Product.Category.NETWORK_CAMERA)
    with time_machine.travel(ENDS_AT + timedelta(minutes=1), tick=False):
        assert service_events.service_ends_apply_due().changed == 1
    end.refresh_from_db()
    assert end.state == ServiceEnd.State.APPLIED
    camera.refresh_from_db()
    backhoe.refresh_from_db()
    assert (camera.active, backhoe.active) == (False, True)
    entry = AuditEntry.objects.get(action="contracts.service_end.applied")
    assert entry.extra == {"rentals_ended": 0, "products_withdrawn": 1}
    with translation.override("ja"), pytest.raises(ValidationError) as refused:
        _request(customer_a, alice, camera)
    assert refused.value.message_dict == {"product": [WITHDRAWN_JA]}
    assert _request(customer_a, alice, backhoe).state == Rental.State.REQUESTED
    page = Client()
    page.force_login(alice)
    catalogue = page.get("/catalogue/").content.decode()
    assert "BH-GO" in catalogue and "NC-END" not in catalogue


# --- staff approval -----------------------------------------------------------------------------


def test_staff_cannot_approve_a_pending_request_once_its_line_end_is_announced(
    customer_a: Customer, alice: User, staff: User, staff_client: Client, camera: Product
) -> None:
    rental = make_request(customer_a, alice, product=camera)
    units = make_units(camera, 1)
    _announce(staff, Product.Category.NETWORK_CAMERA)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.rental_approve(rental=rental, unit_ids=[units[0].pk], actor=staff)
    assert refused.value.code == "product_service_ending"
    message = refused.value.messages[0]
    assert "Network camera" in message and ENDS_EN in message and "Reject the request" in message
    # Through the button on the rental's admin page: the page says why before units are
    # picked and again when sent, and nothing changes.
    approve_page = staff_client.get(f"/admin/contracts/rental/{rental.pk}/approve/")
    assert ENDS_JA in approve_page.content.decode()
    response = staff_client.post(
        f"/admin/contracts/rental/{rental.pk}/approve/", {"units": [units[0].pk]}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert ENDS_JA in body and "却下" in body
    rental.refresh_from_db()
    assert rental.state == Rental.State.REQUESTED
    assert Unit.objects.get(pk=units[0].pk).state == Unit.State.IN_STOCK
    assert not AuditEntry.objects.filter(action="contracts.rental.approved").exists()


# --- the browser form ---------------------------------------------------------------------------


def _form() -> dict[str, object]:
    return {
        "quantity": 1,
        "site_name": "新宿三丁目ビル新築工事",
        "site_address": "東京都新宿区新宿3-1-1",
        "desired_start": "2099-04-01",
    }


def test_the_form_shows_the_refusal_and_sends_nothing(
    customer_a: Customer, staff: User, alice_client: Client, camera: Product
) -> None:
    make_usage_contract(customer_a)
    url = f"/rentals/request/{camera.pk}/"
    _announce(staff, Product.Category.NETWORK_CAMERA)
    page = alice_client.get(url).content.decode()
    assert f"提供終了予定: {ENDS_JA}" in page
    assert 'type="submit" disabled' in page
    # A form opened before the announcement and sent after it.
    response = alice_client.post(url, _form())
    assert response.status_code == 200
    assert REFUSAL_JA in response.content.decode()
    assert not Rental.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def _api(user: User, language: str) -> Client:
    _token, secret = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("language", "refusal"),
    [pytest.param("ja", REFUSAL_JA, id="ja"), pytest.param("en", REFUSAL_EN, id="en")],
)
def test_the_api_refuses_the_request_as_a_validation_error_in_the_callers_language(
    customer_a: Customer,
    alice: User,
    staff: User,
    camera: Product,
    backhoe: Product,
    language: str,
    refusal: str,
) -> None:
    make_usage_contract(customer_a)
    _announce(staff, Product.Category.NETWORK_CAMERA)
    client = _api(alice, language)
    body = {
        "product": camera.pk,
        "quantity": 1,
        "site_name": "横浜港北IC改良工事",
        "site_address": "神奈川県横浜市都筑区",
        "desired_start": "2099-05-01",
    }
    response = client.post("/api/v1/rentals", body, "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"product": [refusal]}
    assert not Rental.objects.exists()
    # Another line is still requested through the API.
    machine = {"machine_maker": "コマツ", "machine_model": "PC200", "machine_number": "K-1"}
    other = {**body, "product": backhoe.pk, "backhoe_acknowledged": True, **machine}
    assert client.post("/api/v1/rentals", other, "application/json").status_code == 201


# --- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_shows_the_end_and_offers_no_request(
    customer_a: Customer,
    alice: User,
    staff: User,
    alice_client: Client,
    camera: Product,
    backhoe: Product,
) -> None:
    make_usage_contract(customer_a)
    _announce(staff, Product.Category.NETWORK_CAMERA)
    listing = alice_client.get("/catalogue/").content.decode()
    assert listing.count('data-testid="service-end"') == 1
    assert f"提供終了予定: {ENDS_JA}" in listing
    detail = alice_client.get(f"/catalogue/{camera.pk}/").content.decode()
    assert f"提供終了予定: {ENDS_JA}" in detail
    assert f'href="/rentals/request/{camera.pk}/"' not in detail
    assert '<button type="button" id="request-button" disabled' in detail
    other = alice_client.get(f"/catalogue/{backhoe.pk}/").content.decode()
    assert f'href="/rentals/request/{backhoe.pk}/"' in other and "service-end" not in other
    english = alice_client.get(
        f"/catalogue/{camera.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f"Service ends: {ENDS_EN}" in english
    rows = _api(alice, "ja").get("/api/v1/catalogue/products").json()["results"]
    ends = {row["model_code"]: row["service_ends_at"] for row in rows}
    assert ends == {"NC-END": "2099-01-10T00:00:00+09:00", "BH-GO": None}


def test_the_catalogue_costs_the_same_queries_whatever_the_products_and_ends(
    staff: User, alice_client: Client, django_assert_max_num_queries
) -> None:
    def queries() -> int:
        alice_client.get("/catalogue/")
        with django_assert_max_num_queries(20) as captured:
            response = alice_client.get("/catalogue/")
        assert response.status_code == 200
        return len(captured)

    ProductFactory()
    few = queries()
    ProductFactory.create_batch(30)
    ProductFactory.create_batch(30, category=Product.Category.BACKHOE_CAMERA_SYSTEM)
    _announce(staff, Product.Category.NETWORK_CAMERA)
    _announce(staff, Product.Category.BACKHOE_CAMERA_SYSTEM)
    _announce(staff, effective_at=datetime(2099, 6, 1, tzinfo=TOKYO))
    assert queries() == few
    assert alice_client.get("/catalogue/").content.decode().count("service-end") >= 61
