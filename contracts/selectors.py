"""Reads of registration: the applicant's own application (scoped by customer) and the checks
a reviewer needs before deciding (Art. 4(2))."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Replace
from django.http import Http404
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Customer, User
from accounts.selectors import get_for_customer
from accounts.validators import normalize_phone
from cameras.models import Unit

from .models import (
    REVIEWERS_GROUP,
    Charge,
    ContractTransfer,
    Payment,
    ProhibitedAct,
    RegistrationApplication,
    Rental,
    RentalUnit,
    ReturnChecklist,
    UsageContract,
    VideoDeletionRecord,
    VideoModeration,
    VideoRecord,
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


# --- Rentals, units, charges, payments, deletion records (the customer's own) ---------------


def usage_contract_get(*, customer: Customer) -> UsageContract | None:
    """The customer's usage contract (Art. 4(3)), or None before approval."""
    return UsageContract.objects.filter(customer=customer).first()


def usage_contract_terms(*, contract: UsageContract) -> list[dict[str, str]]:
    """The terms versions accepted with the contract, each with its document's title in the
    current language (one query)."""
    from terms.models import TermsDocument

    versions = [v for v in contract.terms_versions or [] if isinstance(v, dict)]
    titles = {
        d.slug: d.title
        for d in TermsDocument.objects.filter(slug__in={v.get("document") for v in versions})
    }
    return [
        {
            "title": titles.get(str(v.get("document")), str(v.get("document", ""))),
            "label": str(v.get("label", "")),
            "sha256": str(v.get("sha256", "")),
        }
        for v in versions
    ]


def rental_list(*, customer: Customer) -> models.QuerySet[Rental]:
    return (
        Rental.objects.filter(customer=customer)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=RentalUnit.objects.select_related("unit").order_by("unit__serial"),
            )
        )
        .order_by("-requested_at", "-pk")
    )


def rental_get(*, customer: Customer, pk: object) -> Rental:
    return get_for_customer(
        customer=customer,
        queryset=Rental.objects.select_related(
            "product", "contract", "requested_by", "backhoe_acknowledgement"
        ),
        pk=pk,
    )


def rental_unit_list(*, customer: Customer) -> models.QuerySet[RentalUnit]:
    """Every unit the customer has or had, with the rental (site, machine) it is on."""
    return (
        RentalUnit.objects.filter(rental__customer=customer)
        .select_related("unit__product", "rental")
        .order_by("returned_at", "rental__site_name", "unit__serial")
    )


