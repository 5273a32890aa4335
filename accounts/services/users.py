"""Provider staff's edits of a login in the admin: name, e-mail, whether it may sign in,
whether it is staff. Each is audited; a login that may no longer sign in is signed out
everywhere at once (Art. 6(1))."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import User
from accounts.selectors import customer_of

from .sessions import user_sessions_end
from .tokens import user_tokens_revoke_all

USER_FIELDS = ("email", "full_name", "is_active", "is_staff", "is_superuser")
USER_GROUP_FIELDS = ("groups", "user_permissions")


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: User,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
) -> User:
    """Applies staff's changes to ``user`` (USER_FIELDS, and the groups and permissions as
    querysets). Deactivating a login ends its sessions and API tokens."""
    refused = set(changes) - set(USER_FIELDS) - set(USER_GROUP_FIELDS)
    if refused:
        raise ValueError(f"Not editable here: {', '.join(sorted(refused))}")
    user = User.objects.select_for_update().get(pk=user.pk)
    changed: dict[str, list[Any]] = {
        field: [getattr(user, field), value]
        for field, value in changes.items()
        if field in USER_FIELDS and getattr(user, field) != value
    }
    for field, (_old, new) in changed.items():
        setattr(user, field, new)
    if changed:
        user.full_clean()
        user.save(update_fields=list(changed))
    for field in USER_GROUP_FIELDS:
        if field in changes:
            changed.update(_set_related(user, field, changes[field]))
    if not changed:
        return user
    extra: dict[str, Any] = {"changes": changed}
    if "is_active" in changed and not user.is_active:
        extra["sessions_ended"] = user_sessions_end(user=user)
        extra["tokens_revoked"] = user_tokens_revoke_all(user=user)
    audit_record(
        action="accounts.user.updated",
        actor=actor,
        customer=customer_of(user=user),
        target=user,
        # Whether a login may sign in is the ID's access (Art. 6(1)).
        clause=Clause.ART6_1 if "is_active" in changed else None,
        request=request,
        extra=extra,
    )
    return user


def _set_related(
    user: User, field: str, values: QuerySet[Group] | QuerySet[Permission] | list[Any]
) -> dict[str, list[list[str]]]:
    manager = getattr(user, field)
    before = sorted(str(obj) for obj in manager.all())
    after = sorted(str(obj) for obj in values)
    if before == after:
        return {}
    manager.set(values)
    return {field: [before, after]}
