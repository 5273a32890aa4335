"""The customer's catalogue and rental pages: filters, the request form with the backhoe
acknowledgement, the contract, units, charges, payments and deletion records; another
company's objects are 404; list pages take a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Customer, User
from cameras.models import Product
from contracts.models import BackhoeAcknowledgement, Rental
from contracts.services.rentals import BACKHOE_ACKNOWLEDGEMENT_TEXT
from ctsportal.paging import PAGE_SIZE
from tests.contracts.rental_helpers import bulk_rentals, make_active, make_request
from tests.factories import ProductFactory, make_usage_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def backhoe() -> Product:
    return ProductFactory(
        category=Product.Category.BACKHOE_CAMERA_SYSTEM,
        model_code="BH-CAM-2",
        name_ja="バックホウカメラシステム",
        name_en="Backhoe camera system",
        recording=Product.Recording.SD_CARD,
        image="cameras/img/backhoe-camera.svg",
    )


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "quantity": 1,
        "site_name": "新宿三丁目ビル新築工事",
        "site_address": "東京都新宿区新宿3-1-1",
        "desired_start": "2099-04-01",
    }
    data.update(overrides)
    return data


# --- Catalogue --------------------------------------------------------------------------------


def test_the_catalogue_lists_and_filters(alice_client: Client, backhoe: Product):
    camera = ProductFactory(connectivity="wifi", name_ja="Wi-Fiカメラ", model_code="NC-WIFI")
    ProductFactory(active=False, model_code="NC-OLD")
    body = alice_client.get("/catalogue/").content.decode()
    assert "BH-CAM-2" in body and "NC-WIFI" in body and "NC-OLD" not in body
    body = alice_client.get("/catalogue/?category=backhoe_camera_system").content.decode()
    assert "BH-CAM-2" in body and "NC-WIFI" not in body
    body = alice_client.get("/catalogue/?connectivity=wifi").content.decode()
    assert "NC-WIFI" in body
    body = alice_client.get("/catalogue/?q=バックホウ").content.decode()
    assert "BH-CAM-2" in body and "NC-WIFI" not in body
    assert alice_client.get(f"/catalogue/{camera.pk}/").status_code == 200
    inactive = Product.objects.get(model_code="NC-OLD")
    assert alice_client.get(f"/catalogue/{inactive.pk}/").status_code == 404


@pytest.mark.parametrize("count", [1, 200])
def test_the_catalogue_takes_a_fixed_number_of_queries(
    alice_client: Client, count: int, django_assert_max_num_queries
):
    accessory = ProductFactory(category="accessory")
    for product in ProductFactory.create_batch(count):
        product.accessories.add(accessory)
    alice_client.get("/catalogue/")
    with django_assert_max_num_queries(12):
        response = alice_client.get("/catalogue/")
    assert response.content.decode().count('class="card product-card"') == count + 1


def test_the_navigation_links_the_rental_pages(alice_client: Client):
    body = alice_client.get("/rentals/").content.decode()
    for url in ("/catalogue/", "/rentals/", "/rentals/units/", "/rentals/billing/"):
        assert f'href="{url}"' in body


# --- Request form -----------------------------------------------------------------------------


def test_a_member_requests_a_camera_from_the_product_page(
    customer_a: Customer, bob: User, bob_client: Client
):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    page = bob_client.get(f"/catalogue/{camera.pk}/").content.decode()
    assert f'href="/rentals/request/{camera.pk}/"' in page
    form = bob_client.get(f"/rentals/request/{camera.pk}/").content.decode()
    assert "machine_number" not in form
    response = bob_client.post(f"/rentals/request/{camera.pk}/", _form(quantity=3))
    rental = Rental.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rentals/{rental.pk}/"
    assert (rental.customer, rental.requested_by, rental.quantity) == (customer_a, bob, 3)


def test_an_accessory_has_no_request_page(customer_a: Customer, alice_client: Client):
    make_usage_contract(customer_a)
    accessory = ProductFactory(category="accessory")
    assert alice_client.get(f"/rentals/request/{accessory.pk}/").status_code == 404
    assert alice_client.post(f"/rentals/request/{accessory.pk}/", _form()).status_code == 404
    assert not Rental.objects.exists()


def test_a_backhoe_request_needs_the_acknowledgement_every_time(
    customer_a: Customer, alice_client: Client, backhoe: Product
):
    make_usage_contract(customer_a)
    url = f"/rentals/request/{backhoe.pk}/"
    page = alice_client.get(url).content.decode()
    assert 'data-testid="backhoe-acknowledgement"' in page
    assert BACKHOE_ACKNOWLEDGEMENT_TEXT["ja"] in page
    machine = {"machine_maker": "日立建機", "machine_model": "ZX200", "machine_number": "ZX-77"}
    response = alice_client.post(url, _form(**machine))
    assert response.status_code == 200
    assert not Rental.objects.exists()
    for _ in range(2):
        response = alice_client.post(url, _form(backhoe_acknowledged="on", **machine))
        assert response.status_code == 302
    acks = BackhoeAcknowledgement.objects.all()
    assert acks.count() == 2
    assert {a.text for a in acks} == {BACKHOE_ACKNOWLEDGEMENT_TEXT["ja"]}


def test_suspended_customer_cannot_request_on_the_page(customer_a: Customer, alice_client: Client):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    Customer.objects.filter(pk=customer_a.pk).update(status=Customer.Status.SUSPENDED)
    response = alice_client.post(f"/rentals/request/{camera.pk}/", _form())
    assert not Rental.objects.exists()
    # Refused by the service (a form error) or earlier by the request policy (redirect/403).
    assert response.status_code in (200, 302, 403)
    if response.status_code == 200:
        assert 'class="errorlist' in response.content.decode()


# --- The customer's own contract, rentals, units, billing -------------------------------------


def test_my_contracts_show_the_usage_contract_and_rentals_with_units(
    customer_a: Customer, alice: User, alice_client: Client, staff: User
):
    rental = make_active(customer_a, alice, staff, quantity=2)
    body = alice_client.get("/rentals/").content.decode()
    assert 'data-testid="usage-contract"' in body
    assert "ネットワークカメラ製品 ご利用規約 2023-04-01" in body
    for a in rental.assignments.select_related("unit"):
        assert a.unit.serial in body
    detail = alice_client.get(f"/rentals/{rental.pk}/").content.decode()
    assert 'data-testid="rental-state"' in detail
    units = alice_client.get("/rentals/units/").content.decode()
    assert rental.site_name in units


def test_another_companys_objects_are_404(
    customer_a: Customer,
    alice: User,
    staff: User,
    charlie_client: Client,
    alice_client: Client,
):
    rental = make_active(customer_a, alice, staff)
    assignment = rental.assignments.get()
    for url in (f"/rentals/{rental.pk}/", f"/rentals/units/{assignment.pk}/"):
        assert alice_client.get(url).status_code == 200, url
        assert charlie_client.get(url).status_code == 404, url
    for url in ("/rentals/", "/rentals/units/", "/rentals/billing/", "/rentals/deletions/"):
        body = charlie_client.get(url).content.decode()
        assert rental.site_name not in body, url
        assert assignment.unit.serial not in body, url


def test_pending_request_page_says_units_are_not_assigned_yet(
    customer_a: Customer, alice: User, alice_client: Client
):
    rental = make_request(customer_a, alice)
    assert alice_client.get(f"/rentals/{rental.pk}/").status_code == 200


def test_the_request_time_is_labelled_as_a_time_not_as_the_state(
    customer_a: Customer, alice: User, alice_client: Client
):
    """The label of the request's time shared its msgid with the state "Requested", so the
    Japanese page read 「申込み受付 2026-12-01 06:48」 under a state of 「申込み受付」."""
    rental = make_request(customer_a, alice)
    body = alice_client.get(f"/rentals/{rental.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<dt>申込日時</dt>" in body
    assert "<dt>申込み受付</dt>" not in body


# The queries of each list page on a warm cache, whatever the number of rows: the page's own
# reads (a page of 25 rows and one more, never a count); the person with the company comes
# from the cache (accounts.middleware).
LIST_PAGE_QUERIES = {
    # the usage contract, its terms' titles, the rentals, their units
    "/rentals/": 4,
    "/rentals/units/": 1,
    # the balance (charges, payments), a page of charges, a page of payments
    "/rentals/billing/": 4,
    "/rentals/deletions/": 1,
}


@pytest.mark.parametrize("url", list(LIST_PAGE_QUERIES))
@pytest.mark.parametrize("count", [1, 200])
def test_list_pages_take_a_fixed_number_of_queries(
    customer_a: Customer,
    alice_client: Client,
    staff: User,
    url: str,
    count: int,
    django_assert_num_queries,
    settings,
):
    # What rendering the page costs (served from the cache it costs none:
    # tests/ctsportal/test_pagecache.py).
    settings.PAGE_CACHE = False
    rentals = bulk_rentals(customer_a, staff, count)
    alice_client.get(url)
    with django_assert_num_queries(LIST_PAGE_QUERIES[url]):
        response = alice_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert any(f"#{r.pk}<" in body or f"/rentals/{r.pk}/" in body for r in rentals)
    assert ('data-testid="pager"' in body) is (count > PAGE_SIZE)


def test_the_contract_list_shows_25_rentals_a_page_newest_first(
    customer_a: Customer, alice_client: Client, staff: User
):
    rentals = bulk_rentals(customer_a, staff, 30)
    first = alice_client.get("/rentals/").content.decode()
    second = alice_client.get("/rentals/?page=2").content.decode()
    newest_first = sorted(rentals, key=lambda r: (r.requested_at, r.pk), reverse=True)
    on_first = [r for r in rentals if f'data-testid="rental-{r.pk}"' in first]
    on_second = [r for r in rentals if f'data-testid="rental-{r.pk}"' in second]
    assert on_first == sorted(newest_first[:25], key=rentals.index)
    assert on_second == sorted(newest_first[25:], key=rentals.index)
    assert 'href="?page=2"' in first and 'href="?page=1"' in second


def test_an_overlong_note_is_refused_on_the_form_and_the_api(
    customer_a: Customer, bob: User, bob_client: Client
):
    make_usage_contract(customer_a)
    camera = ProductFactory()
    response = bob_client.post(f"/rentals/request/{camera.pk}/", _form(note="あ" * 2001))
    assert response.status_code == 200
    assert "2000 文字以下" in response.content.decode()
    api = APIClient()
    api.force_authenticate(bob)
    refused = api.post(
        "/api/v1/rentals",
        {
            "product": camera.pk,
            "quantity": 1,
            "site_name": "現場",
            "site_address": "札幌市",
            "note": "あ" * 2001,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert refused.status_code == 400 and "note" in refused.json()["errors"]
    assert not Rental.objects.exists()


def test_the_same_request_form_sent_twice_makes_one_rental(
    customer_a: Customer, bob: User, bob_client: Client
):
    # A double click or a resent POST: the form's key makes the second copy the first.
    make_usage_contract(customer_a)
    camera = ProductFactory()
    url = f"/rentals/request/{camera.pk}/"
    page = bob_client.get(url).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)
    assert key is not None
    first = bob_client.post(url, _form(submission_key=key.group(1)))
    again = bob_client.post(url, _form(submission_key=key.group(1)))
    rental = Rental.objects.get()
    assert first["Location"] == again["Location"] == f"/rentals/{rental.pk}/"
    assert AuditEntry.objects.filter(action="contracts.rental.requested").count() == 1
    # A form shown anew is another request.
    other = re.search(
        r'name="submission_key" value="([0-9a-f-]{36})"', bob_client.get(url).content.decode()
    )
    assert other is not None and other.group(1) != key.group(1)
    bob_client.post(url, _form(submission_key=other.group(1)))
    assert Rental.objects.count() == 2


def test_a_sent_form_sent_again_with_other_details_is_refused_not_passed_over(
    customer_a: Customer, bob: User, bob_client: Client
):
    # The back button, a changed quantity, "send" again: the first rental is not the answer
    # (its "request sent" would hide that the new details were dropped).
    make_usage_contract(customer_a)
    camera = ProductFactory()
    url = f"/rentals/request/{camera.pk}/"
    key = re.search(
        r'name="submission_key" value="([0-9a-f-]{36})"', bob_client.get(url).content.decode()
    )
    assert key is not None
    bob_client.post(url, _form(submission_key=key.group(1)))
    rental = Rental.objects.get()
    again = bob_client.post(
        url, _form(submission_key=key.group(1), quantity=4), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert again.status_code == 200
    page = again.content.decode()
    assert f"このフォームは別の内容ですでに送信されています（レンタル #{rental.pk}）" in page
    assert Rental.objects.get().quantity == 1
