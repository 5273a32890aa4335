"""How a view declares what the request policy lets through.

Every page and API operation is under the one request policy (signed in → company state →
terms in force accepted → two-factor set up where required → recent re-authentication for
sensitive actions). A view that must be reachable outside that policy says so here, with a
reason, instead of a path prefix somewhere else:

    @access(onboarding=True, reason="the application itself (Art. 4)")
    def apply(request): ...

    class CancellationNoticeView(APIView):
        access_policy = Access(while_suspended=True, reason="Art. 12(1): notice stays open")

A view without a declaration gets the full policy (``Access()``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

V = TypeVar("V", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    # No sign-in needed and no check applies (sign-in pages, public terms, health check).
    public: bool = False
    # Open to applicants and to users without a company (Art. 4: the application, the
    # person's own account pages).
    onboarding: bool = False
    # Open to customers whose registration ended (cancelled, revoked): the state page and
    # the notices sent to them (Art. 12(5)).
    ended: bool = False
    # Writes allowed while the company is suspended (Art. 12(1)): signing out, own security
    # settings, reporting stolen credentials, giving cancellation notice.
    while_suspended: bool = False
    # Reachable before accepting the terms in force (Art. 15).
    terms_exempt: bool = False
    # Reachable before setting up a required second factor (Art. 6(1)).
    mfa_exempt: bool = False
    # Needs a recent password or two-factor confirmation of the person (not of a token).
    sensitive: bool = False
    # Why the view is outside part of the policy; required whenever a flag is set.
    reason: str = ""

    def __post_init__(self) -> None:
        exempt = (
            self.public,
            self.onboarding,
            self.ended,
            self.while_suspended,
            self.terms_exempt,
            self.mfa_exempt,
        )
        if any(exempt) and not self.reason:
            raise ValueError("An exemption from the request policy needs a reason.")


FULL_POLICY = Access()


def access(**flags: Any) -> Callable[[V], V]:
    """Declares the policy of a view function or class (see the module docstring)."""
    policy = Access(**flags)

    def decorate(view: V) -> V:
        view.access_policy = policy  # type: ignore[attr-defined]
        return view

    return decorate


def access_for(view: Callable[..., Any]) -> Access:
    """The declared policy of a resolved view: the function's own, or that of the class behind
    ``as_view()`` (Django's ``view_class``, DRF's ``cls``)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        policy = getattr(candidate, "access_policy", None)
        if isinstance(policy, Access):
            return policy
    return FULL_POLICY
