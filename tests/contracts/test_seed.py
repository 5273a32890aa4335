"""seed_demo gives staff a submitted application to review, and running it again adds none."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from contracts.models import RegistrationApplication
from contracts.selectors.registration import application_checks

pytestmark = pytest.mark.django_db


def test_seed_demo_submits_the_demo_application_once() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    app = RegistrationApplication.objects.get(applicant__email="applicant@kita.example.jp")
    assert app.state == RegistrationApplication.State.SUBMITTED
    assert app.customer.status == "applicant"
    assert app.terms_accepted
    assert not application_checks(application=app).missing_fields
