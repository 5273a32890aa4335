"""The provider staff's permissions, checked by the services themselves (the admin checks them
too, but a service is the one place every caller goes through)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import User


def require_staff_permission(actor: User, permission: str, refusal: str) -> None:
    """Refuses (``PermissionDenied`` with ``refusal``, in the actor's language) anyone but
    active provider staff holding ``permission`` ("app_label.codename"; superusers hold
    every one). Called before anything is read under a lock or written."""
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise PermissionDenied(refusal)
