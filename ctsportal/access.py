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
    # Its writes need a recent password or two-factor confirmation of the person (not of a
    # token): allauth's re-authentication.
    sensitive: bool = False
    # Refused to API-token clients (a token may not mint tokens): a signed-in session only.
    session_only: bool = False
    # The provider's staff admin: Django admin checks staff itself; the policy adds staff
    # two-factor authentication (Art. 6(1)) and no customer check.
    staff: bool = False
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
            self.staff,
        )
        if any(exempt) and not self.reason:
            raise ValueError("An exemption from the request policy needs a reason.")

    @classmethod
    def always(cls, *, reason: str, sensitive: bool = False) -> Access:
        """Open to every signed-in person whatever the company's state, the terms or the
        second factor: signing out, the person's own security settings, reporting stolen
        credentials (Art. 6(3), 12(1))."""
        return cls(
            onboarding=True,
            ended=True,
            while_suspended=True,
            terms_exempt=True,
            mfa_exempt=True,
            sensitive=sensitive,
            reason=reason,
        )


FULL_POLICY = Access()


class _Declare:
    """``@access(...)`` declares the policy of a view function or class (see the module
    docstring); ``@access.always(reason=...)`` declares ``Access.always``."""

    def __call__(self, **flags: Any) -> Callable[[V], V]:
        return self._declaring(Access(**flags))

    def always(self, *, reason: str, sensitive: bool = False) -> Callable[[V], V]:
        return self._declaring(Access.always(reason=reason, sensitive=sensitive))

    @staticmethod
    def _declaring(policy: Access) -> Callable[[V], V]:
        def decorate(view: V) -> V:
            setattr(view, "access_policy", policy)  # noqa: B010
            return view

        return decorate


access = _Declare()


def access_for(view: object) -> Access:
    """The declared policy of a resolved view: the function's own, or that of the class behind
    ``as_view()`` (Django's ``view_class``, DRF's ``cls``)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        policy = getattr(candidate, "access_policy", None)
        if isinstance(policy, Access):
            return policy
    return FULL_POLICY
