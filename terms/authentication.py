"""The API token authentication of the whole API (settings.REST_FRAMEWORK): knox's, plus the
Art. 15 terms gate. A token is only read inside the API view, after
``terms.middleware.TermsAcceptanceMiddleware`` has run, so a token-authenticated user who has
not accepted the version in force is refused here, with the same 403 body. Kept apart from
terms.api because DRF imports authentication classes while it is itself being imported."""

from __future__ import annotations

from typing import Any

from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.request import Request

from .middleware import api_refusal_body, is_exempt
from .selectors import pending_version_ids


class TermsNotAccepted(exceptions.PermissionDenied):
    default_code = "terms_not_accepted"


class TermsGatedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if (
            not user.is_staff
            and not is_exempt(request._request.path_info)
            and pending_version_ids(user=user)
        ):
            raise TermsNotAccepted(detail=api_refusal_body(), code="terms_not_accepted")
        return result
