"""What the reviewer sees before deciding: Art. 4(2)(3) matches against revoked customers,
earlier refusals and incomplete fields."""

from __future__ import annotations

import pytest

from accounts.models import Customer, User
from contracts.models import RegistrationApplication
from contracts.selectors.registration import application_checks, revoked_customer_matches
from contracts.services import registration as services
from contracts.services import registration_review
from tests.contracts.conftest import GOOD_NUMBER, make_applicant, make_draft, make_submitted
from tests.factories import CustomerFactory, make_owner, valid_corporate_number

pytestmark = pytest.mark.django_db


def revoked(**fields: object) -> Customer:
    fields.setdefault("corporate_number", valid_corporate_number(999))
    fields.setdefault("phone", "03-9999-9999")
    return CustomerFactory(status=Customer.Status.REVOKED, **fields)


def reasons(app: RegistrationApplication) -> dict[str, list[str]]:
    return {m.customer.name: m.reasons for m in revoked_customer_matches(application=app)}


def test_it_matches_a_revoked_customer_with_the_same_corporate_number(applicant: User) -> None:
    revoked(name="取消済建設", corporate_number=GOOD_NUMBER)
    assert reasons(make_draft(applicant)) == {"取消済建設": ["corporate_number"]}


def test_it_matches_the_phone_number_whatever_its_hyphens(applicant: User) -> None:
    revoked(name="取消済建設", phone="0111234567")
    app = make_draft(applicant, phone="０１１－１２３－４５６７")
    assert reasons(app) == {"取消済建設": ["phone"]}


def test_it_matches_the_e_mail_domain_of_any_member_of_a_revoked_customer() -> None:
    customer = revoked(name="取消済建設")
    make_owner(email="boss@kita.example.jp", customer=customer)
    app = make_draft(make_applicant("newcomer@kita.example.jp"))
    assert reasons(app) == {"取消済建設": ["email_domain"]}


def test_a_shared_mail_service_matches_only_on_the_exact_address() -> None:
    customer = revoked(name="取消済建設")
    make_owner(email="someone@gmail.com", customer=customer)
    assert reasons(make_draft(make_applicant("another@gmail.com"))) == {}


def test_it_matches_the_exact_e_mail_of_the_contact_person() -> None:
    customer = revoked(name="取消済建設")
    make_owner(email="someone@gmail.com", customer=customer)
    app = make_draft(make_applicant("x@example.org"), contact_email="someone@gmail.com")
    assert reasons(app) == {"取消済建設": ["email"]}


def test_it_reports_every_reason_of_one_customer(applicant: User) -> None:
    customer = revoked(name="取消済建設", corporate_number=GOOD_NUMBER, phone="011-123-4567")
    make_owner(email="boss@kita.example.jp", customer=customer)
    assert reasons(make_draft(applicant)) == {
        "取消済建設": ["corporate_number", "phone", "email_domain"]
    }


def test_active_or_cancelled_customers_are_not_revoked_matches(applicant: User) -> None:
    CustomerFactory(status=Customer.Status.ACTIVE, corporate_number=GOOD_NUMBER)
    CustomerFactory(status=Customer.Status.CANCELLED, phone="011-123-4567")
    app = make_draft(applicant)
    assert reasons(app) == {}
    # The active one is still worth a look: the company may already be registered.
    checks = application_checks(application=app)
    assert [c.status for c in checks.existing_customers] == [Customer.Status.ACTIVE]


def test_it_lists_earlier_refusals_and_missing_fields(reviewer: User) -> None:
    first_user = make_applicant("first@kita.example.jp")
    first = make_submitted(first_user)
    registration_review.application_refuse(
        application=first,
        actor=reviewer,
        grounds=["2"],
        note="記載漏れがあります。",
        message="登録情報に記載漏れがございました。",
    )
    second = services.application_save_draft(
        user=make_applicant("second@kita.example.jp"),
        data={"company_name": "北建設", "corporate_number": GOOD_NUMBER},
    )
    checks = application_checks(application=second)
    assert [a.pk for a in checks.earlier_refusals] == [first.pk]
    assert "phone" in second.missing_fields()
    assert len(checks.missing_fields) == len(second.missing_fields())
    assert checks.has_warnings
