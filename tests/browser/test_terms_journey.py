"""A new terms version in a real browser, in Japanese (Art. 15): staff upload the revised text
in the admin, see its differences from the version in force, and publish it with the notice
period; the customer is told (a notice) and keeps using the portal until the effective date,
then is sent to the acceptance page, sees what changed, accepts, and goes on to the
dashboard. Screenshots of every step go to test-artifacts/terms/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from notices.models import Notice
from terms.models import Acceptance, TermsDocument, TermsVersion, tokyo_today
from tests.browser.support import new_page, shot, sign_in, staff_sign_in
from tests.conftest import accept_current_terms
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
    make_usage_contract,
)
from tests.terms.helpers import ART12_NEW, ART12_OLD, revised_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "soumu@kawaguchi-doboku.example.jp"


def test_a_customer_accepts_a_new_terms_version_after_its_publication(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    try:
        journey(browser, live_server.url, tmp_path)
    finally:
        connections.close_all()


def journey(browser: Any, base: str, tmp_path: Path) -> None:
    customer = CustomerFactory(name="川口土木株式会社")
    owner = UserFactory(email=OWNER_EMAIL)
    MembershipFactory(user=owner, customer=customer, role="owner")
    accept_current_terms(owner)
    staff = StaffFactory(email="legal@cts.example.jp", is_superuser=True)
    make_usage_contract(customer, approver=staff)
    effective = tokyo_today() + timedelta(days=settings.TERMS_NOTICE_DAYS + 1)
    label = effective.isoformat()

    # 1. The customer is signed in and uses the portal.
    page = new_page(browser)
    sign_in(page, base, OWNER_EMAIL)
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # 2. Staff upload the revised text, read the differences and publish it with notice.
    text = tmp_path / "terms-of-use-revised.ja.txt"
    text.write_bytes(revised_bytes())
    admin = new_page(browser)
    staff_sign_in(admin, base, staff.email)
    admin.goto(f"{base}/admin/terms/termsversion/")
    admin.click("a.addlink[href$='/import/']")
    admin.wait_for_url(re.compile(r"/import/$"))
    admin.select_option(
        "select[name=document]", str(TermsDocument.objects.get(slug="terms-of-use").pk)
    )
    admin.fill("input[name=label]", label)
    admin.fill("input[name=effective]", effective.isoformat())
    admin.fill("textarea[name=change_summary]", "第12条第3項の解約予告期間を14日に変更しました。")
    admin.set_input_files("input[name=file]", str(text))
    admin.click("input[name=_preview]")
    admin.wait_for_selector("input[name=_import]")
    assert ART12_NEW in admin.locator("#content").inner_text()
    shot(admin, "terms", "01-admin-preview")
    admin.check("input[name=publish]")
    admin.click("input[name=_import]")
    admin.wait_for_url(re.compile(r"/admin/terms/termsversion/\d+/change/$"))
    assert admin.locator(".messagelist .success").is_visible()
    shot(admin, "terms", "02-admin-published")
    version = TermsVersion.objects.get(label=label)
    assert version.published and version.effective == effective
    notice = Notice.objects.get(kind=Notice.Kind.TERMS_CHANGED, customer=customer)

    # 3. Before the effective date the customer is told, and is not stopped.
    page.click("nav.main-nav >> text=通知")
    page.wait_for_url(re.compile(r"/notices/$"))
    assert notice.mail_subject in page.locator("main").inner_text()
    shot(page, "terms", "03-notice")
    page.click("nav.main-nav >> text=ダッシュボード")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # 4. On the effective date the next page sends them to the acceptance page, which shows
    # what changed since the version they accepted.
    with time_machine.travel(effective.isoformat() + "T00:00:10+09:00", tick=True):
        page.click("nav.main-nav >> text=通知")
        page.wait_for_url(re.compile(r"/terms/accept/\?next="))
        entry = page.locator(".terms-accept-entry")
        assert label in entry.inner_text()
        assert ART12_NEW in entry.inner_text() and ART12_OLD in entry.inner_text()
        shot(page, "terms", "04-accept-with-diff")
        # The box must be ticked: the browser holds the form back until it is.
        assert page.locator("input[name=agree]").evaluate("box => box.validity.valueMissing")
        assert not Acceptance.objects.filter(user=owner, version=version).exists()
        page.check("input[name=agree]")
        page.locator("form:has(input[name=agree]) button[type=submit]").click()
        page.wait_for_url(re.compile(r"/notices/$"))
        assert page.locator(".msg-success").is_visible()
        page.click("nav.main-nav >> text=ダッシュボード")
        page.wait_for_url(re.compile(r"/dashboard/$"))
        shot(page, "terms", "05-dashboard")

    acceptance = Acceptance.objects.get(user=owner, version=version)
    assert acceptance.method == Acceptance.Method.REACCEPTANCE
    assert acceptance.sha256 == version.sha256
    assert acceptance.customer_id == customer.pk
    assert acceptance.ip_address == "127.0.0.1"
    assert "Chrome" in acceptance.user_agent
