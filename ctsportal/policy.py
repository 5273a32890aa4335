"""The request policy: may this person do this now?

One ordered list of checks decides every request, for pages and for the API alike:

1. signed in (unless the view is public);
2. the provider's staff: two-factor authentication before the staff admin (Art. 6(1)); no
   customer check applies to staff;
3. the company's state (Art. 4, 12): without an approved company only onboarding views;
   cancelled or revoked only the views for an ended registration; suspended reads
   everything and writes only where the view allows it while suspended;
4. the terms in force accepted (Art. 15);
5. two-factor authentication set up where the company requires it (Art. 6(1));
6. for sensitive writes, a recent password or two-factor confirmation of the person, and no
   API token minting credentials (staff included).

Each view declares what it is exempt from, with a reason (``ctsportal.access``). Views of
third-party apps (allauth, Django admin, i18n, the API schema) are declared below in
``THIRD_PARTY`` by URL name. ``PolicyMiddleware`` applies the checks to pages (a redirect
with a message in the user's language); ``PolicyPermission`` applies the same checks to
every API view (403 JSON with a stable ``code``), after DRF authenticated the session or
token. Facts about the person (membership, terms accepted, second factor) cost one query
on a warm cache: the membership with its company."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows import reauthentication
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import ResolverMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from accounts.current import membership_of, person_confirmed_at, user_has_mfa
from accounts.models import Customer
from ctsportal.access import FULL_POLICY, Access, access_for

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Code(StrEnum):
    ONBOARDING_REQUIRED = "onboarding_required"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    MFA_REQUIRED = "mfa_required"
    CUSTOMER_SUSPENDED = "customer_suspended"
    CUSTOMER_CANCELLED = "customer_cancelled"
    CUSTOMER_REVOKED = "customer_revoked"
    REAUTHENTICATION_REQUIRED = "reauthentication_required"


@dataclass(frozen=True)
class Refusal:
    code: Code
    detail: str
    # Where a page goes instead (the API answers 403 with code and detail).
    redirect_to: str
    # Extra keys of the API's 403 body (e.g. where to accept the terms).
    extra: dict[str, str] = field(default_factory=dict)


# --- Third-party views, declared by URL name ---------------------------------------------------

_SIGN_IN = "signing in, signing up and recovering access come before everything else"
_OWN_SECURITY = (
    "the person's own password, second factor and sessions (Art. 6): reachable in every "
    "state, suspended included (Art. 12(1)), and while setting up what the policy requires"
)

THIRD_PARTY: dict[str, Access] = {
    # allauth: signing in and out, sign-up, e-mail confirmation, password reset.
    **{
        name: Access(public=True, reason=_SIGN_IN)
        for name in (
            "account_login",
            "account_signup",
            "account_inactive",
            "account_email_verification_sent",
            "account_confirm_email",
            "account_reset_password",
            "account_reset_password_done",
            "account_reset_password_from_key",
            "account_reset_password_from_key_done",
            "account_confirm_login_code",
            "mfa_authenticate",
        )
    },
    "account_logout": Access.always(reason="signing out is always possible"),
    # Re-authentication is how a sensitive action is confirmed; it changes nothing.
    "account_reauthenticate": Access.always(reason=_OWN_SECURITY),
    "mfa_reauthenticate": Access.always(reason=_OWN_SECURITY),
    "mfa_reauthenticate_webauthn": Access.always(reason=_OWN_SECURITY),
    # The person's own security settings (allauth account, mfa, usersessions).
    **{
        name: Access.always(reason=_OWN_SECURITY)
        for name in (
            "account_change_password",
            "account_set_password",
            "mfa_index",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "mfa_list_webauthn",
            "mfa_add_webauthn",
            "mfa_remove_webauthn",
            "mfa_edit_webauthn",
            "usersessions_list",
        )
    },
    # The e-mail addresses of a login: the person's own, but changing them is not needed to
    # accept the terms or set up a second factor, and a suspended company changes nothing.
    "account_email": Access(onboarding=True, reason="the person's own sign-in addresses"),
    # Django's language switch and the API description: no data, for everyone.
    "set_language": Access(public=True, reason="choosing the language holds no data"),
    "api-schema": Access(public=True, reason="the API's description holds no data"),
    "api-docs": Access(public=True, reason="the API's description holds no data"),
    "favicon": Access(public=True, reason="an icon"),
}
# Every view of Django's admin (namespace "admin").
ADMIN = Access(staff=True, reason="the provider's staff admin: its own staff check")


def access_of(view: Callable[..., Any], match: ResolverMatch | None) -> Access:
    """The declared policy of a resolved view: the staff admin, a third-party view named in
    ``THIRD_PARTY``, or the view's own declaration (the full policy by default)."""
    if match is not None:
        if "admin" in match.namespaces:
            return ADMIN
        if match.url_name in THIRD_PARTY:
            return THIRD_PARTY[match.url_name]
    return access_for(view)


