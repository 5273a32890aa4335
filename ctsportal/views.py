"""Pages that belong to no single app: what a customer whose registration ended still sees."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.current import ENDED_SIGN_IN_SESSION_KEY, membership_of
from accounts.models import Customer, Membership
from ctsportal.access import access
from notices.selectors import notice_list_section


def _ended_context(membership: Membership) -> dict[str, object]:
    """What a company whose registration ended is shown (``_ended_details.html``): the
    company, its notices (not a person's own security or invitation e-mails) and whom to
    contact."""
    return {
        "customer": membership.customer,
        "notices": notice_list_section(
            customer=membership.customer, user=membership.user, section="company"
        )[:50],
        "provider_email": settings.PROVIDER_EMAIL,
    }


@access(
    ended=True,
    terms_exempt=True,
    mfa_exempt=True,
    reason="Art. 12(5): a company whose registration ended learns why, when, what to return "
    "or destroy, and whom to contact",
)
@never_cache
@login_required
def customer_ended(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    if membership is None or not membership.customer.has_ended:
        return redirect("dashboard")
    revoked = membership.customer.status == Customer.Status.REVOKED
    return render(request, "ended.html", {**_ended_context(membership), "revoked": revoked})


@access(
    public=True,
    reason="Art. 12(3), 12(5): a member whose login the cancellation disabled learns why, "
    "what to return and whom to contact, without signing in",
)
@never_cache
def account_inactive(request: HttpRequest) -> HttpResponse:
    """allauth's page for a disabled login. After the right password of a login disabled by
    its company's cancellation (``security.adapters.AccountAdapter.respond_user_inactive``),
    it shows what /ended/ shows, the notices unlinked (their pages need a sign-in)."""
    signed_in = request.session.get(ENDED_SIGN_IN_SESSION_KEY)
    membership = None
    if isinstance(signed_in, dict):
        membership = (
            Membership.objects.select_related("customer", "user")
            .filter(
                customer_id=int(signed_in["customer"]),
                user_id=int(signed_in["user"]),
                customer__status=Customer.Status.CANCELLED,
            )
            .first()
        )
    context = (
        _ended_context(membership)
        if membership is not None
        else {"provider_email": settings.PROVIDER_EMAIL}
    )
    return render(request, "account/account_inactive.html", context)
