from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core.internal.httpkit import add_query_params
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ctsportal.access import access

from . import services
from .adapters import INVITATION_SESSION_KEY
from .current import membership_of
from .forms import CompromisedForm, InvitationForm, MFARequiredForm, TokenCreateForm
from .models import Incident, Membership
from .selectors import invitation_get, invitation_list_open, member_get, member_list


@access(public=True, reason="the front page: the offer to sign in, or on to the dashboard")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    context = {
        "customer": membership.customer if membership else None,
        "members": member_list(customer=membership.customer) if membership else [],
    }
    return render(request, "accounts/dashboard.html", context)


@access(onboarding=True, reason="the person's own account (Art. 4: before approval too)")
@login_required
def account_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html")


# Creating a token hands out a credential: the password is asked again first (sensitive).
@access(onboarding=True, sensitive=True, reason="the person's own API tokens")
@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    new_token = None
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new_token = services.api_token_create(
                user=request.user,  # type: ignore[arg-type]
                days=form.cleaned_data["days"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
    tokens = services.api_token_list(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": TokenCreateForm(), "new_token": new_token},
    )


@access.always(reason="revoking one's own credential is always possible (Art. 6(3))")
@require_POST
@login_required
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    services.api_token_revoke(user=request.user, token_key=token_key, request=request)  # type: ignore[arg-type]
    return redirect("account_tokens")


@access(public=True, reason="the load balancer's health check")
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors and no database: whatever broke must not break this page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


# --- Members (Art. 6(1): one login per person) ---------------------------------------------


def _membership_or_404(request: HttpRequest) -> Membership:
    membership = membership_of(request)
    if not membership:
        raise Http404
    return membership


def _owner_only(membership: Membership) -> None:
    if not membership.is_owner:
        raise PermissionDenied


def _error_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@never_cache
@login_required
def members(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    customer = membership.customer
    context = {
        "customer": customer,
        "members": member_list(customer=customer),
        "invitations": invitation_list_open(customer=customer) if membership.is_owner else [],
        "invite_form": InvitationForm(),
        "mfa_form": MFARequiredForm(initial={"required": customer.mfa_required}),
        "now": timezone.now(),
    }
    return render(request, "accounts/members.html", context)


@require_POST
@login_required
def member_invite(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    _owner_only(membership)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                customer=membership.customer,
                email=form.cleaned_data["email"],
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
    else:
        messages.error(request, _("Enter a valid e-mail address."))
    return redirect("account_members")


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_or_404(request)
    invitation = invitation_get(customer=membership.customer, pk=pk)
    _owner_only(membership)
    try:
        services.invitation_revoke(
            customer=membership.customer,
            invitation=invitation,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("account_members")


@access(sensitive=True)
@never_cache
@login_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_or_404(request)
    target = member_get(customer=membership.customer, pk=pk)
    _owner_only(membership)
    if request.method == "POST":
        return _member_remove(request, membership, target)
    return render(request, "accounts/member_confirm.html", {"target": target, "action": "remove"})


def _member_remove(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    try:
        services.member_remove(
            customer=membership.customer,
            membership=target,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(
            request,
            _("%(email)s was removed; their sessions have ended.") % {"email": target.user.email},
        )
    return redirect("account_members")


@access(sensitive=True)
@never_cache
@login_required
def member_make_owner(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership_or_404(request)
    target = member_get(customer=membership.customer, pk=pk)
    _owner_only(membership)
    if request.method == "POST":
        return _member_make_owner(request, membership, target)
    return render(
        request, "accounts/member_confirm.html", {"target": target, "action": "make_owner"}
    )


def _member_make_owner(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    try:
        services.ownership_transfer(
            customer=membership.customer,
            to_membership=target,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(request, _("%(email)s is now the owner.") % {"email": target.user.email})
    return redirect("account_members")


@access(sensitive=True)
@require_POST
@login_required
def members_mfa_required(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    _owner_only(membership)
    return _members_mfa_required(request, membership)


def _members_mfa_required(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = MFARequiredForm(request.POST)
    form.is_valid()
    required = bool(form.cleaned_data.get("required"))
    try:
        services.customer_set_mfa_required(
            customer=membership.customer,
            required=required,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        if required:
            messages.success(request, _("Two-factor authentication is now required."))
        else:
            messages.success(request, _("Two-factor authentication is now optional."))
    return redirect("account_members")


# --- Invitations ----------------------------------------------------------------------------


@access(
    public=True,
    reason="an invitation link: sign-up or sign-in first, then joining (Art. 6(1)); the "
    "terms are accepted after joining",
)
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail. Anonymous visitors are offered sign-up (with the
    invited address prefilled and treated as verified: the link proves the mailbox) or
    sign-in; a signed-in user accepts here."""
    found = services.invitation_for_token(token)
    try:
        services.invitation_check(found)
    except ValidationError as exc:
        return render(
            request,
            "accounts/invitation.html",
            {"error": _error_message(exc)},
            status=404 if found is None else 410,
        )
    assert found is not None
    context: dict[str, Any] = {"invitation": found, "path": request.path}
    if not request.user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = found.pk
        get_adapter(request).stash_verified_email(request, found.email)
        context["signup_url"] = add_query_params(
            reverse("account_signup"), {"email": found.email, "next": request.path}
        )
        context["login_url"] = add_query_params(reverse("account_login"), {"next": request.path})
        return render(request, "accounts/invitation.html", context)
    if request.method == "POST":
        try:
            services.invitation_accept(
                token=token,
                user=request.user,
                request=request,
            )
        except ValidationError as exc:
            context["error"] = _error_message(exc)
            return render(request, "accounts/invitation.html", context, status=409)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(request, _("Welcome to %(company)s.") % {"company": found.customer.name})
        return redirect("dashboard")
    return render(request, "accounts/invitation.html", context)


# --- Compromised credentials (Art. 6(3)) ------------------------------------------------------


def _end_own_session_if_affected(request: HttpRequest, incident: Incident) -> None:
    """The report ended the caller's own session in the database too; sign the request out
    so that the response does not try to save a session that no longer exists."""
    user = request.user
    if not user.is_authenticated:
        return
    affected = user.pk == incident.user_id or (
        incident.scope == Incident.Scope.COMPANY
        and incident.customer_id is not None
        and Membership.objects.filter(user=user, customer_id=incident.customer_id).exists()
    )
    if affected:
        logout(request)


@access.always(reason="Art. 6(3): stolen credentials are reported at once, in every state")
@never_cache
@login_required
def compromised(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    can_report_company = bool(membership and membership.is_owner)
    form = CompromisedForm(request.POST or None, can_report_company=can_report_company)
    if request.method == "POST" and form.is_valid():
        incident = services.credentials_report_compromised(
            user=request.user,  # type: ignore[arg-type]
            reporter=request.user,  # type: ignore[arg-type]
            scope=form.cleaned_data.get("scope") or Incident.Scope.USER,
            request=request,
            channel=Incident.Channel.WEB,
        )
        _end_own_session_if_affected(request, incident)
        return redirect("account_compromised_done")
    return render(request, "accounts/compromised.html", {"form": form})


@access(public=True, reason="Art. 6(3): the e-mailed link works without signing in")
@never_cache
def compromised_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "this wasn't me" link of security e-mails. Works without signing in: the
    password may be in someone else's hands already (Art. 6(3))."""
    user = services.compromise_token_user(token)
    if user is None:
        return render(
            request,
            "accounts/compromised.html",
            {"link_invalid": True, "provider_email": settings.PROVIDER_EMAIL},
            status=404,
        )
    form = CompromisedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reporter = request.user if request.user.pk == user.pk else None
        incident = services.credentials_report_compromised(
            user=user,
            reporter=reporter,
            scope=Incident.Scope.USER,
            request=request,
            channel=Incident.Channel.EMAIL_LINK,
        )
        _end_own_session_if_affected(request, incident)
        return redirect("account_compromised_done")
    return render(
        request, "accounts/compromised.html", {"form": form, "link_user": user, "via_link": True}
    )


@access(public=True, reason="Art. 6(3): shown after the report signed the person out")
def compromised_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/compromised_done.html", {"provider_email": settings.PROVIDER_EMAIL}
    )
