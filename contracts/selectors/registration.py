"""Reads of registration (Art. 4): the applicant's own application (scoped by customer) and
the checks a reviewer needs before deciding (Art. 4(2))."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Replace

from accounts.models import Customer, User
from accounts.selectors import get_for_customer
from accounts.validators import normalize_phone

from ..models import (
    REVIEWERS_GROUP,
    RegistrationApplication,
)

# Shared mail services: a matching domain says nothing about who the applicant is, so only
# the exact address counts there.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "yahoo.co.jp",
        "ymail.ne.jp",
        "outlook.com",
        "outlook.jp",
        "hotmail.com",
        "hotmail.co.jp",
        "icloud.com",
        "me.com",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "nifty.com",
        "biglobe.ne.jp",
    }
)


def user_is_reviewer(user: User | None) -> bool:
    """Superusers and staff in the "reviewers" group may decide applications."""
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=REVIEWERS_GROUP).exists()


def application_list(*, customer: Customer) -> models.QuerySet[RegistrationApplication]:
    return RegistrationApplication.objects.filter(customer=customer).order_by("-created_at")


def application_current(*, customer: Customer) -> RegistrationApplication | None:
    """The customer's open application, or else its latest one."""
    applications = application_list(customer=customer)
    return (
        applications.filter(state__in=RegistrationApplication.OPEN_STATES).first()
        or applications.first()
    )


def application_get(*, customer: Customer, pk: object) -> RegistrationApplication:
    return get_for_customer(
        customer=customer, queryset=RegistrationApplication.objects.all(), pk=pk
    )


def _digits(phone: str) -> str:
    return normalize_phone(phone).replace("-", "")


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


@dataclass
class RevokedMatch:
    customer: Customer
    reasons: list[str] = field(default_factory=list)


@dataclass
class ApplicationChecks:
    revoked_matches: list[RevokedMatch]
    earlier_refusals: list[RegistrationApplication]
    existing_customers: list[Customer]
    missing_fields: list[str]

    @property
    def has_warnings(self) -> bool:
        return bool(
            self.revoked_matches
            or self.earlier_refusals
            or self.existing_customers
            or self.missing_fields
        )


def application_emails(application: RegistrationApplication) -> set[str]:
    emails = {application.applicant.email, application.contact_email, application.billing_email}
    return {e.lower() for e in emails if e}


def revoked_customer_matches(*, application: RegistrationApplication) -> list[RevokedMatch]:
    """Art. 4(2)(3): revoked customers sharing the corporate number, the phone number
    (compared digit for digit) or an e-mail domain of any of their members."""
    emails = application_emails(application)
    domains = {_domain(e) for e in emails} - FREE_MAIL_DOMAINS - {""}
    phones = {_digits(p) for p in (application.phone, application.contact_phone) if p}
    condition = Q(pk__in=[])
    if application.corporate_number:
        condition |= Q(corporate_number=application.corporate_number)
    if phones:
        condition |= Q(phone_digits__in=phones)
    for email in emails:
        condition |= Q(memberships__user__email__iexact=email)
    for domain in domains:
        condition |= Q(memberships__user__email__iendswith="@" + domain)
    candidates = (
        Customer.objects.filter(status=Customer.Status.REVOKED)
        .annotate(phone_digits=Replace("phone", Value("-"), Value("")))
        .filter(condition)
        .exclude(pk=application.customer_id)
        .distinct()
        .prefetch_related("memberships__user")
    )
    matches = []
    for customer in candidates:
        match = RevokedMatch(customer=customer)
        if application.corporate_number and customer.corporate_number == (
            application.corporate_number
        ):
            match.reasons.append("corporate_number")
        if customer.phone and _digits(customer.phone) in phones:
            match.reasons.append("phone")
        member_emails = {m.user.email.lower() for m in customer.memberships.all()}
        if member_emails & emails:
            match.reasons.append("email")
        elif {_domain(e) for e in member_emails} & domains:
            match.reasons.append("email_domain")
        matches.append(match)
    return matches


def application_checks(*, application: RegistrationApplication) -> ApplicationChecks:
    """What a reviewer looks at before deciding."""
    earlier: list[RegistrationApplication] = []
    existing: list[Customer] = []
    if application.corporate_number:
        earlier = list(
            RegistrationApplication.objects.filter(
                corporate_number=application.corporate_number,
                state=RegistrationApplication.State.REFUSED,
            )
            .exclude(pk=application.pk)
            .select_related("applicant")
            .order_by("-decided_at")
        )
        existing = list(
            Customer.objects.filter(corporate_number=application.corporate_number)
            .exclude(pk=application.customer_id)
            .exclude(status=Customer.Status.REVOKED)
        )
    return ApplicationChecks(
        revoked_matches=revoked_customer_matches(application=application),
        earlier_refusals=earlier,
        existing_customers=existing,
        missing_fields=application.missing_field_labels(),
    )
