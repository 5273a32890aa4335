"""Two reviewers deciding the same application at the same moment: one decision, one notice;
the other is told it is already decided. Real threads, real transactions, real row locks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry, Customer, User
from contracts.models import Rental, UsageContract
from contracts.services import registration_review, rentals
from notices.models import Notice
from tests.contracts.conftest import make_applicant, make_submitted
from tests.contracts.rental_helpers import request_data
from tests.factories import ProductFactory, make_usage_contract
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("kinds", [("approve", "approve"), ("approve", "refuse")])
def test_racing_decisions_produce_one_decision_and_one_notice(
    reviewer: User, second_reviewer: User, kinds: tuple[str, str]
) -> None:
    app = make_submitted(make_applicant())

    def decide(kind: str, actor: User) -> Any:
        if kind == "approve":
            return lambda: registration_review.application_approve(application=app, actor=actor)
        return lambda: registration_review.application_refuse(
            application=app, actor=actor, grounds=["5"], note="重複", message="重複"
        )

    results = race([decide(kinds[0], reviewer), decide(kinds[1], second_reviewer)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError)
    assert errors[0].code == "already_decided"
    app.refresh_from_db()
    assert app.is_decided
    assert Notice.objects.filter(kind__startswith="registration_").count() == 1
    decisions = AuditEntry.objects.filter(
        action__in=["contracts.application.approved", "contracts.application.refused"]
    )
    assert decisions.count() == 1
    assert UsageContract.objects.count() == (1 if app.state == "approved" else 0)


def test_one_rental_request_sent_twice_at_once_makes_one_rental(
    customer_a: Customer, bob: User
) -> None:
    make_usage_contract(customer_a)
    camera = ProductFactory()
    key = uuid.uuid4()

    def send() -> Any:
        return rentals.rental_request(
            customer=customer_a, user=bob, data=request_data(camera), submission_key=key
        )

    results = race([send, send])
    assert all(isinstance(r, Rental) for r in results), results
    assert results[0].pk == results[1].pk
    assert Rental.objects.count() == 1
    assert AuditEntry.objects.filter(action="contracts.rental.requested").count() == 1


def test_one_key_sent_at_once_with_other_details_makes_one_rental_and_refuses_the_other(
    customer_a: Customer, bob: User
) -> None:
    make_usage_contract(customer_a)
    camera = ProductFactory()
    key = uuid.uuid4()

    def send(quantity: int) -> Any:
        return lambda: rentals.rental_request(
            customer=customer_a,
            user=bob,
            data=request_data(camera, quantity=quantity),
            submission_key=key,
        )

    results = race([send(1), send(2)])
    made = [r for r in results if isinstance(r, Rental)]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1 and len(refusals) == 1, results
    assert refusals[0].code == "submission_key_reused"
    assert Rental.objects.get().quantity == made[0].quantity
