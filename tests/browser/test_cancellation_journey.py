"""The owner gives notice of cancellation in a real browser, in Japanese (Art. 12(3)): signs
in, reads the warning that no video data is kept afterwards (Art. 10(6)), gives notice for
the earliest date, sees the date and the banner, then withdraws it. Screenshots of every
step go to test-artifacts/cancellation/."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from accounts.models import Customer, User
from contracts.models import Cancellation
from notices.models import Notice
from tests.browser.support import new_page, shot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_the_owner_gives_and_withdraws_notice_of_cancellation(
    browser: Any, live_server: Any, alice: User, customer_a: Customer
) -> None:
    try:
        page = new_page(browser)
        base = live_server.url

        sign_in(page, base, "alice@a.example.jp")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        page.goto(f"{base}/company/cancellation/")
        warning = page.get_by_test_id("video-data-warning")
        assert "第10条第6項" in warning.inner_text()
        shot(page, "cancellation", "1-form")

        page.check("#id_confirm")
        page.get_by_test_id("give-cancellation").click()
        page.wait_for_selector("[data-testid=cancellation-effective]")
        assert page.get_by_test_id("cancellation-banner").is_visible()
        shot(page, "cancellation", "2-given")
        cancellation = Cancellation.objects.get(customer=customer_a)
        assert cancellation.state == Cancellation.State.SCHEDULED
        customer_a.refresh_from_db()
        assert customer_a.status == Customer.Status.CANCELLATION_SCHEDULED

        page.get_by_test_id("withdraw-cancellation").click()
        page.wait_for_selector("[data-testid=give-cancellation]")
        assert page.get_by_test_id("cancellation-banner").count() == 0
        shot(page, "cancellation", "3-withdrawn")
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
        page.context.close()
    finally:
        connections.close_all()
