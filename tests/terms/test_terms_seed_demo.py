"""seed_demo lets the demo people in without the terms gate, and running it again adds
nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from terms.models import Acceptance
from terms.selectors import versions_pending_acceptance

pytestmark = pytest.mark.django_db


def test_seed_demo_accepts_the_terms_for_the_demo_companies() -> None:
    call_command("seed_demo", stdout=StringIO())
    owner = User.objects.get(email="owner@yamada.example.jp")
    member = User.objects.get(email="member@sakura.example.jp")
    assert versions_pending_acceptance(user=owner) == []
    assert versions_pending_acceptance(user=member) == []
    count = Acceptance.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Acceptance.objects.count() == count
