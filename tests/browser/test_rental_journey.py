"""The rental journey in a real browser (Art. 3, 8(2), 13(10)): a customer browses the
catalogue (a product line whose end is announced shows its date and cannot be requested),
requests a backhoe camera system with the acknowledgement, staff approve it in the admin by
assigning units with the button on the rental's page and record the delivery, and the
customer sees the active rental with its serial-numbered units. Screenshots go to
test-artifacts/rental/."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from cameras.models import Product
from contracts.models import BackhoeAcknowledgement, Rental, ServiceEnd
from contracts.services import service_events
from tests.browser.support import new_page, shot, sign_in, staff_sign_in
from tests.conftest import accept_current_terms
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
    make_usage_contract,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "genba@yamanaka-kensetsu.example.jp"


def test_a_customer_rents_a_backhoe_camera_system(browser: Any, live_server: Any) -> None:
    try:
        journey(browser, live_server.url)
    finally:
        connections.close_all()


def journey(browser: Any, base: str) -> None:
    customer = CustomerFactory(name="山中建設株式会社")
    owner = UserFactory(email=OWNER_EMAIL)
    MembershipFactory(user=owner, customer=customer, role="owner")
    accept_current_terms(owner)
    staff = StaffFactory(email="ops@cts.example.jp", is_superuser=True)
    make_usage_contract(customer, approver=staff)
    ProductFactory(model_code="NC-LTE-9", name_ja="LTEカメラ")
    backhoe = ProductFactory(
        category=Product.Category.BACKHOE_CAMERA_SYSTEM,
        model_code="BH-CAM-2CH",
        name_ja="バックホウカメラシステム 2カメラ",
        name_en="Backhoe camera system, 2 cameras",
        recording=Product.Recording.SD_CARD,
        power=Product.Power.VEHICLE,
        connectivity=Product.Connectivity.WIFI,
        monthly_fee_yen=15000,
        image="cameras/img/backhoe-camera.svg",
    )
    serials = ["BHCA-260001", "BHCA-260002", "BHCA-260003"]
    for serial in serials:
        UnitFactory(product=backhoe, serial=serial)
    # Art. 8(2): the network cameras' line ends (announced far ahead, as the terms allow).
    service_events.service_end_announce(
        actor=staff,
        scope=ServiceEnd.Scope.CATEGORY,
        category=Product.Category.NETWORK_CAMERA,
        title="LTEカメラの提供終了",
        effective_at=datetime(2099, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo")),
    )

    # 1. The customer signs in and browses the catalogue, filtered to backhoe systems.
    page = new_page(browser)
    sign_in(page, base, OWNER_EMAIL)
    page.click("nav.main-nav >> text=機器カタログ")
    page.wait_for_url(re.compile(r"/catalogue/$"))
    ending = page.locator("[data-testid=product-NC-LTE-9] [data-testid=service-end]")
    assert "提供終了予定: 2099年1月10日 00:00" in ending.inner_text()
    assert page.locator("[data-testid=product-BH-CAM-2CH] [data-testid=service-end]").count() == 0
    page.click("[data-testid=product-NC-LTE-9] h2 a")
    assert page.locator("#request-button").is_disabled()
    shot(page, "rental", "00-service-end")
    page.go_back()
    page.select_option("#id_category", "backhoe_camera_system")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"category=backhoe_camera_system"))
    assert page.locator("[data-testid=product-BH-CAM-2CH]").is_visible()
    assert page.locator("[data-testid=product-NC-LTE-9]").count() == 0
    shot(page, "rental", "01-catalogue")

    # 2. The product page, then the request form with the Art. 13(10) acknowledgement.
    page.click("[data-testid=product-BH-CAM-2CH] h2 a")
    page.click("#request-button")
    page.wait_for_url(re.compile(r"/rentals/request/\d+/$"))
    ack = page.locator("[data-testid=backhoe-acknowledgement]")
    assert "事故を回避するものではない" in ack.inner_text()
    page.fill("#id_quantity", "2")
    page.fill("#id_site_name", "国道16号 橋梁架替工事")
    page.fill("#id_site_address", "神奈川県相模原市中央区")
    page.fill("#id_desired_start", "2099-04-01")
    page.fill("#id_machine_maker", "コマツ")
    page.fill("#id_machine_model", "PC200-11")
    page.fill("#id_machine_number", "KMT-35521")
    # Without the acknowledgement the request is refused.
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".errorlist").first.is_visible()
    assert not Rental.objects.exists()
    page.check("#id_backhoe_acknowledged")
    shot(page, "rental", "02-request")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/rentals/\d+/$"))
    assert page.locator("[data-testid=rental-state]").get_attribute("class") == (
        "status status-requested"
    )
    shot(page, "rental", "03-requested")
    rental = Rental.objects.get()
    assert BackhoeAcknowledgement.objects.get(rental=rental).user_id == owner.pk

    # 3. Staff sign in to the admin and approve with the button on the rental's page.
    admin = new_page(browser)
    staff_sign_in(admin, base, staff.email)
    admin.goto(f"{base}/admin/contracts/rental/{rental.pk}/change/")
    admin.click("#approve-button")
    admin.wait_for_url(re.compile(r"/approve/$"))
    admin.check(f"label:has-text('{serials[0]}') input")
    admin.check(f"label:has-text('{serials[2]}') input")
    shot(admin, "rental", "04-admin-assign")
    admin.click("#assign-button")
    admin.wait_for_url(re.compile(r"/change/$"))
    assert admin.locator(".messagelist .success").is_visible()
    # 4. Delivery, with the button on the same page.
    admin.click("#deliver-button")
    admin.wait_for_url(re.compile(r"/change/$"))
    assert admin.locator(".messagelist .success").is_visible()
    shot(admin, "rental", "05-admin-delivered")
    rental.refresh_from_db()
    assert rental.state == Rental.State.ACTIVE and rental.monthly_fee_yen == 30000

    # 5. The customer sees the active rental with its serial-numbered units.
    page.goto(f"{base}/rentals/")
    row = page.locator(f"[data-testid=rental-{rental.pk}]")
    assert serials[0] in row.inner_text() and serials[2] in row.inner_text()
    page.click(f"[data-testid=rental-{rental.pk}] a")
    assert page.locator("[data-testid=rental-state]").get_attribute("class") == (
        "status status-active"
    )
    assert page.locator(f"[data-testid=unit-{serials[0]}]").is_visible()
    assert page.locator(f"[data-testid=unit-{serials[2]}]").is_visible()
    assert page.locator(f"[data-testid=unit-{serials[1]}]").count() == 0
    shot(page, "rental", "06-active-rental")
    page.click("nav.main-nav >> text=ご利用機器")
    assert "KMT-35521" in page.locator(f"[data-testid=unit-{serials[0]}]").inner_text()
    shot(page, "rental", "07-my-units")
