"""API tokens of a person (Art. 6(1)): stored hashed (django-rest-knox), shown once, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.models import (
    User,
)
from accounts.selectors import customer_of


def api_token_list(*, user: User) -> models.QuerySet[Any]:
    from knox.models import AuthToken

    return AuthToken.objects.filter(user=user).order_by("-created")


@transaction.atomic
def api_token_create(*, user: User, days: int, request: HttpRequest | None = None) -> str:
    """Creates a token valid for ``days`` and returns its secret, which is never stored
    and cannot be shown again."""
    from knox.models import AuthToken

    if not 1 <= days <= 365:
        raise ValueError("days must be between 1 and 365")
    token, secret = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    audit_record(
        action="accounts.api_token.created",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token.token_key, "days": days},
    )
    return secret


@transaction.atomic
def api_token_revoke(*, user: User, token_key: str, request: HttpRequest | None = None) -> None:
    """Revokes one of the user's own tokens; another user's key is a 404."""
    from django.http import Http404
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise Http404
    audit_record(
        action="accounts.api_token.revoked",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        clause="art6.1",
        request=request,
        extra={"token_key": token_key},
    )


def user_tokens_revoke_all(*, user: User) -> int:
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
