"""Pages of the security workflows: inviting a colleague and accepting an invitation
(Art. 6(1)), reporting stolen credentials (Art. 6(3))."""

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core.internal.httpkit import add_query_params
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.current import membership_of, membership_or_404, user_of
from accounts.forms import InvitationForm
from accounts.models import Incident, Membership
from accounts.selectors import invitation_get
from accounts.views import error_message, members_page_after, owner_only
from ctsportal.access import access

from .adapters import INVITATION_SESSION_KEY
from .forms import CompromisedForm
from .services import credentials, invitations


@require_POST
@login_required
def member_invite(request: HttpRequest) -> HttpResponse:
    membership = membership_or_404(request)
    owner_only(membership)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address."))
        return redirect("account_members")
    return members_page_after(
        request,
        lambda: invitations.invitation_create(
            customer=membership.customer,
            email=form.cleaned_data["email"],
            actor=user_of(request),
            request=request,
        ),
        lambda created: _("Invitation sent to %(email)s.") % {"email": created[0].email},
    )


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_or_404(request)
    invitation = invitation_get(customer=membership.customer, pk=pk)
    owner_only(membership)
    return members_page_after(
        request,
        lambda: invitations.invitation_revoke(
            customer=membership.customer,
            invitation=invitation,
            actor=user_of(request),
            request=request,
        ),
        lambda done: _("Invitation withdrawn."),
    )


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
    found = invitations.invitation_for_token(token)
    try:
        invitations.invitation_check(found)
    except ValidationError as exc:
        return render(
            request,
            "security/invitation.html",
            {"error": error_message(exc)},
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
        return render(request, "security/invitation.html", context)
    if request.method == "POST":
        try:
            invitations.invitation_accept(
                token=token,
                user=request.user,
                request=request,
            )
        except ValidationError as exc:
            context["error"] = error_message(exc)
            return render(request, "security/invitation.html", context, status=409)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(request, _("Welcome to %(company)s.") % {"company": found.customer.name})
        return redirect("dashboard")
    try:
        invitations.invitation_check_person(found, user_of(request))
    except ValidationError as exc:
        # Said at once, not after a click on "Join": and the way out, for a wrong address.
        context["error"] = error_message(exc)
        context["sign_out"] = exc.code == "wrong_email"
    return render(request, "security/invitation.html", context)


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
        incident = credentials.credentials_report_compromised(
            user=user_of(request),
            reporter=user_of(request),
            scope=form.cleaned_data.get("scope") or Incident.Scope.USER,
            request=request,
            channel=Incident.Channel.WEB,
        )
        _end_own_session_if_affected(request, incident)
        return redirect("account_compromised_done")
    return render(request, "security/compromised.html", {"form": form})


@access(public=True, reason="Art. 6(3): the e-mailed link works without signing in")
@never_cache
def compromised_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "this wasn't me" link of security e-mails. Works without signing in: the
    password may be in someone else's hands already (Art. 6(3))."""
    user = credentials.compromise_token_user(token)
    if user is None:
        return render(
            request,
            "security/compromised.html",
            {"link_invalid": True, "provider_email": settings.PROVIDER_EMAIL},
            status=404,
        )
    form = CompromisedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reporter = request.user if request.user.pk == user.pk else None
        incident = credentials.credentials_report_compromised(
            user=user,
            reporter=reporter,
            scope=Incident.Scope.USER,
            request=request,
            channel=Incident.Channel.EMAIL_LINK,
        )
        _end_own_session_if_affected(request, incident)
        return redirect("account_compromised_done")
    return render(
        request, "security/compromised.html", {"form": form, "link_user": user, "via_link": True}
    )


@access(public=True, reason="Art. 6(3): shown after the report signed the person out")
def compromised_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "security/compromised_done.html", {"provider_email": settings.PROVIDER_EMAIL}
    )
