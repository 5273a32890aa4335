"""Writes of registration by the applicant (Art. 4(1)): draft, reopen, submit. The
reviewers' decision (approve, refuse) is in ``registration_review``.

Each transition locks the application row, checks its state, writes an audit record with
its clause and creates its notice in the same transaction (Art. 16)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record, client_ip
from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from accounts.services import customer_create_with_owner

from .. import terms_bridge
from ..declarations import declaration_current
from ..models import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    REQUIRED_FIELDS,
    RegistrationApplication,
    normalize_values,
)

# What the applicant may write; everything else is set by the transitions.
EDITABLE_FIELDS = (*COMPANY_FIELDS, *CONTACT_FIELDS)

# Registration information copied onto the customer when the registration completes.
CUSTOMER_FIELDS = {
    "company_name": "name",
    "company_name_kana": "name_kana",
    "corporate_number": "corporate_number",
    "postal_code": "postal_code",
    "address": "address",
    "phone": "phone",
}


def already_decided() -> ValidationError:
    return ValidationError(
        _("This application has already been decided; the decision cannot be changed."),
        code="already_decided",
    )


def application_save_checked(application: RegistrationApplication, fields: Iterable[str]) -> None:
    """``full_clean()`` and save; a second open application for the company's corporate
    number (a unique index) is a form error, not a server error."""
    try:
        with transaction.atomic():
            application.full_clean()
            application.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as exc:
        raise _open_conflict() from exc


def _open_conflict() -> ValidationError:
    return ValidationError(
        {
            "corporate_number": ValidationError(
                _("An application for this corporate number is already in progress."),
                code="open_application_exists",
            )
        }
    )


def _owner_membership(user: User) -> Membership | None:
    membership = Membership.objects.select_related("customer").filter(user=user).first()
    if membership is not None and membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the company's owner can apply for registration."))
    return membership


@transaction.atomic
def application_save_draft(
    *, user: User, data: Mapping[str, Any], request: HttpRequest | None = None
) -> RegistrationApplication:
    """Saves the applicant's open draft, creating the company (status applicant) and the draft
    on the first save. Fields may be partial; only the company name is needed."""
    values = {name: data[name] for name in EDITABLE_FIELDS if name in data}
    values = normalize_values({k: ("" if v is None else v) for k, v in values.items()})
    membership = _owner_membership(user)
    if membership is None:
        name = str(values.get("company_name") or "").strip()
        if not name:
            raise ValidationError(
                {"company_name": _("Enter at least the company name to save a draft.")},
                code="required",
            )
        # Notices go out in the language the applicant applied in (Art. 16).
        language = (translation.get_language() or "ja")[:2]
        customer = customer_create_with_owner(
            owner=user,
            name=name,
            status=Customer.Status.APPLICANT,
            language=language if language in Customer.Language.values else "ja",
        )
    else:
        customer = Customer.objects.select_for_update().get(pk=membership.customer_id)
        if customer.status != Customer.Status.APPLICANT:
            raise ValidationError(
                _("Your company is already registered."), code="already_registered"
            )
    application = (
        RegistrationApplication.objects.select_for_update()
        .filter(customer=customer, state__in=RegistrationApplication.OPEN_STATES)
        .first()
    )
    if application is not None and application.state != RegistrationApplication.State.DRAFT:
        raise ValidationError(
            _("The application has been submitted and can no longer be changed."),
            code="not_draft",
        )
    created = application is None
    if application is None:
        application = RegistrationApplication(applicant=user, customer=customer)
    for name, value in values.items():
        setattr(application, name, value)
    if not application.company_name:
        raise ValidationError(
            {"company_name": _("Enter at least the company name to save a draft.")},
            code="required",
        )
    if (
        application.corporate_number
        and RegistrationApplication.objects.filter(
            corporate_number=application.corporate_number,
            state__in=RegistrationApplication.OPEN_STATES,
        )
        .exclude(pk=application.pk)
        .exists()
    ):
        # The partial unique index settles races; this check gives the clear message.
        raise _open_conflict()
    if created:
        try:
            with transaction.atomic():
                application.full_clean()
                application.save()
        except IntegrityError as exc:
            raise _open_conflict() from exc
        audit_record(
            action="contracts.application.created",
            actor=user,
            customer=customer,
            target=application,
            clause=Clause.ART4_1,
            request=request,
        )
    else:
        application_save_checked(application, values.keys())
    if customer.name != application.company_name:
        customer.name = application.company_name
        customer.save(update_fields=["name", "updated_at"])
    return application


@transaction.atomic
def application_reopen(
    *, user: User, request: HttpRequest | None = None
) -> RegistrationApplication:
    """After a refusal, starts a new draft with the refused application's information so the
    applicant can correct it and apply again (Art. 4(1))."""
    membership = _owner_membership(user)
    if membership is None:
        raise ValidationError(_("There is no application to start from."), code="no_application")
    customer = Customer.objects.select_for_update().get(pk=membership.customer_id)
    if customer.status != Customer.Status.APPLICANT:
        raise ValidationError(_("Your company is already registered."), code="already_registered")
    applications = RegistrationApplication.objects.filter(customer=customer)
    if applications.filter(state__in=RegistrationApplication.OPEN_STATES).exists():
        raise ValidationError(_("An application is already in progress."), code="open_exists")
    last = applications.order_by("-created_at").first()
    if last is None or last.state != RegistrationApplication.State.REFUSED:
        raise ValidationError(_("There is no refused application to start from."), code="none")
    return application_save_draft(
        user=user, data={name: getattr(last, name) for name in EDITABLE_FIELDS}, request=request
    )


@transaction.atomic
def application_submit(
    *,
    application: RegistrationApplication,
    user: User,
    declaration_accepted: bool,
    accept_terms: Iterable[Any] = (),
    request: HttpRequest | None = None,
) -> RegistrationApplication:
    """Submits the draft; final. Needs every required field, acceptance of every current
    terms document requiring it (recorded with method "application") and the declaration of
    non-affiliation with anti-social forces (Art. 4(2)(4)), both kept as evidence."""
    app = RegistrationApplication.objects.select_for_update().get(pk=application.pk)
    if app.applicant_id != user.pk:
        raise PermissionDenied(_("Only the applicant can submit this application."))
    if app.state != RegistrationApplication.State.DRAFT:
        raise ValidationError(_("The application has already been submitted."), code="not_draft")
    errors: dict[str, list[str]] = {}
    for name in app.missing_fields():
        errors.setdefault(name, []).append(_("This field is required to submit."))
    if not declaration_accepted:
        errors.setdefault("declaration", []).append(
            _("Declare that your company has no ties with anti-social forces.")
        )
    if errors:
        raise ValidationError(errors, code="incomplete")

    versions = list(accept_terms)
    if versions:
        terms_bridge.acceptance_record(user=user, versions=versions, request=request)
    if terms_bridge.pending_versions(user=user):
        raise ValidationError(
            {"terms": [_("Accept the current terms of use to submit the application.")]},
            code="terms_not_accepted",
        )

    now = timezone.now()
    declaration = declaration_current()
    app.antisocial_declared_at = now
    app.antisocial_declaration_version = declaration.version
    app.antisocial_declaration_language = declaration.language
    app.antisocial_declaration_text = declaration.text
    app.antisocial_declaration_sha256 = declaration.sha256
    app.antisocial_declaration_ip = client_ip(request)
    app.antisocial_declaration_user_agent = (
        request.META.get("HTTP_USER_AGENT", "") if request else ""
    )[:300]
    app.terms_accepted = terms_bridge.accepted_snapshot(user=user)
    app.submitted_at = now
    app.state = RegistrationApplication.State.SUBMITTED
    application_save_checked(
        app,
        [
            "antisocial_declared_at",
            "antisocial_declaration_version",
            "antisocial_declaration_language",
            "antisocial_declaration_text",
            "antisocial_declaration_sha256",
            "antisocial_declaration_ip",
            "antisocial_declaration_user_agent",
            "terms_accepted",
            "submitted_at",
            "state",
            *EDITABLE_FIELDS,
        ],
    )
    audit_record(
        action="contracts.application.submitted",
        actor=user,
        customer=app.customer,
        target=app,
        clause=Clause.ART4_1,
        request=request,
        extra={
            "terms": app.terms_accepted,
            "declaration_sha256": app.antisocial_declaration_sha256,
        },
    )
    return app


__all__ = [
    "EDITABLE_FIELDS",
    "REQUIRED_FIELDS",
    "application_reopen",
    "application_save_draft",
    "application_submit",
]
