"""The provider staff's permissions, checked by the services themselves (the admin checks them
too, but a service is the one place every caller goes through)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import User


def require_staff(actor: User) -> None:
    """Refuses anyone but active provider staff."""
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only provider staff may do this."))


def require_staff_permission(actor: User, permission: str, refusal: str) -> None:
    """Refuses anyone but active provider staff (``require_staff``), and staff without
    ``permission`` ("app_label.codename"; superusers hold every one) with ``refusal``, in
    the actor's language. Called before anything is read under a lock or written."""
    require_staff(actor)
    if not actor.has_perm(permission):
        raise PermissionDenied(refusal)
