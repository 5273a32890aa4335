"""What the browser journeys share: Debian's chromium, a page in Japanese, screenshots under
test-artifacts/, and a staff sign-in to the admin with a time-based code."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.factories import STAFF_TOTP_SECRET, TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOTP_PERIOD = 30
# A code typed this close to the end of its 30-second window may reach the server in the
# next one, where allauth (no tolerance) refuses it: wait for a fresh window instead.
TOTP_MARGIN_SECONDS = 6


def totp_now(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    left = TOTP_PERIOD - time.time() % TOTP_PERIOD
    if left < TOTP_MARGIN_SECONDS:
        time.sleep(left + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


def new_page(browser: Any, *, locale: str = "ja-JP") -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1100, "height": 1400})
    context.set_default_timeout(15000)
    return context.new_page()


def shot(page: Any, journey: str, name: str) -> None:
    folder = ARTIFACTS / journey
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def wait_for_mail(to: str, needle: str) -> str:
    """The body of the first e-mail to ``to`` containing ``needle``, sent by the live server
    (in this process: Django's locmem outbox), waiting up to 10 seconds for it."""
    from django.core import mail

    for _ in range(100):
        for message in mail.outbox:
            if to in message.to and needle in message.body:
                return str(message.body)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {to} containing {needle!r}")


def sign_in(page: Any, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Signs a customer in from the sign-in page; the caller checks where they land."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def staff_sign_in(page: Any, base: str, email: str, secret: str = STAFF_TOTP_SECRET) -> None:
    """Signs a staff member in to the admin the way a person does: password, then the code."""
    page.goto(f"{base}/admin/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", totp_now(secret))
    page.locator("form:has(input[name=code]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))