def is_declared(view: Callable[..., Any], match: ResolverMatch | None) -> bool:
    """Whether a view's policy is written down: in the view, here, or the full policy of our
    own code. Third-party views must be named here (the URL walk test uses this)."""
    if access_of(view, match) is not FULL_POLICY:
        return True
    module = getattr(view, "__module__", "") or ""
    return module.split(".")[0] in OWN_APPS


OWN_APPS = frozenset(
    {"accounts", "contracts", "notices", "security", "terms", "cameras", "ctsportal"}
)


# --- The checks --------------------------------------------------------------------------------


def _next_query(request: HttpRequest) -> str:
    if request.method in SAFE_METHODS:
        return "?" + urlencode({"next": request.get_full_path()})
    return ""


def _back(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("dashboard")


def _state_refusal(
    request: HttpRequest, customer: Customer | None, access: Access, method: str
) -> Refusal | None:
    status = customer.status if customer is not None else Customer.Status.APPLICANT
    if status == Customer.Status.APPLICANT:
        if access.onboarding:
            return None
        return Refusal(
            Code.ONBOARDING_REQUIRED,
            _(
                "Your company's registration has not been approved yet; only the "
                "application is available."
            ),
            reverse("contracts:apply"),
        )
    if status in Customer.ENDED_STATUSES:
        if access.ended:
            return None
        cancelled = status == Customer.Status.CANCELLED
        return Refusal(
            Code.CUSTOMER_CANCELLED if cancelled else Code.CUSTOMER_REVOKED,
            _("Your company's registration was cancelled; company data is no longer available.")
            if cancelled
            else _("Your company's registration was revoked; company data is no longer available."),
            reverse("customer_ended"),
        )
    if status == Customer.Status.SUSPENDED and method not in SAFE_METHODS:
        if access.while_suspended:
            return None
        return Refusal(
            Code.CUSTOMER_SUSPENDED,
            _(
                "Your company's use of the service is suspended (Art. 12(1)): you can read "
                "everything but change nothing. Please contact the provider."
            ),
            _back(request),
        )
    return None


def _terms_pending(user: Any, request: HttpRequest | None = None) -> bool:
    from terms.selectors import pending_version_ids

    return bool(pending_version_ids(user=user, request=request))


def _recently_confirmed(request: HttpRequest, user: Any, by_token: bool) -> bool:
    """A recent password or second-factor confirmation of the person: in this browser
    session, or (for an API token) by the person in any session, never the token's age."""
    timeout = account_settings.REAUTHENTICATION_TIMEOUT
    if by_token:
        at = person_confirmed_at(user.pk)
        return at is not None and time.time() - at < timeout
    return reauthentication.did_recently_reauthenticate(request)


def evaluate(
    request: HttpRequest,
    *,
    user: Any,
    access: Access,
    by_token: bool = False,
    membership_source: HttpRequest | Request | None = None,
) -> Refusal | None:
    """Runs the checks 2–6 for a signed-in ``user`` on a view declared ``access``; None when
    the request may go on. ``request`` is Django's request (for redirects and the session)."""
    method = (request.method or "GET").upper()
    if user.is_staff:
        if access.staff and not user_has_mfa(user):
            return Refusal(
                Code.MFA_REQUIRED,
                _("Staff must use two-factor authentication. Set it up to use the admin."),
                reverse("mfa_index"),
            )
        # No customer check applies to staff, but the person's own credentials are guarded
        # as anyone's: a token mints no token, a sensitive write needs a recent confirmation.
        return _credential_refusal(request, user=user, access=access, by_token=by_token)
    membership = membership_of(membership_source or request)
    customer = membership.customer if membership is not None else None
    refusal = _state_refusal(request, customer, access, method)
    if refusal is not None:
        return refusal
    if not access.terms_exempt and _terms_pending(user, request):
        return Refusal(
            Code.TERMS_NOT_ACCEPTED,
            _("Please accept the terms in force before using the API (Art. 15)."),
            reverse("terms:accept") + _next_query(request),
            extra={"accept_url": settings.SITE_URL + reverse("terms:accept")},
        )
    if (
        not access.mfa_exempt
        and customer is not None
        and customer.mfa_required
        and not user_has_mfa(user)
    ):
        return Refusal(
            Code.MFA_REQUIRED,
            _("Your company requires two-factor authentication. Please set it up now."),
            reverse("mfa_index"),
        )
    return _credential_refusal(request, user=user, access=access, by_token=by_token)


def _credential_refusal(
    request: HttpRequest, *, user: Any, access: Access, by_token: bool
) -> Refusal | None:
    """Check 6: no API token minting credentials, and a recent confirmation of the person
    before a sensitive write (for staff as for customers)."""
    method = (request.method or "GET").upper()
    if access.session_only and by_token and method not in SAFE_METHODS:
        return Refusal(
            Code.REAUTHENTICATION_REQUIRED,
            _("An API token cannot do this; sign in to the portal and confirm your password."),
            reverse("account_reauthenticate"),
        )
    if (
        access.sensitive
        and method not in SAFE_METHODS
        and not _recently_confirmed(request, user, by_token)
    ):
        return Refusal(
            Code.REAUTHENTICATION_REQUIRED,
            _("Enter your password again (in the portal) before doing this."),
            reverse("account_reauthenticate") + "?" + urlencode({"next": _back(request)}),
        )
    return None


# --- Pages -------------------------------------------------------------------------------------


def _is_drf_view(view: Callable[..., Any]) -> bool:
    return getattr(view, "cls", None) is not None


class PolicyMiddleware:
    """Applies the policy to every page (API views are left to ``PolicyPermission``, which
    sees token users too). Must come after authentication and messages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if _is_drf_view(view_func):
            return None
        access = access_of(view_func, request.resolver_match)
        if access.public:
            return None
        user = request.user
        if not user.is_authenticated:
            # The staff admin sends to its own login (which hands over to allauth's).
            return None if access.staff else redirect_to_login(request.get_full_path())
        refusal = evaluate(request, user=user, access=access)
        if refusal is None:
            return None
        if refusal.code == Code.REAUTHENTICATION_REQUIRED:
            # As allauth's own @reauthentication_required: the form posted is kept and
            # resumed once the password (or second factor) was entered again.
            methods = get_adapter().get_reauthentication_methods(user)
            target = methods[0]["url"] if methods else reverse("account_login")
            return reauthentication.suspend_request(request, target)
        if refusal.code != Code.TERMS_NOT_ACCEPTED:
            # The accept page explains itself; every other refusal says why.
            messages.warning(request, refusal.detail)
        return HttpResponseRedirect(refusal.redirect_to)


# --- API ---------------------------------------------------------------------------------------


class PolicyDenied(exceptions.PermissionDenied):
    """A refusal of the policy; ``ctsportal.api.exception_handler`` renders it as
    ``{"code": ..., "detail": ..., **extra}``."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(detail=refusal.detail, code=str(refusal.code))
        self.refusal = refusal


class PolicyPermission(BasePermission):
    """The policy for every API view (settings.REST_FRAMEWORK's only permission class). A
    view declares exemptions with ``access_policy = Access(...)``, never its own
    ``permission_classes``."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        access = access_for(view)
        if access.public:
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        refusal = evaluate(
            request._request,
            user=user,
            access=access,
            by_token=request.auth is not None,
            membership_source=request,
        )
        if refusal is not None:
            raise PolicyDenied(refusal)
        return True
