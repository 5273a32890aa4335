from collections.abc import Callable
from typing import Any, TypeVar

from allauth.account import app_settings as account_settings
from allauth.account import views as allauth_views
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ctsportal.access import Access, access
from ctsportal.pagecache import cached_page

from . import services
from .current import membership_of, membership_or_404, user_of
from .forms import InvitationForm, MFARequiredForm, NamesForm, TokenCreateForm
from .models import Membership
from .selectors import invitation_list_open, member_get, member_list

T = TypeVar("T")


@access(public=True, reason="the front page: the offer to sign in, or on to the dashboard")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@login_required
@cached_page
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
    """The person's own page: 氏名 and フリガナ can be changed here."""
    user = user_of(request)
    initial = {name: getattr(user, name) for name in NamesForm.field_order}
    form = NamesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_names_update(user=user, request=request, **form.cleaned_data)
        messages.success(request, _("Your name has been saved."))
        return redirect("account_overview")
    return render(request, "accounts/account.html", {"names_form": form})


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
                user=user_of(request),
                days=form.cleaned_data["days"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, error_message(exc))
    tokens = services.api_token_list(user=user_of(request))
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": TokenCreateForm(), "new_token": new_token},
    )


@access.always(reason="revoking one's own credential is always possible (Art. 6(3))")
@require_POST
@login_required
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    services.api_token_revoke(user=user_of(request), token_key=token_key, request=request)
    messages.success(
        request,
        _("Token %(key)s… revoked: programs that send it can no longer use the API.")
        % {"key": token_key},
    )
    return redirect("account_tokens")


@access(public=True, reason="the load balancer's health check")
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Provider staff are told about staff permissions, not about "your role in your company".
    staff = bool(getattr(request.user, "is_staff", False))
    return render(request, "403.html", {"staff": staff}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors and no database: whatever broke must not break this page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


# --- Members (Art. 6(1): one login per person) ---------------------------------------------


def owner_only(membership: Membership) -> None:
    if not membership.is_owner:
        raise PermissionDenied


def error_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def members_page_after(
    request: HttpRequest, call: Callable[[], T], success: Callable[[T], str]
) -> HttpResponse:
    """Runs an owner's service for the members page and goes back there, saying what was done
    or why the service refused."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, success(result))
    return redirect("account_members")


@never_cache
@login_required
def members(request: HttpRequest) -> HttpResponse:
    membership = membership_or_404(request)
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


@access(sensitive=True)
@never_cache
@login_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirmed_by_owner(request, pk, action="remove", apply=_member_remove)


def _confirmed_by_owner(
    request: HttpRequest,
    pk: int,
    *,
    action: str,
    apply: Callable[[HttpRequest, Membership, Membership], HttpResponse],
) -> HttpResponse:
    """An owner's change to member ``pk``: a confirmation page, then ``apply`` on POST."""
    membership = membership_or_404(request)
    target = member_get(customer=membership.customer, pk=pk)
    owner_only(membership)
    if request.method == "POST":
        return apply(request, membership, target)
    return render(request, "accounts/member_confirm.html", {"target": target, "action": action})


def _member_remove(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    return members_page_after(
        request,
        lambda: services.member_remove(
            customer=membership.customer,
            membership=target,
            actor=user_of(request),
            request=request,
        ),
        lambda done: (
            _("%(email)s was removed; their sessions have ended.") % {"email": target.user.email}
        ),
    )


@access(sensitive=True)
@never_cache
@login_required
def member_make_owner(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirmed_by_owner(request, pk, action="make_owner", apply=_member_make_owner)


def _member_make_owner(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    return members_page_after(
        request,
        lambda: services.ownership_transfer(
            customer=membership.customer,
            to_membership=target,
            actor=user_of(request),
            request=request,
        ),
        lambda done: _("%(email)s is now the owner.") % {"email": target.user.email},
    )


@access(sensitive=True)
@require_POST
@login_required
def members_mfa_required(request: HttpRequest) -> HttpResponse:
    membership = membership_or_404(request)
    owner_only(membership)
    return _members_mfa_required(request, membership)


def _members_mfa_required(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = MFARequiredForm(request.POST)
    form.is_valid()
    required = bool(form.cleaned_data.get("required"))
    return members_page_after(
        request,
        lambda: services.customer_set_mfa_required(
            customer=membership.customer,
            required=required,
            actor=user_of(request),
            request=request,
        ),
        lambda done: (
            _("Two-factor authentication is now required.")
            if required
            else _("Two-factor authentication is now optional.")
        ),
    )


# --- E-mail verification links ---------------------------------------------------------------


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, but a link that cannot confirm anything answers as such:
    404 for a broken or unknown link, 410 for one that expired or was already used, each with
    a page saying what to do next (allauth answers 200 either way)."""

    access_policy = Access(public=True, reason="e-mail verification links work signed out")

    def get(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(*args, **kwargs)
        if self.object is not None:
            return response
        reason, status = self._why_not(self.kwargs["key"])
        return render(
            self.request,
            "account/email_confirm_invalid.html",
            {"reason": reason, "provider_email": settings.PROVIDER_EMAIL},
            status=status,
        )

    @staticmethod
    def _why_not(key: str) -> tuple[str, int]:
        try:
            pk = signing.loads(key, salt=account_settings.SALT)
        except signing.BadSignature:
            return "broken", 404
        address = EmailAddress.objects.filter(pk=pk).first()
        if address is None:
            return "broken", 404
        return ("used" if address.verified else "expired"), 410
