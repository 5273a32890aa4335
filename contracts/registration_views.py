"""The applicant's pages: the application form (draft, submit), its status, and after a
refusal the grounds (Art. 4)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.current import membership_of, user_of
from accounts.models import Customer
from ctsportal.access import access
from ctsportal.forms import add_service_error

from . import terms_bridge
from .declarations import declaration_current
from .models import RegistrationApplication
from .registration_forms import ApplicationForm
from .selectors.registration import application_current, application_get, application_list
from .services import registration as services


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"declaration": declaration_current(), **extra}


@access(
    onboarding=True,
    terms_exempt=True,
    reason="the application (Art. 4), which records the terms' acceptance itself",
)
@never_cache
@login_required
def apply(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if user.is_staff:
        raise PermissionDenied
    membership = membership_of(request)
    customer = membership.customer if membership else None
    if customer is not None and customer.status != Customer.Status.APPLICANT:
        return redirect("dashboard")
    application = application_current(customer=customer) if customer else None
    history = list(application_list(customer=customer)) if customer else []
    if application is not None and application.state != RegistrationApplication.State.DRAFT:
        return render(
            request,
            "contracts/status.html",
            _context(request, application=application, history=history),
        )
    if membership is not None and not membership.is_owner:
        raise PermissionDenied

    pending = terms_bridge.pending_versions(user=user)
    submitting = request.method == "POST" and request.POST.get("action") == "submit"
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        instance=application,
        pending_terms=pending,
        submitting=submitting,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.application_save_draft(
                user=user,
                data=form.draft_values(),
                request=request,
            )
            if submitting:
                services.application_submit(
                    application=saved,
                    user=user,
                    declaration_accepted=form.cleaned_data["declaration"],
                    accept_terms=form.accepted_versions(),
                    request=request,
                )
                messages.success(request, _("Your application has been submitted."))
            else:
                messages.success(request, _("Your draft has been saved."))
            return redirect("contracts:apply")
        except ValidationError as exc:
            add_service_error(form, exc)
    return render(
        request,
        "contracts/apply.html",
        _context(request, form=form, application=application, history=history),
    )


@access(
    onboarding=True,
    terms_exempt=True,
    reason="the application (Art. 4), which records the terms' acceptance itself",
)
@require_POST
@login_required
def reopen(request: HttpRequest) -> HttpResponse:
    try:
        services.application_reopen(user=user_of(request), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("contracts:apply")


@access(onboarding=True, terms_exempt=True, reason="the company's own applications (Art. 4)")
@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the company's applications (earlier ones too); another company's is a 404."""
    membership = membership_of(request)
    if membership is None:
        raise Http404
    application = application_get(customer=membership.customer, pk=pk)
    return render(
        request,
        "contracts/status.html",
        _context(request, application=application, history=[], detail=True),
    )
