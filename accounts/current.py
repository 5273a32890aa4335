"""Who is asking: the one way to get the signed-in person's membership and company, for
pages, the API and services alike, plus the per-person facts the request policy needs on
every request (cached, and cleared by whatever changes them).

    membership = membership_of(request)      # Membership (with .customer) or None
    customer = customer_of(request)          # Customer or None

Works with a Django ``HttpRequest`` and with a DRF ``Request`` (whose user may come from an
API token); the lookup is done once per request and person."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .models import Customer, Membership, User
from .selectors import membership_get

if TYPE_CHECKING:
    from rest_framework.request import Request

_MEMO = "_cts_membership_memo"
# The per-person facts live as long as a session may; every change clears them at once.
FACT_SECONDS = 12 * 3600

# Set by the sign-in of a login disabled by its company's cancellation (Art. 12(3)):
# {"customer": id, "user": id}, for the page that tells them so (ctsportal.views).
ENDED_SIGN_IN_SESSION_KEY = "cts_ended_sign_in"


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    inner = getattr(request, "_request", None)
    if isinstance(inner, HttpRequest):
        return inner
    assert isinstance(request, HttpRequest)
    return request


def membership_of(request: HttpRequest | Request) -> Membership | None:
    """The membership (with its customer) of the request's user; None for anonymous visitors,
    staff and people without a company. One query per request, none after."""
    user = request.user
    if user is None or not user.is_authenticated:
        return None
    holder = _django_request(request)
    memo: tuple[Any, Membership | None] | None = getattr(holder, _MEMO, None)
    if memo is not None and memo[0] == user.pk:
        return memo[1]
    membership = _membership_loaded_with(user)
    if membership is _NOT_LOADED:
        membership = membership_get(user=user)
    setattr(holder, _MEMO, (user.pk, membership))
    return membership  # type: ignore[return-value]


_NOT_LOADED = object()


def _membership_loaded_with(user: Any) -> Membership | object | None:
    """The membership read with the user (``accounts.middleware.person_get`` selects it with
    its company in the same query), or ``_NOT_LOADED`` (an API token's user, a test's)."""
    relation = User.membership.related
    if not relation.is_cached(user):
        return _NOT_LOADED
    membership = relation.get_cached_value(user)
    if membership is not None and not Membership.customer.is_cached(membership):
        return _NOT_LOADED
    return membership


def membership_or_404(request: HttpRequest | Request) -> Membership:
    """The request's membership; a person without a company gets a 404 (pages and API)."""
    membership = membership_of(request)
    if membership is None:
        raise Http404
    return membership


def customer_of(request: HttpRequest | Request) -> Customer | None:
    membership = membership_of(request)
    return membership.customer if membership is not None else None


def forget_membership(request: HttpRequest | Request) -> None:
    """After a service changed the person's membership within this request."""
    holder = _django_request(request)
    if hasattr(holder, _MEMO):
        delattr(holder, _MEMO)
    user = request.user
    if user is not None and user.is_authenticated:
        relation = User.membership.related
        if relation.is_cached(user):
            relation.delete_cached_value(user)


# --- Cached per-person facts -------------------------------------------------------------------


def _mfa_key(user_id: Any) -> str:
    return f"policy:has-mfa:{user_id}"


def user_has_mfa(user: User | Any) -> bool:
    """Whether the person has a second factor (a TOTP app or a security key; recovery codes
    alone do not count). Cached; ``mfa_fact_clear`` runs whenever an authenticator changes."""
    key = _mfa_key(user.pk)
    cached = cache.get(key)
    if cached is not None:
        return bool(cached)
    from allauth.mfa.models import Authenticator

    has = Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
    cache.set(key, int(has), FACT_SECONDS)
    return has


def mfa_fact_clear(user_id: Any) -> None:
    cache.delete(_mfa_key(user_id))


def _confirmed_key(user_id: Any) -> str:
    return f"policy:confirmed-at:{user_id}"


def person_confirmed_note(user_id: Any, at: float) -> None:
    """The person re-entered the password or a second factor at ``at`` (epoch seconds);
    sensitive API calls made with their tokens look at this, not at the token's age."""
    cache.set(_confirmed_key(user_id), at, FACT_SECONDS)


def person_confirmed_at(user_id: Any) -> float | None:
    value = cache.get(_confirmed_key(user_id))
    return float(value) if value is not None else None


def connect_fact_receivers() -> None:
    """Keeps the cached facts true: an authenticator added or removed clears the person's
    second-factor fact; a confirmation by second factor notes the person's confirmation
    (by password: ``accounts.adapters.AccountAdapter.reauthenticate``). Called once from
    ``AccountsConfig.ready``."""
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.signals import authenticator_used
    from django.db import transaction
    from django.db.models.signals import post_delete, post_save

    def _clear(sender: Any, instance: Any, **kwargs: Any) -> None:
        mfa_fact_clear(instance.user_id)
        # Again at commit, so that no request in between caches the old state.
        transaction.on_commit(lambda: mfa_fact_clear(instance.user_id))

    def _used(sender: Any, user: Any, reauthenticated: bool = False, **kwargs: Any) -> None:
        if reauthenticated:
            person_confirmed_note(user.pk, time.time())

    post_save.connect(_clear, sender=Authenticator, weak=False, dispatch_uid="policy-mfa-save")
    post_delete.connect(_clear, sender=Authenticator, weak=False, dispatch_uid="policy-mfa-del")
    authenticator_used.connect(_used, dispatch_uid="policy-mfa-confirmed", weak=False)


def user_of(request: HttpRequest | Request) -> User:
    """The signed-in person of a request the policy let through (views behind it never see
    an anonymous user); a typed ``request.user``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
