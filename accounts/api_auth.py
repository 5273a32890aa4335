"""The API token authentication of the whole API (settings.REST_FRAMEWORK). A token is read
only inside the API view, after the middlewares ran, so the gates that the middlewares apply
to sessions are applied here to token clients: the Art. 15 terms gate (terms.authentication)
and the company's two-factor requirement (Art. 6(1): the owner may require MFA)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

from terms.authentication import TermsGatedTokenAuthentication

from .middleware import MFA_SETUP_EXEMPT_PREFIXES
from .selectors import membership_get
from .services import user_has_mfa


class MFARequired(exceptions.PermissionDenied):
    default_code = "mfa_required"


class GatedTokenAuthentication(TermsGatedTokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if request._request.path_info.startswith(MFA_SETUP_EXEMPT_PREFIXES):
            return result
        membership = membership_get(user=user)
        if membership and membership.customer.mfa_required and not user_has_mfa(user):
            raise MFARequired(
                _("Your company requires two-factor authentication. Please set it up now.")
            )
        return result
