"""The applicant's pages and API: draft, resume, submit, status, refusal grounds; and
isolation between companies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Customer, Membership, User
from contracts.models import RegistrationApplication
from contracts.services import registration as services
from contracts.services import registration_review
from terms.models import Acceptance, TermsVersion
from tests.contracts.conftest import GOOD_NUMBER, application_data, login, make_applicant

pytestmark = pytest.mark.django_db

State = RegistrationApplication.State


def terms_field() -> str:
    version = TermsVersion.objects.get(document__slug="terms-of-use", label="2023-04-01")
    return f"accept_terms_{version.pk}"


def post_form(client: Client, action: str, **data: Any) -> Any:
    return client.post("/apply/", {**application_data(**data), "action": action})


# --- the page ------------------------------------------------------------------------------


def test_a_new_user_sees_the_form_with_the_terms_and_the_declaration(applicant: User) -> None:
    response = login(applicant).get("/apply/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/terms/terms-of-use/"' in body
    assert f'name="{terms_field()}"' in body
    assert "反社会的勢力" in body
    assert 'name="declaration"' in body


def test_a_draft_is_saved_and_resumed(applicant: User) -> None:
    client = login(applicant)
    response = client.post(
        "/apply/",
        {"company_name": "株式会社北建設", "postal_code": "０６０－０００１", "action": "save"},
    )
    assert response.status_code == 302
    app = RegistrationApplication.objects.get(applicant=applicant)
    assert (app.state, app.postal_code) == (State.DRAFT, "060-0001")
    body = client.get("/apply/").content.decode()
    assert 'value="060-0001"' in body
    assert 'value="株式会社北建設"' in body


def test_submitting_without_the_declaration_shows_the_error_and_keeps_the_draft(
    applicant: User,
) -> None:
    client = login(applicant)
    response = post_form(client, "submit", **{terms_field(): "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["declaration"]
    app = RegistrationApplication.objects.filter(applicant=applicant).first()
    assert app is None or app.state == State.DRAFT


def test_a_bad_corporate_number_is_explained(applicant: User) -> None:
    bad = ("2" if GOOD_NUMBER[0] != "2" else "3") + GOOD_NUMBER[1:]
    response = post_form(login(applicant), "save", corporate_number=bad)
    assert response.status_code == 200
    assert "corporate_number" in response.context["form"].errors


def test_submitting_records_acceptance_and_shows_the_status(applicant: User) -> None:
    client = login(applicant)
    response = post_form(
        client, "submit", declaration="on", postal_code="０６０－０００１", **{terms_field(): "on"}
    )
    assert response.status_code == 302
    app = RegistrationApplication.objects.get(applicant=applicant)
    assert app.state == State.SUBMITTED
    assert app.postal_code == "060-0001"
    assert Acceptance.objects.get(user=applicant).method == Acceptance.Method.APPLICATION
    page = client.get("/apply/")
    assert page.templates[0].name == "contracts/status.html"
    assert 'data-testid="application-state"' in page.content.decode()
    # Submission is final: another POST changes nothing.
    post_form(client, "save", address="変更後住所")
    app.refresh_from_db()
    assert app.address != "変更後住所"


def test_after_refusal_the_applicant_sees_the_grounds_and_the_note(
    submitted: RegistrationApplication, reviewer: User, applicant: User
) -> None:
    registration_review.application_refuse(
        application=submitted,
        actor=reviewer,
        grounds=["2", "3"],
        note="内部メモ: 登記簿と照合済み",
        message="登記簿の商号と異なります。",
        disclose_grounds=True,
    )
    client = login(applicant)
    body = client.get("/apply/").content.decode()
    assert "登記簿の商号と異なります。" in body
    assert "内部メモ" not in body
    for label in submitted.__class__.objects.get(pk=submitted.pk).refusal_ground_labels():
        assert str(label) in body
    # and may correct the information and apply again
    assert client.post("/apply/reopen/").status_code == 302
    assert RegistrationApplication.objects.filter(
        customer=submitted.customer, state=State.DRAFT
    ).exists()
    assert client.get(f"/apply/applications/{submitted.pk}/").status_code == 200


def test_an_approved_company_is_sent_to_the_dashboard(
    submitted: RegistrationApplication, reviewer: User, applicant: User
) -> None:
    registration_review.application_approve(application=submitted, actor=reviewer)
    client = login(applicant)
    assert client.get("/apply/").url == "/dashboard/"
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200
    assert 'data-testid="customer-status"' in dashboard.content.decode()


def test_a_member_of_an_applicant_company_cannot_edit_the_draft(
    draft: RegistrationApplication,
) -> None:
    member = make_applicant("member@kita.example.jp")
    Membership.objects.create(user=member, customer=draft.customer, role="member")
    assert (
        login(member).post("/apply/", {"company_name": "乗っ取り", "action": "save"}).status_code
        == 403
    )
    draft.refresh_from_db()
    assert draft.company_name != "乗っ取り"


# --- isolation -----------------------------------------------------------------------------


def test_another_company_cannot_see_an_application_by_page_or_api(
    submitted: RegistrationApplication, charlie: User, alice: User
) -> None:
    for user in (charlie, alice, make_applicant("stranger@example.jp")):
        client = login(user)
        assert client.get(f"/apply/applications/{submitted.pk}/").status_code in (302, 404)
        api = APIClient()
        api.force_authenticate(user)
        response = api.get("/api/v1/application")
        assert response.status_code == 404
        assert "株式会社北建設" not in response.content.decode()
    # Another applicant company with its own draft: still a 404 for this one.
    rival = make_applicant("rival@example.jp")
    services.application_save_draft(user=rival, data={"company_name": "競合建設"})
    assert login(rival).get(f"/apply/applications/{submitted.pk}/").status_code == 404
    assert api_for(rival).get("/api/v1/application").json()["company_name"] == "競合建設"
    # Charlie's company is approved and has no application: still a 404 on the page.
    assert login(charlie).get(f"/apply/applications/{submitted.pk}/").status_code == 404


# --- API -----------------------------------------------------------------------------------


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_application_made_in_english_gets_english_notices(applicant: User) -> None:
    client = login(applicant)
    client.post("/i18n/setlang/", {"language": "en"})
    client.post("/apply/", {"company_name": "Kita Kensetsu K.K.", "action": "save"})
    assert Customer.objects.get(memberships__user=applicant).language == "en"


def test_api_draft_update_and_submit(applicant: User) -> None:
    api = api_for(applicant)
    assert api.get("/api/v1/application").status_code == 404
    response = api.put(
        "/api/v1/application",
        {**application_data(), "postal_code": "〒０６０－０００１"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "draft"
    assert response.json()["postal_code"] == "060-0001"
    customer = Customer.objects.get(memberships__user=applicant)
    assert customer.status == Customer.Status.APPLICANT

    declaration = api.get("/api/v1/application/declaration").json()
    assert "反社会的勢力" in declaration["text"]
    pending = [v["id"] for v in declaration["pending_terms"]]
    assert pending

    refused = api.post("/api/v1/application/submit", {"declaration": False}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    missing_terms = api.post("/api/v1/application/submit", {"declaration": True}, format="json")
    assert missing_terms.status_code == 400
    assert "terms" in missing_terms.json()["errors"]

    done = api.post(
        "/api/v1/application/submit",
        {"declaration": True, "accept_terms": pending},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "submitted"
    assert done.json()["terms_accepted"][0]["document"] == "terms-of-use"
    # A submitted application is a state conflict (409 with its code), not invalid input.
    again = api.put("/api/v1/application", {"address": "x"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "not_draft"


def test_api_validates_like_the_form(applicant: User) -> None:
    response = api_for(applicant).put(
        "/api/v1/application",
        {"company_name": "北建設", "postal_code": "060-001", "corporate_number": "1234"},
        format="json",
    )
    assert response.status_code == 400
    assert {"postal_code", "corporate_number"} <= set(response.json()["errors"])
    assert not RegistrationApplication.objects.exists()


def test_api_shows_the_refusal_grounds(
    submitted: RegistrationApplication, reviewer: User, applicant: User
) -> None:
    registration_review.application_refuse(
        application=submitted,
        actor=reviewer,
        grounds=["5"],
        note="internal",
        message="m",
        disclose_grounds=True,
    )
    data = api_for(applicant).get("/api/v1/application").json()
    assert data["state"] == "refused"
    assert [g["code"] for g in data["refusal_grounds"]] == ["5"]
    assert data["refusal_message"] == "m"
    assert "refusal_note" not in data and "internal" not in str(data)


def test_the_api_gives_the_terms_acceptance_times_in_japan_time(
    submitted: RegistrationApplication, reviewer: User, applicant: User
) -> None:
    """The snapshot of accepted versions is stored with UTC times; the API said them so
    ("...+00:00", the day before in Tokyo for an acceptance before 09:00) where every other
    time it gives is Japan time."""
    registration_review.application_approve(application=submitted, actor=reviewer)
    accepted = Acceptance.objects.filter(user=applicant).get().accepted_at
    api = api_for(User.objects.get(pk=applicant.pk))  # its company, read afresh: now active
    for path, key in (
        ("/api/v1/application", "terms_accepted"),
        ("/api/v1/contract", "terms_versions"),
    ):
        response = api.get(path)
        assert response.status_code == 200, response.json()
        item = response.json()[key][0]
        assert item["accepted_at"] == timezone.localtime(accepted).isoformat()
        assert item["accepted_at"].endswith("+09:00")
        assert item["document"] == "terms-of-use"


def test_an_overlong_intended_use_is_refused_on_the_form_and_the_api(applicant: User) -> None:
    response = login(applicant).post(
        "/apply/", {**application_data(intended_use="あ" * 2001), "action": "save"}
    )
    assert response.status_code == 200
    assert "2000 文字以下" in response.content.decode()
    refused = api_for(applicant).put(
        "/api/v1/application", application_data(intended_use="あ" * 2001), format="json"
    )
    assert refused.status_code == 400 and "intended_use" in refused.json()["errors"]
    assert not RegistrationApplication.objects.filter(intended_use__startswith="ああ").exists()
