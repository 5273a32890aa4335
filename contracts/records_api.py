"""REST API of video data records (Art. 10): a customer's own records, and the camera
platform's import (provider staff or a staff user's token), all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import membership_or_404
from accounts.models import User
from ctsportal.access import Access

from .models import VideoRecord
from .selectors.records import video_record_get, video_record_list
from .services.records import IMPORT_FIELDS, video_records_import


class VideoRecordSerializer(serializers.ModelSerializer):
    unit_serial = serializers.CharField(source="unit.serial", default="", read_only=True)
    site_name = serializers.CharField(source="rental.site_name", read_only=True)

    class Meta:
        model = VideoRecord
        fields = [
            "id",
            "rental",
            "site_name",
            "unit_serial",
            "period_start",
            "period_end",
            "storage",
            "size_bytes",
            "state",
            "state_changed_at",
        ]
        read_only_fields = fields


class VideoRecordListView(generics.ListAPIView):
    serializer_class = VideoRecordSerializer

    @extend_schema(summary="My company's video data records (Art. 10)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return video_record_list(customer=membership_or_404(self.request).customer)


class VideoRecordDetailView(APIView):
    @extend_schema(responses=VideoRecordSerializer, summary="One of my company's records")
    def get(self, request: Request, pk: int) -> Response:
        record = video_record_get(customer=membership_or_404(request).customer, pk=pk)
        return Response(VideoRecordSerializer(record).data)


class ImportRowSerializer(serializers.Serializer):
    records = serializers.ListField(
        child=serializers.DictField(), help_text="Objects with the keys " + ", ".join(IMPORT_FIELDS)
    )


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())


class VideoRecordImportView(APIView):
    """For the camera platform: a staff user's token posts the records it holds."""

    access_policy = Access(
        onboarding=True,
        terms_exempt=True,
        reason="the camera platform posts with a provider staff token; staff have no company",
    )

    @extend_schema(
        request=ImportRowSerializer,
        responses={201: ImportResultSerializer},
        summary="Import video data records (provider staff only; all or nothing)",
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_staff:
            # A role check, not a policy exemption: customers never feed the platform's records.
            raise exceptions.PermissionDenied(_("Only the provider's staff may import records."))
        serializer = ImportRowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = list(enumerate(serializer.validated_data["records"], start=1))
        try:
            records = video_records_import(
                rows=rows,
                source=VideoRecord.Source.API,
                actor=request.user if isinstance(request.user, User) else None,
                request=request._request,
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"records": exc.messages}) from exc
        return Response({"imported": len(records), "ids": [r.pk for r in records]}, status=201)
