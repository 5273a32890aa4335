"""Demo data only (`make run`'s seed_demo and seed_catalogue): never called by the portal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, User
from contracts.models import RegistrationApplication, UsageContract


@transaction.atomic
def demo_usage_contract(*, customer: Customer, owner: User, staff: User) -> UsageContract:
    """A demo company is created approved; give it the usage contract that approval forms
    (Art. 4(3)), with the terms versions its owner accepted. Idempotent."""
    existing = UsageContract.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    from terms.models import Acceptance

    accepted = [
        {"document": a.version.document.slug, "label": a.version.label, "sha256": a.sha256}
        for a in Acceptance.objects.filter(user=owner).select_related("version__document")
    ]
    now = timezone.now()
    application = RegistrationApplication.objects.create(
        applicant=owner,
        customer=customer,
        state=RegistrationApplication.State.APPROVED,
        company_name=customer.name,
        corporate_number=customer.corporate_number,
        submitted_at=now,
        antisocial_declared_at=now,
        antisocial_declaration_sha256="0" * 64,
        terms_accepted=accepted,
        decided_at=now,
        decided_by=staff,
    )
    return UsageContract.objects.create(
        customer=customer,
        application=application,
        formed_at=now,
        approved_by=staff,
        terms_versions=accepted,
    )
