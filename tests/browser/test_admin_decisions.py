"""A reviewer approves and refuses from an application's own admin page, in a real browser:
the buttons sit outside the admin's change form (a form nested in it was dropped by the
browser, and "approve" posted the change form, answering 403)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from contracts.models import REVIEWERS_GROUP, RegistrationApplication
from tests.browser.support import new_page, staff_sign_in
from tests.contracts.conftest import make_applicant, make_submitted
from tests.factories import StaffFactory, valid_corporate_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_page(browser: Any, live_server: Any) -> Iterator[Any]:
    reviewer = StaffFactory(email="reviewer@cts.example.jp")
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
    try:
        page = new_page(browser)
        staff_sign_in(page, live_server.url, reviewer.email)
        yield page
    finally:
        connections.close_all()


def _application(n: int) -> RegistrationApplication:
    return make_submitted(
        make_applicant(f"applicant{n}@kita.example.jp"),
        company_name=f"株式会社北建設{n}",
        corporate_number=valid_corporate_number(555000200 + n),
    )


def test_a_reviewer_approves_and_refuses_from_the_applications_own_page(
    staff_page: Any, live_server: Any
) -> None:
    approved, refused = _application(1), _application(2)
    change = f"{live_server.url}/admin/contracts/registrationapplication/{{}}/change/"

    staff_page.goto(change.format(approved.pk))
    staff_page.locator("#decision input[name=approve]").click()
    staff_page.wait_for_selector(".messagelist .success")
    assert "/change/" in staff_page.url
    approved.refresh_from_db()
    assert approved.state == RegistrationApplication.State.APPROVED

    staff_page.goto(change.format(refused.pk))
    staff_page.locator("#decision a.button").click()
    staff_page.wait_for_url(re.compile(r"/refuse/$"))
    staff_page.check("input[name=grounds][value='5']")
    staff_page.fill("textarea[name=note]", "社内メモ: 利用目的が不明確")
    staff_page.fill("textarea[name=message]", "今回はご登録を見送らせていただきます。")
    staff_page.locator("input[name=confirm]").click()
    staff_page.wait_for_selector(".messagelist .success")
    refused.refresh_from_db()
    assert refused.state == RegistrationApplication.State.REFUSED
    assert refused.refusal_message == "今回はご登録を見送らせていただきます。"
    assert refused.refusal_note == "社内メモ: 利用目的が不明確"
    assert refused.refusal_grounds_disclosed is False
    # Decided: the page no longer offers the buttons.
    assert staff_page.locator("#decision").count() == 0
