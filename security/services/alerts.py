"""Security e-mails (Art. 6(3): the customer must learn of misuse at once): a change to a login
or a sign-in from an unseen device, with the "this wasn't me" link."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template import Context
from django.template.loader import get_template
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
    """Tells the user about a change to their login, with the "this wasn't me" link. For a
    member it is a notice (stored, Art. 16); for someone without a company (staff, an
    applicant) the same text is e-mailed directly, as there is no customer to file it under."""

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
    if customer is not None:
        notice_create(
            customer=customer,
            kind=Notice.Kind.SECURITY_ALERT,
            clause=Clause.ART6_3,
            subject=user,
            period=f"{event}:{uuid.uuid4().hex}"[:64],
            recipients=[to],
            context=context,
        )
        return
    language = translation.get_language() or settings.LANGUAGE_CODE
    language = "en" if language.startswith("en") else "ja"
    base = f"emails/security_alert.{language}"
    full = {"customer": None, "notice": None, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        # Plain-text parts are rendered without HTML escaping, as notices do.
        subject_tpl: Any = get_template(f"{base}.subject.txt")
        text_tpl: Any = get_template(f"{base}.txt")
        subject = " ".join(subject_tpl.template.render(Context(full, autoescape=False)).split())
        text = text_tpl.template.render(Context(full, autoescape=False))
        html = get_template(f"{base}.html").render(full)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(lambda: message.send(fail_silently=False))
