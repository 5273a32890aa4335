"""Switching the language in a real browser: the switcher in the header turns the pages from
Japanese to English and back, on the page where it was used; the choice holds on the next
pages and across signing out and in again (it is the browser's, kept in Django's language
cookie). Screenshots of every step go to test-artifacts/language/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connections

from accounts.models import Customer, User
from tests.browser.support import new_page, shot
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch_to(page: Any, language: str) -> None:
    """Picks a language in the header's switcher, which submits itself when changed."""
    before = page.url
    page.select_option("#lang-select", language)
    page.wait_for_function(
        "lang => document.documentElement.lang === lang", arg=language, timeout=15000
    )
    # The switcher brings the person back to the page they were on.
    assert page.url == before


def nav_text(page: Any) -> str:
    return str(page.locator("nav.main-nav").inner_text())


def test_the_language_switcher_changes_the_pages_and_the_choice_holds(
    browser: Any, live_server: Any, alice: User, customer_a: Customer
) -> None:
    try:
        journey(browser, live_server.url)
    finally:
        connections.close_all()


def journey(browser: Any, base: str) -> None:
    # 1. A browser set to Japanese gets the sign-in page in Japanese, switches to English.
    page = new_page(browser)
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "新規登録" in nav_text(page)
    shot(page, "language", "01-login-ja")
    switch_to(page, "en")
    assert "Sign up" in nav_text(page)
    shot(page, "language", "02-login-en")

    # 2. Signed in, every page is in English.
    page.fill("input[name=login]", "alice@a.example.jp")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Dashboard" in nav_text(page) and "ダッシュボード" not in nav_text(page)
    page.click("nav.main-nav >> text=Catalogue")
    page.wait_for_url(re.compile(r"/catalogue/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#lang-select").input_value() == "en"
    shot(page, "language", "03-catalogue-en")

    # 3. Back to Japanese on the catalogue; the next page stays Japanese.
    switch_to(page, "ja")
    assert "機器カタログ" in nav_text(page)
    shot(page, "language", "04-catalogue-ja")
    page.click("nav.main-nav >> text=アカウント")
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.locator("html").get_attribute("lang") == "ja"

    # 4. English again, then sign out and in: the choice holds in this browser.
    switch_to(page, "en")
    page.locator("nav.main-nav button:has-text('Sign out')").click()
    page.wait_for_load_state()
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("input[name=login]", "alice@a.example.jp")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert "Dashboard" in nav_text(page)
    shot(page, "language", "05-dashboard-en-after-sign-in")
