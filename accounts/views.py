from collections.abc import Callable
from typing import TypeVar

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .forms import InvitationForm, MFARequiredForm, TokenCreateForm
from .models import Membership
from .selectors import invitation_list_open, member_get, member_list

T = TypeVar("T")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    context = {
        "customer": membership.customer if membership else None,
        "members": member_list(customer=membership.customer) if membership else [],
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
def account_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html")


@never_cache
@login_required
# Creating a token hands out a credential: the password is asked again first.
@reauthentication_required(allow_get=True)
def token_list(request: HttpRequest) -> HttpResponse:
    new_token = None
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_token = services.api_token_create(
            user=request.user,  # type: ignore[arg-type]
            days=form.cleaned_data["days"],
            request=request,
        )
    tokens = services.api_token_list(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": TokenCreateForm(), "new_token": new_token},
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    services.api_token_revoke(user=request.user, token_key=token_key, request=request)  # type: ignore[arg-type]
    return redirect("account_tokens")


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


def membership_or_404(request: HttpRequest) -> Membership:
    membership = request.membership  # type: ignore[attr-defined]
    if not membership:
        raise Http404
    return membership


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


@reauthentication_required
def _member_remove(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    return members_page_after(
        request,
        lambda: services.member_remove(
            customer=membership.customer,
            membership=target,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        ),
        lambda done: (
            _("%(email)s was removed; their sessions have ended.") % {"email": target.user.email}
        ),
    )


@never_cache
@login_required
def member_make_owner(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirmed_by_owner(request, pk, action="make_owner", apply=_member_make_owner)


@reauthentication_required
def _member_make_owner(
    request: HttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    return members_page_after(
        request,
        lambda: services.ownership_transfer(
            customer=membership.customer,
            to_membership=target,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        ),
        lambda done: _("%(email)s is now the owner.") % {"email": target.user.email},
    )


@require_POST
@login_required
def members_mfa_required(request: HttpRequest) -> HttpResponse:
    membership = membership_or_404(request)
    owner_only(membership)
    return _members_mfa_required(request, membership)


@reauthentication_required
def _members_mfa_required(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = MFARequiredForm(request.POST)
    form.is_valid()
    required = bool(form.cleaned_data.get("required"))
    return members_page_after(
        request,
        lambda: services.customer_set_mfa_required(
            customer=membership.customer,
            required=required,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        ),
        lambda done: (
            _("Two-factor authentication is now required.")
            if required
            else _("Two-factor authentication is now optional.")
        ),
    )
