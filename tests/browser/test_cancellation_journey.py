"""The owner gives notice of cancellation in a real browser, in Japanese (Art. 12(3)): signs
in, reads the warning that no video data is kept afterwards (Art. 10(6)), gives notice for
the earliest date, sees the date and the banner, then withdraws it. Screenshots of every
step go to test-artifacts/cancellation/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from accounts.models import Customer, User
from contracts.models import Cancellation
from notices.models import Notice
from tests.factories import TEST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cancellation"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def test_the_owner_gives_and_withdraws_notice_of_cancellation(
    browser: Any, live_server: Any, alice: User, customer_a: Customer
) -> None:
    try:
        context = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 1200})
        context.set_default_timeout(15000)
        page = context.new_page()
        base = live_server.url

        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=login]", "alice@a.example.jp")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        page.goto(f"{base}/company/cancellation/")
        warning = page.get_by_test_id("video-data-warning")
        assert "第10条第6項" in warning.inner_text()
        page.screenshot(path=str(ARTIFACTS / "1-form.png"), full_page=True)

        page.check("#id_confirm")
        page.get_by_test_id("give-cancellation").click()
        page.wait_for_selector("[data-testid=cancellation-effective]")
        assert page.get_by_test_id("cancellation-banner").is_visible()
        page.screenshot(path=str(ARTIFACTS / "2-given.png"), full_page=True)
        cancellation = Cancellation.objects.get(customer=customer_a)
        assert cancellation.state == Cancellation.State.SCHEDULED
        customer_a.refresh_from_db()
        assert customer_a.status == Customer.Status.CANCELLATION_SCHEDULED

        page.get_by_test_id("withdraw-cancellation").click()
        page.wait_for_selector("[data-testid=give-cancellation]")
        assert page.get_by_test_id("cancellation-banner").count() == 0
        page.screenshot(path=str(ARTIFACTS / "3-withdrawn.png"), full_page=True)
        cancellation.refresh_from_db()
        assert cancellation.state == Cancellation.State.WITHDRAWN
        customer_a.refresh_from_db()
        assert customer_a.status == Customer.Status.ACTIVE
        periods = sorted(
            Notice.objects.filter(kind=Notice.Kind.CANCELLATION_GIVEN).values_list(
                "period", flat=True
            )
        )
        assert periods == ["", "provider", "withdrawn", "withdrawnprovider"]
        context.close()
    finally:
        connections.close_all()
