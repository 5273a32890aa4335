"""The reviewers' decision on a registration application (Art. 4(2), (3)): approval forms
the usage contract; refusal names its grounds. The applicant's side is in ``registration``.

Each decision locks the application row, checks its state, writes an audit record with its
clause and creates its notice in the same transaction (Art. 16)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, User
from notices.models import Notice
from notices.services import notice_create

from ..models import (
    REFUSAL_GROUND_TEXT_JA,
    RefusalGround,
    RegistrationApplication,
    UsageContract,
)
from ..selectors.registration import user_is_reviewer
from .registration import CUSTOMER_FIELDS, already_decided, application_save_checked


def _lock_for_decision(
    application: RegistrationApplication, actor: User
) -> RegistrationApplication:
    if not user_is_reviewer(actor):
        raise PermissionDenied(_("Only reviewers may approve or refuse applications."))
    app = (
        RegistrationApplication.objects.select_for_update()
        .select_related("customer", "applicant")
        .get(pk=application.pk)
    )
    if app.is_decided:
        raise already_decided()
    if app.state != RegistrationApplication.State.SUBMITTED:
        raise ValidationError(
            _("Only a submitted application can be decided."), code="not_submitted"
        )
    return app


@transaction.atomic
def application_approve(
    *, application: RegistrationApplication, actor: User, request: HttpRequest | None = None
) -> UsageContract:
    """Approves the registration (Art. 4(3)): the customer becomes active, the approval
    notice is created, and the usage contract is formed at that notice's time with the terms
    versions the applicant accepted."""
    app = _lock_for_decision(application, actor)
    missing = app.missing_fields()
    if missing:
        raise ValidationError(
            _("The application is incomplete: %(fields)s.")
            % {"fields": ", ".join(app.missing_field_labels())},
            code="incomplete",
        )
    customer = Customer.objects.select_for_update().get(pk=app.customer_id)
    if customer.status != Customer.Status.APPLICANT:
        raise ValidationError(_("This company is already registered."), code="already_registered")
    now = timezone.now()
    for source, target in CUSTOMER_FIELDS.items():
        setattr(customer, target, getattr(app, source))
    customer.status = Customer.Status.ACTIVE
    customer.full_clean()
    customer.save(update_fields=[*CUSTOMER_FIELDS.values(), "status", "updated_at"])

    app.state = RegistrationApplication.State.APPROVED
    app.decided_at = now
    app.decided_by = actor
    application_save_checked(app, ["state", "decided_at", "decided_by"])

    notice = notice_create(
        customer=customer,
        kind=Notice.Kind.REGISTRATION_APPROVED,
        clause=Clause.ART4_3,
        subject=app,
        context={"application": app},
        actor=actor,
    )
    # Art. 4(3): the approval notice completes registration and forms the contract.
    contract = UsageContract(
        customer=customer,
        application=app,
        formed_at=notice.created_at,
        approval_notice_id=notice.pk,
        terms_versions=app.terms_accepted,
        approved_by=actor,
    )
    contract.full_clean()
    contract.save()
    audit_record(
        action="contracts.application.approved",
        actor=actor,
        customer=customer,
        target=app,
        clause=Clause.ART4_3,
        request=request,
        extra={"notice_id": notice.pk},
    )
    audit_record(
        action="contracts.usage_contract.formed",
        actor=actor,
        customer=customer,
        target=contract,
        clause=Clause.ART4_3,
        request=request,
        extra={"formed_at": contract.formed_at.isoformat(), "terms": contract.terms_versions},
    )
    return contract


def refusal_clause(grounds: Iterable[str]) -> Clause:
    """Art. 4(2)(3) for the one ground "3"; Art. 4(2) for several (the audit entry lists the
    grounds beside it)."""
    distinct = sorted(set(grounds))
    if len(distinct) == 1:
        return Clause(f"{Clause.ART4_2}.{distinct[0]}")
    return Clause.ART4_2


@transaction.atomic
def application_refuse(
    *,
    application: RegistrationApplication,
    actor: User,
    grounds: Iterable[str],
    note: str,
    message: str,
    disclose_grounds: bool = False,
    request: HttpRequest | None = None,
) -> RegistrationApplication:
    """Refuses the registration on one or more grounds of Art. 4(2). ``note`` is the
    reviewer's internal reasoning and stays with the provider; the applicant's notice carries
    ``message``, the wording staff chose for the applicant, and names the grounds only when
    ``disclose_grounds`` (staff decide per refusal; Art. 4(2) does not oblige them to)."""
    codes = sorted({str(g) for g in grounds})
    valid = {c.value for c in RefusalGround}
    if not codes or any(code not in valid for code in codes):
        raise ValidationError(
            {"grounds": _("Choose one or more grounds of Art. 4(2).")}, code="grounds"
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Explain the refusal in a note.")}, code="note")
    message = (message or "").strip()
    if not message:
        raise ValidationError(
            {"message": _("Write the message the applicant will read.")}, code="message"
        )
    app = _lock_for_decision(application, actor)
    app.state = RegistrationApplication.State.REFUSED
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.refusal_grounds = codes
    app.refusal_note = note
    app.refusal_message = message
    app.refusal_grounds_disclosed = disclose_grounds
    application_save_checked(
        app,
        [
            "state",
            "decided_at",
            "decided_by",
            "refusal_grounds",
            "refusal_note",
            "refusal_message",
            "refusal_grounds_disclosed",
        ],
    )
    notice = notice_create(
        customer=app.customer,
        kind=Notice.Kind.REGISTRATION_REFUSED,
        clause=Clause.ART4_2,
        subject=app,
        context={
            "application": app,
            "message": message,
            # The internal note is deliberately not in the context of the applicant's notice.
            "grounds": [
                {
                    "code": code,
                    "label": RefusalGround(code).label,
                    "text_ja": REFUSAL_GROUND_TEXT_JA[code],
                }
                for code in codes
            ]
            if disclose_grounds
            else [],
        },
        actor=actor,
    )
    audit_record(
        action="contracts.application.refused",
        actor=actor,
        customer=app.customer,
        target=app,
        clause=refusal_clause(codes),
        request=request,
        extra={"grounds": codes, "grounds_disclosed": disclose_grounds, "notice_id": notice.pk},
    )
    return app
