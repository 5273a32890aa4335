"""API tokens of a person (Art. 6(1)): stored hashed (django-rest-knox), shown once, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    User,
)
from accounts.selectors import customer_of


def api_token_list(*, user: User) -> models.QuerySet[Any]:
    from knox.models import AuthToken

    return AuthToken.objects.filter(user=user).order_by("-created")


@transaction.atomic
def api_token_create(*, user: User, days: int, request: HttpRequest | None = None) -> str:
    """Creates a token valid for ``days`` (at most API_TOKEN_MAX_DAYS) and returns its
    secret, which is never stored and cannot be shown again. A person holds at most
    API_TOKEN_LIMIT_PER_USER live tokens (Art. 6(1): credentials stay few and accounted for)."""
    from knox.models import AuthToken

    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            _("A token is valid for 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS},
            code="token_lifetime",
        )
    # The user's row is locked so that two requests at once cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    live = AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.API_TOKEN_LIMIT_PER_USER:
        raise ValidationError(
            _(
                "You already have %(limit)d API tokens, the most allowed. Revoke one you no "
                "longer use before creating another."
            )
            % {"limit": settings.API_TOKEN_LIMIT_PER_USER},
            code="token_limit",
        )
    token, secret = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    audit_record(
        action="accounts.api_token.created",
        actor=user,
        customer=customer_of(user=user),
        target=user,
        clause=Clause.ART6_1,
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
        clause=Clause.ART6_1,
        request=request,
        extra={"token_key": token_key},
    )


def user_tokens_revoke_all(*, user: User) -> int:
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
