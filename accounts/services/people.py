"""A person's own details: 氏名 and フリガナ (family and given name), changed by the person."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.models import User
from accounts.selectors import customer_of
from accounts.validators import normalize_kana

NAME_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana")


@transaction.atomic
def user_names_update(
    *,
    user: User,
    family_name: str,
    given_name: str,
    family_name_kana: str,
    given_name_kana: str,
    request: HttpRequest | None = None,
) -> User:
    """Sets the person's 氏名 and フリガナ (kana normalised to full-width katakana spacing);
    the derived ``full_name`` follows. The audit entry records the old and new values."""
    user = User.objects.select_for_update().get(pk=user.pk)
    new = {
        "family_name": family_name.strip(),
        "given_name": given_name.strip(),
        "family_name_kana": normalize_kana(family_name_kana),
        "given_name_kana": normalize_kana(given_name_kana),
    }
    old = {name: getattr(user, name) for name in NAME_FIELDS}
    if old == new:
        return user
    for name, value in new.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*NAME_FIELDS, "full_name"])
    audit_record(
        action="accounts.user.names_changed",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        request=request,
        extra={"old": old, "new": new},
    )
    return user
