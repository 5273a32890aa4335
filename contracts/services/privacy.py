"""Personal information (Art. 11): the archive of everything the portal holds about a company
and its members, and the removal of personal data once a registration has ended and the
retention period (settings.PERSONAL_DATA_RETENTION_DAYS) has passed.

The archive is scoped by the customer in every query. It leaves out secrets (password hashes,
token hashes, two-factor secrets) and the provider's disclosure log, which Art. 10(3)(4) may
require to stay with the provider."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import SCHEDULER, audit_record
from accounts.clauses import Clause
from accounts.models import (
    AuditEntry,
    Customer,
    Incident,
    Invitation,
    Membership,
    NetworkSighting,
    SharingFlag,
    User,
)
from ctsportal.spreadsheets import SafeDictWriter
from notices.models import Notice, NoticeRead
from terms.models import Acceptance

from ..models import (
    BackhoeAcknowledgement,
    Charge,
    ContractTransfer,
    Payment,
    PersonalDataErasure,
    RegistrationApplication,
    Rental,
    RentalUnit,
    UsageContract,
    VideoDeletionRecord,
    VideoModeration,
    VideoRecord,
)

# Never in an archive: credentials and the provider's own confidential fields.
_SECRET_FIELDS = {"password", "token_hash", "dedupe_key"}
# Audit actions that stay with the provider (Art. 10(3): a disclosure the customer may not
# be told of).
_PROVIDER_ONLY_ACTIONS = ("contracts.video_disclosure.",)
# What the portal collects, why, and how long: shown on the privacy page and in the archive.
USER_FIELDS = ("id", "email", "full_name", "is_active", "date_joined", "last_login")


def _rows(queryset: models.QuerySet[Any], fields: Iterable[str] | None = None) -> list[dict]:
    model = queryset.model
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in model._meta.concrete_fields if f.attname not in _SECRET_FIELDS]
    )
    return list(queryset.order_by("pk").values(*names))


def personal_data_tables(*, customer: Customer) -> dict[str, list[dict]]:
    """Every table's rows about ``customer`` and its members, one query per table."""
    user_ids = list(Membership.objects.filter(customer=customer).values_list("user_id", flat=True))
    rentals = Rental.objects.filter(customer=customer)
    return {
        "customer": _rows(Customer.objects.filter(pk=customer.pk)),
        "members": _rows(Membership.objects.filter(customer=customer)),
        "users": _rows(User.objects.filter(pk__in=user_ids), USER_FIELDS),
        "invitations": _rows(Invitation.objects.filter(customer=customer)),
        "sign_in_networks": _rows(NetworkSighting.objects.filter(user_id__in=user_ids)),
        "sharing_flags": _rows(SharingFlag.objects.filter(customer=customer)),
        "credential_incidents": _rows(Incident.objects.filter(customer=customer)),
        "terms_acceptances": _rows(Acceptance.objects.filter(user_id__in=user_ids)),
        "applications": _rows(RegistrationApplication.objects.filter(customer=customer)),
        "usage_contract": _rows(UsageContract.objects.filter(customer=customer)),
        "rentals": _rows(rentals),
        "rental_units": _rows(RentalUnit.objects.filter(rental__customer=customer)),
        "backhoe_acknowledgements": _rows(
            BackhoeAcknowledgement.objects.filter(rental__customer=customer)
        ),
        "charges": _rows(Charge.objects.filter(customer=customer)),
        "payments": _rows(Payment.objects.filter(customer=customer)),
        "video_records": _rows(VideoRecord.objects.filter(customer=customer)),
        "video_moderations": _rows(VideoModeration.objects.filter(customer=customer)),
        "video_deletions": _rows(VideoDeletionRecord.objects.filter(customer=customer)),
        "contract_transfers": _rows(ContractTransfer.objects.filter(customer=customer)),
        "notices": _rows(Notice.objects.filter(customer=customer)),
        "notice_reads": _rows(NoticeRead.objects.filter(user_id__in=user_ids)),
        "audit_log": _rows(
            AuditEntry.objects.filter(customer=customer).exclude(
                action__startswith=_PROVIDER_ONLY_ACTIONS[0]
            )
        ),
    }


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = SafeDictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v, cls=DjangoJSONEncoder, ensure_ascii=False)
                    if isinstance(v, dict | list)
                    else v
                    for k, v in row.items()
                }
            )
    return "\ufeff" + buffer.getvalue()


