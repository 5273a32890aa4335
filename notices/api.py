"""REST API of the notices app: the caller's company's notices, read-only."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from accounts.current import membership_of
from ctsportal.access import Access
from ctsportal.pagecache import CachedReads

from . import selectors
from .models import Notice


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "clause",
            "period",
            "language",
            "mail_subject",
            "recipients",
            "state",
            "created_at",
            "sent_at",
            "content_sha256",
        ]
        read_only_fields = fields


class NoticeDetailSerializer(NoticeSerializer):
    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "body_text", "body_html"]
        read_only_fields = fields


class _CustomerNotices(generics.GenericAPIView[Notice]):
    access_policy = Access(
        onboarding=True,
        ended=True,
        reason="Art. 12(5), 16: the notices sent to the company, before approval and after "
        "the end too",
    )

    def get_queryset(self) -> models.QuerySet[Notice]:
        membership = membership_of(self.request)
        if membership is None:
            return Notice.objects.none()
        return selectors.notice_list(customer=membership.customer, user=membership.user)


@extend_schema_view(get=extend_schema(summary="My company's notices, newest first"))
class NoticeListView(CachedReads, _CustomerNotices, generics.ListAPIView):
    serializer_class = NoticeSerializer


@extend_schema_view(get=extend_schema(summary="One notice as it was sent"))
class NoticeDetailView(_CustomerNotices, generics.RetrieveAPIView):
    serializer_class = NoticeDetailSerializer

    def get_queryset(self) -> models.QuerySet[Notice]:
        # The list selector defers the bodies; the detail shows them.
        return super().get_queryset().defer(None)
