"""Stolen credentials in a real browser, in Japanese (Art. 6(3)): a member signed in on a
laptop and a phone reports from the account page that the password was stolen; both
sessions end, a reset e-mail arrives, the member sets a new password from its link and signs
in with it, and the stolen password is refused. Screenshots of every step go to
test-artifacts/compromise/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.db import connections

from accounts.models import Incident, User
from tests.browser.support import new_page, shot, sign_in, wait_for_mail
from tests.conftest import accept_current_terms
from tests.factories import (
    TEST_PASSWORD,
    CustomerFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
    make_usage_contract,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER_EMAIL = "kanri@minato-kouji.example.jp"
NEW_PASSWORD = "a fresh passphrase after the theft"


def test_a_member_reports_stolen_credentials_and_signs_in_again_after_the_reset(
    browser: Any, live_server: Any
) -> None:
    try:
        journey(browser, live_server.url)
    finally:
        connections.close_all()


def journey(browser: Any, base: str) -> None:
    customer = CustomerFactory(name="港工事株式会社")
    owner = UserFactory(email="shachou@minato-kouji.example.jp")
    MembershipFactory(user=owner, customer=customer, role="owner")
    member = UserFactory(email=MEMBER_EMAIL)
    MembershipFactory(user=member, customer=customer, role="member")
    accept_current_terms(member)
    make_usage_contract(customer, approver=StaffFactory(email="ops@cts.example.jp"))
    mail.outbox.clear()

    # 1. Signed in on two devices.
    laptop = new_page(browser)
    sign_in(laptop, base, MEMBER_EMAIL, TEST_PASSWORD)
    laptop.wait_for_url(re.compile(r"/dashboard/$"))
    phone = new_page(browser)
    sign_in(phone, base, MEMBER_EMAIL, TEST_PASSWORD)
    phone.wait_for_url(re.compile(r"/dashboard/$"))

    # 2. From the account page, the report of stolen credentials.
    laptop.click("nav.main-nav >> text=アカウント")
    laptop.wait_for_url(re.compile(r"/account/$"))
    laptop.click("a[href='/account/compromised/']")
    laptop.wait_for_url(re.compile(r"/account/compromised/$"))
    shot(laptop, "compromise", "01-report")
    laptop.check("input[name=confirm]")
    laptop.locator("form:has(input[name=confirm]) button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/account/compromised/done/$"))
    assert laptop.get_by_test_id("compromised-done").is_visible()
    shot(laptop, "compromise", "02-done")
    incident = Incident.objects.get(user=member)
    assert incident.state == Incident.State.OPEN

    # 3. Every session has ended: the phone is sent to the sign-in page.
    phone.reload()
    phone.wait_for_url(re.compile(r"/accounts/login/"))
    laptop.goto(f"{base}/dashboard/")
    laptop.wait_for_url(re.compile(r"/accounts/login/"))

    # 4. The stolen password no longer signs in.
    sign_in(laptop, base, MEMBER_EMAIL, TEST_PASSWORD)
    assert "/accounts/login/" in laptop.url
    assert laptop.locator("form:has(input[name=password]) .errorlist").first.is_visible()
    shot(laptop, "compromise", "03-old-password-refused")

    # 5. The reset e-mail's link sets a new password.
    body = wait_for_mail(MEMBER_EMAIL, "/accounts/password/reset/key/")
    match = re.search(r"https?://[^\s/]+(/accounts/password/reset/key/\S+/)", body)
    assert match, body
    laptop.goto(base + match.group(1))
    laptop.wait_for_selector("input[name=password1]")
    laptop.fill("input[name=password1]", NEW_PASSWORD)
    laptop.fill("input[name=password2]", NEW_PASSWORD)
    shot(laptop, "compromise", "04-new-password")
    laptop.locator("form:has(input[name=password1]) button[name=action]").click()
    laptop.wait_for_url(re.compile(r"/password/reset/key/done/$"))
    shot(laptop, "compromise", "05-password-set")

    # 6. The new password signs in; the stolen one stays refused.
    sign_in(laptop, base, MEMBER_EMAIL, NEW_PASSWORD)
    laptop.wait_for_url(re.compile(r"/dashboard/$"))
    shot(laptop, "compromise", "06-signed-in-again")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    stranger = new_page(browser)
    sign_in(stranger, base, MEMBER_EMAIL, TEST_PASSWORD)
    assert "/accounts/login/" in stranger.url
    assert User.objects.get(pk=member.pk).has_usable_password()
