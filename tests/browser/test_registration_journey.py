"""The registration journey in a real browser, in Japanese (Art. 4): sign up, confirm the
e-mail address from the mail outbox, fill in and submit the application (full-width digits
included), a reviewer approves it in the admin, and the owner sees the active dashboard.
Screenshots of every step go to test-artifacts/registration/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from accounts.models import Customer
from contracts.models import REVIEWERS_GROUP, RegistrationApplication, UsageContract
from terms.models import Acceptance
from tests.browser.support import new_page, shot, sign_in, staff_sign_in, wait_for_mail
from tests.factories import TEST_PASSWORD, StaffFactory, valid_corporate_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

OWNER_EMAIL = "owner@hokkaido-doboku.example.jp"
CORPORATE_NUMBER = valid_corporate_number(246813579)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


def test_a_company_signs_up_applies_and_is_approved(browser: Any, live_server: Any) -> None:
    try:
        journey(browser, live_server.url)
    finally:
        # Under Playwright's greenlet the ORM calls above get a connection of their own;
        # close it, or the test database cannot be dropped at the end of the run.
        connections.close_all()


def journey(browser: Any, base: str) -> None:

    # 1. Sign up.
    page = new_page(browser)
    page.goto(f"{base}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.fill("input[name=email]", OWNER_EMAIL)
    page.fill("input[name=family_name]", "道央")
    page.fill("input[name=given_name]", "花子")
    page.fill("input[name=family_name_kana]", "ドウオウ")
    page.fill("input[name=given_name_kana]", "ハナコ")
    page.fill("input[name=password1]", TEST_PASSWORD)
    page.fill("input[name=password2]", TEST_PASSWORD)
    shot(page, "registration", "01-signup")
    page.locator("form:has(input[name=password1]) [type=submit]").click()
    page.wait_for_load_state()
    shot(page, "registration", "02-verification-sent")

    # 2. Confirm the address with the link from the e-mail.
    body = wait_for_mail(OWNER_EMAIL, "/accounts/confirm-email/")
    match = re.search(r"https?://[^\s/]+(/accounts/confirm-email/\S+)", body)
    assert match, body
    page.goto(base + match.group(1))
    shot(page, "registration", "03-confirm-email")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/apply/$"))

    # 3. The application, in Japanese, with full-width digits.
    assert page.locator("[data-testid=declaration-text]").inner_text().startswith("当社は")
    page.fill("#id_company_name", "北海道土木株式会社")
    page.fill("#id_company_name_kana", "ﾎｯｶｲﾄﾞｳﾄﾞﾎﾞｸｶﾌﾞｼｷｶﾞｲｼｬ")
    page.fill("#id_corporate_number", full_width(CORPORATE_NUMBER))
    page.fill("#id_representative_title", "代表取締役")
    page.fill("#id_representative_name", "道央 一郎")
    page.fill("#id_postal_code", "〒０６０－０００１")
    page.fill("#id_address", "北海道札幌市中央区北一条西二丁目")
    page.fill("#id_phone", "０１１－２３４－５６７８")
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert page.locator("#id_postal_code").input_value() == "060-0001"
    shot(page, "registration", "04-draft-saved")
    page.fill("#id_contact_name", "道央 花子")
    page.fill("#id_contact_department", "工事部")
    page.fill("#id_contact_email", "hanako@hokkaido-doboku.example.jp")
    page.fill("#id_billing_contact_name", "道央 次郎")
    page.fill("#id_billing_department", "経理部")
    page.fill("#id_billing_email", "keiri@hokkaido-doboku.example.jp")
    page.fill("#id_intended_use", "札幌市内の造成現場でネットワークカメラを使用します。")
    for box in page.locator("input[name^=accept_terms_]").all():
        box.check()
    page.check("#id_declaration")
    shot(page, "registration", "05-application-filled")
    page.click("button[value=submit]")
    page.wait_for_url(re.compile(r"/apply/$"))
    state = page.locator("[data-testid=application-state]")
    assert state.get_attribute("class") == "status status-submitted"
    shot(page, "registration", "06-application-submitted")

    application = RegistrationApplication.objects.get(applicant__email=OWNER_EMAIL)
    assert application.state == RegistrationApplication.State.SUBMITTED
    assert application.corporate_number == CORPORATE_NUMBER
    assert application.postal_code == "060-0001"
    assert Acceptance.objects.filter(
        user__email=OWNER_EMAIL, method=Acceptance.Method.APPLICATION
    ).exists()

    # 4. A reviewer signs in to the admin (password, then TOTP) and approves.
    reviewer = StaffFactory(email="reviewer@cts.example.jp")
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
    staff = new_page(browser)
    staff_sign_in(staff, base, reviewer.email)
    staff.goto(f"{base}/admin/contracts/registrationapplication/?state__exact=submitted")
    shot(staff, "registration", "07-admin-queue")
    staff.goto(f"{base}/admin/contracts/registrationapplication/{application.pk}/change/")
    assert staff.locator("#review-checks").is_visible()
    shot(staff, "registration", "08-admin-review")
    staff.goto(f"{base}/admin/contracts/registrationapplication/?state__exact=submitted")
    staff.check(f"input[name=_selected_action][value='{application.pk}']")
    staff.select_option("select[name=action]", "approve_selected")
    staff.click("button[name=index]")
    staff.wait_for_selector(".messagelist .success")
    shot(staff, "registration", "09-admin-approved")

    application.refresh_from_db()
    assert application.state == RegistrationApplication.State.APPROVED
    customer = Customer.objects.get(pk=application.customer_id)
    assert customer.status == Customer.Status.ACTIVE
    contract = UsageContract.objects.get(customer=customer)
    assert contract.terms_versions[0]["document"] == "terms-of-use"
    wait_for_mail(OWNER_EMAIL, "利用契約が成立")

    # 5. The owner signs in again and sees the active company.
    owner = new_page(browser)
    sign_in(owner, base, OWNER_EMAIL)
    owner.wait_for_url(re.compile(r"/dashboard/$"))
    status = owner.locator("[data-testid=customer-status]")
    assert status.get_attribute("class") == "status status-active"
    assert "北海道土木株式会社" in owner.content()
    shot(owner, "registration", "10-owner-dashboard")
