import pytest
from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import AuditEntry, Membership
from accounts.services import customer_create_with_owner
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_second_owner_in_the_database(alice, customer_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=UserFactory(), customer=customer_a, role="owner")


def test_it_refuses_a_user_in_two_companies(alice, customer_b):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=alice, customer=customer_b, role="member")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_at_commit_a_company_left_without_owner():
    customer = CustomerFactory()
    owner = MembershipFactory(customer=customer, role="owner")
    MembershipFactory(customer=customer, role="member")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=owner.pk).update(role="member")
    assert Membership.objects.filter(customer=customer, role="owner").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_allows_an_ownership_hand_over_in_one_transaction():
    customer = CustomerFactory()
    owner = MembershipFactory(customer=customer, role="owner")
    member = MembershipFactory(customer=customer, role="member")
    with transaction.atomic():
        Membership.objects.filter(pk=owner.pk).update(role="member")
        Membership.objects.filter(pk=member.pk).update(role="owner")
    assert list(Membership.objects.filter(customer=customer, role="owner")) == [member]


def test_it_creates_a_customer_with_its_owner_and_an_audit_entry():
    user = UserFactory()
    customer = customer_create_with_owner(owner=user, name="株式会社テスト", corporate_number="")
    assert user.membership.customer == customer
    assert user.membership.role == "owner"
    entry = AuditEntry.objects.get(action="accounts.customer.created")
    assert (entry.actor, entry.customer, entry.clause) == (user, customer, "art4.1")


def test_it_refuses_a_malformed_corporate_number_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(corporate_number="12345")


def test_audit_record_keeps_actor_target_clause_and_extra(alice, customer_a):
    entry = audit_record(
        action="accounts.customer.suspended",
        actor=alice,
        customer=customer_a,
        target=customer_a,
        clause="art12.1.5",
        extra={"note": "test"},
    )
    entry.refresh_from_db()
    assert entry.actor_label == alice.email
    assert entry.target_repr == customer_a.name
    assert entry.target_id == str(customer_a.pk)
    assert entry.extra == {"note": "test"}


def test_audit_record_names_the_scheduler_when_no_actor(customer_a):
    entry = audit_record(action="contracts.cancellation.applied", customer=customer_a)
    assert entry.actor is None
    assert entry.actor_label == "scheduler"


def test_times_in_names_are_tokyo_times_not_utc(customer_a):
    """The admin names a usage contract and an audit entry by their time: the date and hour
    in Japan (2026-12-01 01:30 in Tokyo is still 2026-11-30 in UTC)."""
    from datetime import UTC, datetime

    from contracts.models import UsageContract
    from tests.factories import make_usage_contract

    moment = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    contract = make_usage_contract(customer_a)
    UsageContract.objects.filter(pk=contract.pk).update(formed_at=moment)
    contract = UsageContract.objects.get(pk=contract.pk)
    assert str(contract).endswith("(2026-12-01)")
    entry = audit_record(action="test.moment", target=customer_a)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=moment)
    assert str(AuditEntry.objects.get(pk=entry.pk)) == "2026-12-01 01:30 test.moment"
