"""Response headers every page carries: the Content-Security-Policy (django-csp, its header
built once rather than per response) and the Permissions-Policy, which switches off browser
features the portal never uses, so that injected content could not use them either."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

# What a view or a nonce may ask of one response's policy (django-csp's decorators).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, which builds the policy's header anew for every response.
    A response that asks for nothing of its own (no decorator, no nonce used) gets the
    settings' policy, the same every time: built once (again when the settings change), then
    set as django-csp sets it. Anything else goes through django-csp itself."""

    # report_only → the header's value ("" when that policy is not configured).
    _built: dict[bool, str] = {}

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or settings.DEBUG
        ):
            return super().process_response(request, response)
        for report_only, header, exempt in (
            (False, HEADER, "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro"),
        ):
            value = self._built.get(report_only)
            if value is None:
                parts = self.get_policy_parts(request, response, report_only=report_only)
                value = self._built[report_only] = build_policy(
                    **asdict(parts), report_only=report_only
                )
            policy = getattr(settings, _header_setting(report_only), None) or {}
            excluded = request.path_info.startswith(
                tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
            )
            wanted = value and not excluded and not getattr(response, exempt, False)
            if wanted and header not in response:
                response[header] = value
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


def _header_setting(report_only: bool) -> str:
    return "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"


def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        ContentSecurityPolicyMiddleware._built.clear()


setting_changed.connect(_settings_changed, dispatch_uid="csp-built-policy")


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.header)
        return response
