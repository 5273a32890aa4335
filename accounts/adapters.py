"""How the portal plugs into django-axes (the allauth adapter is ``security.adapters``)."""

from typing import Any

from django.http import HttpRequest

# --- django-axes --------------------------------------------------------------------------------


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The login tried: allauth authenticates with ``email=``, the admin form with
    ``username=``; the raw form field is the fallback."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("username")
    return str(value).strip().lower() if value else None


def axes_is_not_staff_attempt(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Only attempts on staff accounts count towards an axes lockout (see settings)."""
    from .models import User

    username = axes_username(request, credentials)
    if not username:
        return True
    return not User.objects.filter(email__iexact=username, is_staff=True).exists()
