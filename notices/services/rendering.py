"""How a notice's content is made: its kind's templates (templates/emails/<kind>.<language>.*)
rendered once, when the notice is created, and stored; delivery sends the stored text."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from accounts.clauses import Clause
from accounts.models import Customer
from notices.models import Notice, content_digest


def notice_render(
    *, notice: Notice, customer: Customer | None, context: dict[str, Any] | None
) -> tuple[str, str, str]:
    """Renders subject, text and HTML for the notice's kind and language. Subject and text
    are rendered without HTML escaping (they are plain text)."""
    base = f"emails/{notice.kind}.{notice.language}"
    full_context: dict[str, Any] = {
        "customer": customer,
        "notice": notice,
        "site_url": settings.SITE_URL,
        # A notice without a customer (to staff, to a person without a company) has no page
        # in the portal to link to.
        "notice_url": settings.SITE_URL + reverse("notices:detail", args=[notice.pk])
        if customer is not None
        else "",
        "clause_label": Clause.label_for(notice.clause, notice.language),
        "language": notice.language,
        **(context or {}),
    }
    with translation.override(notice.language):
        subject_tpl = get_template(f"{base}.subject.txt")
        text_tpl = get_template(f"{base}.txt")
        html_tpl = get_template(f"{base}.html")
        # The backend wrappers always autoescape; plain-text parts use the raw template.
        subject = subject_tpl.template.render(Context(full_context, autoescape=False))  # type: ignore[attr-defined]
        subject = " ".join(subject.split())[:300]
        # The bodies may show the subject (the HTML <title> does).
        notice.mail_subject = subject
        text = text_tpl.template.render(Context(full_context, autoescape=False))  # type: ignore[attr-defined]
        html = html_tpl.render(full_context)
    return subject, text.strip() + "\n", html


def notice_fill(
    notice: Notice, *, customer: Customer | None, context: dict[str, Any] | None
) -> None:
    subject, text, html = notice_render(notice=notice, customer=customer, context=context)
    notice.mail_subject = subject
    notice.body_text = text
    notice.body_html = html
    notice.content_sha256 = content_digest(mail_subject=subject, body_text=text, body_html=html)
    if not notice.recipients:
        # Kept as evidence that a notice was due; staff see it among the failed ones.
        notice.state = Notice.State.FAILED
        notice.last_error = "No recipient address."
