"""Fixtures of the registration tests: applicants, reviewers and applications in each state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from contracts.models import REVIEWERS_GROUP, RegistrationApplication
from contracts.services import registration as services
from terms.models import Acceptance
from terms.services import acceptance_record_pending
from tests.factories import StaffFactory, UserFactory, valid_corporate_number

GOOD_NUMBER = valid_corporate_number(555000111)


def application_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "company_name": "株式会社北建設",
        "company_name_kana": "カブシキガイシャキタケンセツ",
        "corporate_number": GOOD_NUMBER,
        "representative_title": "代表取締役",
        "representative_name": "北 三郎",
        "postal_code": "060-0001",
        "address": "北海道札幌市中央区北一条西1-1",
        "phone": "011-123-4567",
        "contact_name": "北 花子",
        "contact_department": "工務部",
        "contact_email": "hanako@kita.example.jp",
        "contact_phone": "090-1234-5678",
        "billing_contact_name": "北 次郎",
        "billing_department": "経理部",
        "billing_email": "billing@kita.example.jp",
        "intended_use": "札幌市内の現場3か所で工事進捗の遠隔確認に使用します。",
    }
    data.update(overrides)
    return data


def make_applicant(email: str = "applicant@kita.example.jp") -> User:
    return UserFactory(email=email)


def make_draft(user: User, **overrides: Any) -> RegistrationApplication:
    return services.application_save_draft(user=user, data=application_data(**overrides))


def make_submitted(user: User, **overrides: Any) -> RegistrationApplication:
    draft = make_draft(user, **overrides)
    acceptance_record_pending(user=user, method=Acceptance.Method.APPLICATION)
    return services.application_submit(application=draft, user=user, declaration_accepted=True)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def interruption_form(*, ends_at: str = "12:00:00") -> dict[str, str]:
    """The admin's interruption form: planned maintenance of the whole service, the day after
    tomorrow from 10:00 (Asia/Tokyo) until ``ends_at``."""
    start = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    return {
        "title": "定期保守",
        "scope": "all",
        "category": "",
        "reason": "art8.1.1",
        "starts_at_0": start,
        "starts_at_1": "10:00:00",
        "ends_at_0": start,
        "ends_at_1": ends_at,
        "description": "",
    }


@pytest.fixture
def reviewers_group(db: None) -> Group:
    # Transactional tests flush the data migration's group, so get it or make it again.
    return Group.objects.get_or_create(name=REVIEWERS_GROUP)[0]


@pytest.fixture
def reviewer(reviewers_group: Group) -> User:
    user = StaffFactory(email="reviewer@cts.example.jp")
    user.groups.add(reviewers_group)
    return user


@pytest.fixture
def second_reviewer(reviewers_group: Group) -> User:
    user = StaffFactory(email="reviewer2@cts.example.jp")
    user.groups.add(reviewers_group)
    return user


@pytest.fixture
def viewer(db: None) -> User:
    """Provider staff outside the reviewers group: may look, may not decide."""
    return StaffFactory(email="viewer@cts.example.jp")


@pytest.fixture
def applicant(db: None) -> User:
    return make_applicant()


@pytest.fixture
def draft(applicant: User) -> RegistrationApplication:
    return make_draft(applicant)


@pytest.fixture
def submitted(applicant: User) -> RegistrationApplication:
    return make_submitted(applicant)
