"""Every sign-in, sign-out and failed sign-in goes to the audit log with IP and user agent;
a session seen from a new address feeds the credential-sharing signal. Sign-ins feed it too,
with the "new device" security e-mail, in ``security.signals``."""

import time
from typing import Any

from allauth.usersessions.signals import session_client_changed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import audit_record
from .clauses import Clause
from .current import customer_of
from .models import NetworkSighting, User
from .selectors import membership_get
from .services.sharing import sighting_record

# When the session's user signed in (epoch seconds); bounds the session's absolute age.
SIGNED_IN_AT_SESSION_KEY = "accounts_signed_in_at"
# Last request time of the session (epoch seconds); bounds its idle time.
LAST_SEEN_SESSION_KEY = "accounts_last_seen"


def _customer(user: User | None, request: HttpRequest | None = None) -> Any:
    if user is None:
        return None
    # The request's own lookup, kept for the rest of the request (its pages ask again).
    if request is not None and getattr(request, "user", None) == user:
        return customer_of(request)
    membership = membership_get(user=user)
    return membership.customer if membership else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(
        action="accounts.user.logged_in",
        actor=user,
        customer=_customer(user, request),
        target=user,
        clause=Clause.ART6_1,
        request=request,
    )


@receiver(user_logged_in)
def _start_session_clock(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """Starts the absolute session lifetime and the idle clock. Where the sign-in came from
    (sharing signal, new-device e-mail) is noted by ``security.signals``."""
    session = getattr(request, "session", None) if request is not None else None
    if session is not None:
        session[SIGNED_IN_AT_SESSION_KEY] = session[LAST_SEEN_SESSION_KEY] = int(time.time())


@receiver(session_client_changed)
def _session_moved(
    sender: Any, request: HttpRequest, from_session: Any, to_session: Any, **kwargs: Any
) -> None:
    # A session seen from a new address counts as activity from that network.
    if to_session.ip != from_session.ip:
        sighting_record(
            user=to_session.user,
            ip=to_session.ip,
            user_agent=to_session.user_agent,
            source=NetworkSighting.Source.SESSION,
        )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        action="accounts.user.logged_out",
        actor=user,
        customer=_customer(user, request),
        target=user,
        clause=Clause.ART6_1,
        request=request,
    )


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The e-mail tried is kept; the password never is (Django masks it in `credentials`).
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=tried).first() if tried else None
    audit_record(
        action="accounts.user.login_failed",
        actor_label=tried or "anonymous",
        customer=_customer(user),
        target=user,
        clause=Clause.ART6_1,
        request=request,
        extra={"email": tried},
    )