def rental_unit_get(*, customer: Customer, pk: object) -> RentalUnit:
    try:
        return rental_unit_list(customer=customer).get(pk=int(str(pk)))
    except (RentalUnit.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def units_to_return(*, customer: Customer) -> models.QuerySet[Unit]:
    """Units assigned to the customer's rentals and not yet returned (Art. 12(5): what the
    customer must send back)."""
    return (
        Unit.objects.filter(
            assignments__rental__customer=customer, assignments__returned_at__isnull=True
        )
        .select_related("product")
        .order_by("product__model_code", "serial")
    )


def units_to_return_for_customers(*, customer_ids: Iterable[int]) -> list[tuple[int, Unit]]:
    """``units_to_return`` of many customers in one query, as (customer id, unit) pairs."""
    units = (
        Unit.objects.filter(
            assignments__rental__customer_id__in=list(customer_ids),
            assignments__returned_at__isnull=True,
        )
        .annotate(holder_id=F("assignments__rental__customer_id"))
        .select_related("product")
        .order_by("holder_id", "product__model_code", "serial")
    )
    return [(unit.holder_id, unit) for unit in units]


def charge_list(*, customer: Customer) -> models.QuerySet[Charge]:
    return (
        Charge.objects.filter(customer=customer)
        .select_related("rental__product")
        .order_by("-period", "rental_id")
    )


def charge_get(*, customer: Customer, pk: object) -> Charge:
    return get_for_customer(
        customer=customer, queryset=Charge.objects.select_related("rental__product"), pk=pk
    )


def payment_list(*, customer: Customer) -> models.QuerySet[Payment]:
    return Payment.objects.filter(customer=customer).order_by("-received_on", "-pk")


def payment_get(*, customer: Customer, pk: object) -> Payment:
    return get_for_customer(customer=customer, queryset=Payment.objects.all(), pk=pk)


def video_deletion_list(*, customer: Customer) -> models.QuerySet[VideoDeletionRecord]:
    return (
        VideoDeletionRecord.objects.filter(customer=customer)
        .select_related("rental__product", "unit__product")
        .order_by("-deleted_at", "-pk")
    )


def return_checklist_current(*, customer: Customer) -> ReturnChecklist | None:
    """The customer's open return checklist with its items (Art. 12(5): what to return or
    destroy once the registration has ended), for the ended company's page."""
    return (
        ReturnChecklist.objects.filter(customer=customer, closed_at__isnull=True)
        .prefetch_related("items")
        .first()
    )


# --- Video data records, deletion log, transfers (Art. 7(2), 10, 17) -------------------------


def video_record_list(*, customer: Customer) -> models.QuerySet[VideoRecord]:
    """The recordings the service holds or held for the customer, newest first."""
    return (
        VideoRecord.objects.filter(customer=customer)
        .select_related("rental__product", "unit")
        .order_by("-period_start", "-pk")
    )


def video_record_get(*, customer: Customer, pk: object) -> VideoRecord:
    return get_for_customer(
        customer=customer, queryset=VideoRecord.objects.select_related("rental", "unit"), pk=pk
    )


@dataclass(frozen=True)
class DeletionLogEntry:
    """One line of the customer's deletion log: the end of a contract or a wipe (Art. 10(6)(7))
    or a moderation by the provider (Art. 7(2), 10(5)) with the Art. 7(1) item cited."""

    at: datetime
    kind: str
    storage: str
    rental_id: int | None
    unit: str
    clause: str
    prohibited_item: int | None
    prohibited_item_label: str
    action: str


def video_deletion_log(*, customer: Customer) -> list[DeletionLogEntry]:
    """The customer's deletion log, newest first, in two queries."""
    entries = [
        DeletionLogEntry(
            at=d.deleted_at,
            kind="deletion",
            storage=d.get_storage_display(),
            rental_id=d.rental_id,
            unit=str(d.unit) if d.unit else "",
            clause=d.clause,
            prohibited_item=None,
            prohibited_item_label="",
            action=str(_lazy("Deleted")),
        )
        for d in video_deletion_list(customer=customer)
    ]
    moderations = VideoModeration.objects.filter(customer=customer).select_related(
        "record__unit__product"
    )
    for m in moderations:
        entries.append(
            DeletionLogEntry(
                at=m.created_at,
                kind="moderation",
                storage=m.record.get_storage_display(),
                rental_id=m.record.rental_id,
                unit=str(m.record.unit) if m.record.unit else "",
                clause=m.clause,
                prohibited_item=m.prohibited_item,
                prohibited_item_label=str(ProhibitedAct(m.prohibited_item).label),
                action=m.get_action_display(),
            )
        )
    return sorted(entries, key=lambda e: e.at, reverse=True)


@dataclass(frozen=True)
class VideoBackupWarning:
    """Art. 10(4)(6): shown before a cancellation takes effect — the provider keeps no video
    data afterwards, so the customer backs it up now."""

    effective_at: datetime | None
    held_records: int


def video_backup_warning(*, customer: Customer) -> VideoBackupWarning | None:
    """The warning to show while a cancellation is scheduled, or None."""
    if customer.status != Customer.Status.CANCELLATION_SCHEDULED:
        return None
    held = VideoRecord.objects.filter(
        customer=customer, state__in=[VideoRecord.State.HELD, VideoRecord.State.HIDDEN]
    ).count()
    return VideoBackupWarning(effective_at=customer.cancellation_effective_at, held_records=held)


def transfer_list(*, customer: Customer) -> models.QuerySet[ContractTransfer]:
    return ContractTransfer.objects.filter(customer=customer).order_by("-requested_at", "-pk")
