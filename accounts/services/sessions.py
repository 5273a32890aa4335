"""Signed-in sessions of a person (Art. 6(1)): listed, ended one by one or all at once."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    User,
)
from accounts.selectors import customer_of


def user_sessions_end(*, user: User, except_session_key: str | None = None) -> int:
    """Ends the user's signed-in sessions at once: the allauth.usersessions row and the
    Django session behind it. Every authenticated session is tracked there (at sign-in and
    on every request, USERSESSIONS_TRACK_ACTIVITY), so none is left behind."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.filter(user=user):
        if except_session_key and session.session_key == except_session_key:
            continue
        session.end()
        ended += 1
    return ended


@transaction.atomic
def user_session_end(*, user: User, session_id: object, request: HttpRequest | None = None) -> None:
    """Ends one of the user's own sessions; another user's session is a 404."""
    from allauth.usersessions.models import UserSession
    from django.http import Http404

    try:
        session = UserSession.objects.get(user=user, pk=session_id)
    except (UserSession.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    audit_record(
        action="accounts.session.ended",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        clause=Clause.ART6_1,
        request=request,
        extra={"ip": session.ip, "user_agent": session.user_agent[:200]},
    )
    session.end()


@transaction.atomic
def user_sessions_end_all(*, user: User, request: HttpRequest | None = None) -> int:
    """The person ends every one of their sessions (their own "sign out everywhere")."""
    ended = user_sessions_end(user=user)
    audit_record(
        action="accounts.session.ended_all",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        clause=Clause.ART6_1,
        request=request,
        extra={"sessions_ended": ended},
    )
    return ended
