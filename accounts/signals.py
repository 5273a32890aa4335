"""Every sign-in, sign-out and failed sign-in goes to the audit log with IP and user agent."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import User
from .selectors import membership_get
from .services import audit_record


def _customer(user: User | None) -> Any:
    membership = membership_get(user=user) if user is not None else None
    return membership.customer if membership else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(
        action="accounts.user.logged_in",
        actor=user,
        customer=_customer(user),
        target=user,
        clause="art6.1",
        request=request,
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        action="accounts.user.logged_out",
        actor=user,
        customer=_customer(user),
        target=user,
        clause="art6.1",
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
        clause="art6.1",
        request=request,
        extra={"email": tried},
    )
