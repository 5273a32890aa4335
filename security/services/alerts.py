"""Security e-mails (Art. 6(3): the customer must learn of misuse at once): a change to a login
or a sign-in from an unseen device, with the "this wasn't me" link."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation

from accounts.audit import client_ip
from accounts.clauses import Clause
from accounts.models import (
    User,
)
from accounts.selectors import customer_of
from notices.models import Notice
from notices.services import notice_create

from .credentials import compromise_url

# --- Security e-mails (Art. 6(3): the customer must learn of misuse at once) ------------------


def security_alert_send(
    *,
    user: User,
    event: str,
    request: HttpRequest | None = None,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Tells the user about a change to their login, with the "this wasn't me" link, as a
    notice (stored, Art. 16): filed under the user's company, or, for someone without one
    (staff, an applicant), as a personal notice in the language they use the portal in."""
    to = email or user.email
    context: dict[str, Any] = {
        "event": event,
        "user": user,
        "occurred_at": timezone.now(),
        "ip": client_ip(request) or "",
        "user_agent": (request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        "compromised_url": compromise_url(user),
        "link_days": settings.COMPROMISE_LINK_MAX_AGE_DAYS,
        "details": details or {},
    }
    customer = customer_of(user=user)
    language = None
    if customer is None:
        active = translation.get_language() or settings.LANGUAGE_CODE
        language = Notice.Language.EN if active.startswith("en") else Notice.Language.JA
    notice_create(
        customer=customer,
        kind=Notice.Kind.SECURITY_ALERT,
        clause=Clause.ART6_3,
        subject=user,
        period=f"{event}:{uuid.uuid4().hex}"[:64],
        recipients=[to],
        language=language,
        context=context,
    )
