"""The API schema's view of the request policy (settings.REST_FRAMEWORK's schema class).

Kept apart from ``ctsportal.api``: drf-spectacular's AutoSchema imports DRF's generic views,
which import the pagination class that ``ctsportal.api`` defines."""

from typing import Any

from drf_spectacular.openapi import AutoSchema

from .access import access_for


class PolicyAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, told about the request policy: a view the policy declares
    public (``Access(public=True)``) is documented as open to everyone (an empty security
    requirement), as drf-spectacular does for ``AllowAny``."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths: list[dict[str, Any]] = super().get_auth()
        if access_for(self.view).public and {} not in auths:
            auths.append({})
        return auths
