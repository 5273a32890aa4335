"""``{% mail_part "account/email_confirmation_message.txt" %}``: the portal's own wording of an
e-mail that django-allauth sends, in the language of the request (Japanese unless English).

allauth renders fixed template names (``account/email/<prefix>_message.txt`` ...); each of
those files in templates/account/ and templates/mfa/ holds only this tag, which renders
``emails/allauth/<lang>/<name>`` with allauth's context plus the provider's signature data.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


def mail_language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


@register.simple_tag(takes_context=True)
def mail_part(context: template.Context, name: str) -> SafeString:
    values: dict[str, Any] = {str(key): value for key, value in context.flatten().items()}
    user = values.get("user")
    values.update(
        {
            "provider_email": settings.PROVIDER_EMAIL,
            "site_url": settings.SITE_URL,
            # A reset link sent to a login whose password the provider made unusable after a
            # stolen-credentials report (Art. 6(3)): the mail says why it was sent.
            "credentials_reset": bool(
                user is not None and getattr(user, "pk", None) and not user.has_usable_password()
            ),
        }
    )
    rendered = get_template(f"emails/allauth/{mail_language()}/{name}").render(values)
    return mark_safe(rendered)  # noqa: S308 - the part template escapes (HTML) as it renders


@register.simple_tag
def provider_email() -> str:
    """The provider's contact address for signatures (PROVIDER_EMAIL)."""
    return str(settings.PROVIDER_EMAIL)
