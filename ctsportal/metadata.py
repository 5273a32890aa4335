"""What the API answers to OPTIONS (DRF's DEFAULT_METADATA_CLASS). Apart from ctsportal.api:
DRF's views import this module while loading their settings."""

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class Metadata(SimpleMetadata):
    """The view's name, media types and the schema's address, without DRF's "actions": it
    described a POST by the serializer of the answer (every field read-only, none of the
    request's), which contradicted the schema."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        metadata["schema"] = request.build_absolute_uri("/api/schema/")
        return metadata