@transaction.atomic
def personal_data_export(
    *, customer: Customer, user: User, request: HttpRequest | None = None
) -> bytes:
    """Art. 11: a zip with ``data.json`` (every table) and one CSV per table. The download is
    audit-logged."""
    tables = personal_data_tables(customer=customer)
    exported_at = timezone.now()
    document = {
        "exported_at": exported_at,
        "customer_id": customer.pk,
        "tables": tables,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        for name, rows in tables.items():
            archive.writestr(f"csv/{name}.csv", _csv(rows))
    audit_record(
        action="contracts.personal_data.exported",
        actor=user,
        customer=customer,
        clause=Clause.ART11,
        request=request,
        extra={"tables": {name: len(rows) for name, rows in tables.items()}},
    )
    return buffer.getvalue()


# --- Removal after the retention period -----------------------------------------------------


def retention_days() -> int:
    return int(settings.PERSONAL_DATA_RETENTION_DAYS)


def customers_due_for_erasure(*, now: datetime | None = None) -> models.QuerySet[Customer]:
    """Cancelled or revoked customers whose registration ended more than the retention period
    ago and whose personal data is not yet removed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    return Customer.objects.filter(
        status__in=Customer.ENDED_STATUSES,
        status_changed_at__lte=cutoff,
        personal_data_erasure__isnull=True,
    ).order_by("pk")


def _erased_email(user_id: int) -> str:
    return f"erased-{user_id}@erased.invalid"


@transaction.atomic
def personal_data_erase(
    *, customer: Customer, actor: User | None = None, now: datetime | None = None
) -> PersonalDataErasure | None:
    """Removes the personal data of one ended customer whose retention period has passed and
    records the removal. Company data, contracts, charges and the evidence of notices stay;
    what identifies a person goes. Returns None when it is not due or already done."""
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customers_due_for_erasure(now=now).filter(pk=customer.pk).exists():
        return None
    user_ids = list(Membership.objects.filter(customer=customer).values_list("user_id", flat=True))
    counts: dict[str, int] = {}
    users = list(User.objects.select_for_update().filter(pk__in=user_ids))
    emails = {u.email for u in users}
    for u in users:
        u.email = _erased_email(u.pk)
        u.full_name = ""
        u.is_active = False
        u.password = make_password(None)
    User.objects.bulk_update(users, ["email", "full_name", "is_active", "password"])
    counts["users"] = len(users)
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession

    counts["email_addresses"] = EmailAddress.objects.filter(user_id__in=user_ids).delete()[0]
    counts["sessions"] = UserSession.objects.filter(user_id__in=user_ids).delete()[0]
    counts["sign_in_networks"] = NetworkSighting.objects.filter(user_id__in=user_ids).delete()[0]
    counts["sharing_flags"] = SharingFlag.objects.filter(
        Q(customer=customer) | Q(user_id__in=user_ids)
    ).delete()[0]
    counts["invitations"] = Invitation.objects.filter(customer=customer).delete()[0]
    counts["audit_addresses"] = AuditEntry.objects.filter(
        Q(customer=customer) | Q(actor_id__in=user_ids)
    ).update(ip_address=None, user_agent="")
    counts["audit_actor_labels"] = AuditEntry.objects.filter(actor_label__in=emails).update(
        actor_label="erased user"
    )
    counts["acceptances"] = Acceptance.objects.filter(user_id__in=user_ids).update(
        ip_address=None, user_agent=""
    )
    counts["applications"] = RegistrationApplication.objects.filter(customer=customer).update(
        representative_name="",
        contact_name="",
        contact_department="",
        contact_email="",
        contact_phone="",
        billing_contact_name="",
        billing_department="",
        billing_email="",
        antisocial_declaration_ip=None,
        antisocial_declaration_user_agent="",
    )
    counts["backhoe_acknowledgements"] = BackhoeAcknowledgement.objects.filter(
        rental__customer=customer
    ).update(ip_address=None)
    counts["notice_recipients"] = Notice.objects.filter(customer=customer).update(recipients=[])
    counts["transfers"] = ContractTransfer.objects.filter(customer=customer).update(
        successor_contact_name="", successor_contact_email="erased@erased.invalid"
    )
    erasure = PersonalDataErasure(
        customer=customer,
        erased_at=now,
        ended_at=customer.status_changed_at or now,
        retention_days=retention_days(),
        counts=counts,
        actor_label=actor.email if actor is not None else SCHEDULER,
    )
    erasure.full_clean()
    erasure.save()
    audit_record(
        action="contracts.personal_data.erased",
        actor=actor,
        customer=customer,
        target=erasure,
        clause=Clause.ART11,
        extra={"counts": counts, "retention_days": erasure.retention_days},
    )
    return erasure


def personal_data_erase_due(*, now: datetime | None = None) -> int:
    """The scheduled job: removes the personal data of every customer due, each in its own
    transaction; running it again does nothing more. Returns how many customers it did."""
    done = 0
    for customer in customers_due_for_erasure(now=now):
        if personal_data_erase(customer=customer, now=now) is not None:
            done += 1
    return done
