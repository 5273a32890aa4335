"""REST API of the terms app: the versions in force, a version's articles, and accepting.

The terms are public, so reading needs no sign-in; accepting is exempt from the Art. 15
check of the request policy (ctsportal.policy), so that an API client can accept."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import user_of
from ctsportal.access import Access

from . import selectors, services
from .models import Acceptance, Article, TermsVersion


class VersionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.CharField(source="document.slug")
    document_title = serializers.CharField(source="document.title")
    requires_acceptance = serializers.BooleanField(source="document.requires_acceptance")
    precedence = serializers.IntegerField(source="document.precedence")
    label = serializers.CharField()  # type: ignore[assignment]
    title = serializers.CharField()
    enacted = serializers.DateField(allow_null=True)
    effective = serializers.DateField()
    sha256 = serializers.CharField()
    change_summary = serializers.CharField()


class CurrentVersionSerializer(VersionSummarySerializer):
    accepted = serializers.BooleanField(
        allow_null=True, help_text=_("Whether you accepted it; null when not signed in.")
    )


class ItemSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()


class ParagraphSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    numbered = serializers.BooleanField()
    text = serializers.CharField()
    items = ItemSerializer(many=True, source="items.all")


class ArticleSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    paragraphs = ParagraphSerializer(many=True, source="paragraphs.all")


class AnnexEntrySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()


class AnnexSerializer(serializers.Serializer):
    title = serializers.CharField()
    intro = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    entries = AnnexEntrySerializer(many=True, source="entries.all")


class VersionDetailSerializer(VersionSummarySerializer):
    articles = ArticleSerializer(many=True)
    annex = AnnexSerializer(allow_null=True)


class TermsCurrentView(APIView):
    access_policy = Access(
        public=True,
        reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
    )

    @extend_schema(
        responses=CurrentVersionSerializer(many=True), summary="The terms versions in force"
    )
    def get(self, request: Request) -> Response:
        versions = selectors.version_current_list()
        accepted: set[int] | None = None
        if request.user.is_authenticated:
            accepted = set(
                Acceptance.objects.filter(user=request.user, version__in=versions).values_list(
                    "version_id", flat=True
                )
            )
        data = []
        for version in versions:
            version.accepted = None if accepted is None else version.pk in accepted  # type: ignore[attr-defined]
            data.append(CurrentVersionSerializer(version).data)
        return Response(data)


class TermsVersionView(APIView):
    access_policy = Access(
        public=True,
        reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
    )

    @extend_schema(
        responses=VersionDetailSerializer, summary="A published version with its articles"
    )
    def get(self, request: Request, slug: str, label: str) -> Response:
        document = selectors.document_get(slug=slug)
        version = selectors.version_published_get(document=document, label=label)
        articles: list[Article] = selectors.article_list(version=version)
        data = dict(VersionSummarySerializer(version).data)
        data["articles"] = ArticleSerializer(articles, many=True).data
        annex = selectors.annex_get(version=version)
        data["annex"] = AnnexSerializer(annex).data if annex else None
        return Response(data)


class AcceptRequestSerializer(serializers.Serializer):
    versions = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("Ids of published versions to accept."),
    )
    all_pending = serializers.BooleanField(
        required=False, default=False, help_text=_("Accept every version you still have to.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("versions") and not attrs.get("all_pending"):
            raise serializers.ValidationError(
                _("Give the version ids to accept, or all_pending: true."), code="required"
            )
        return attrs


class AcceptanceSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version_id")
    document = serializers.CharField(source="version.document.slug")
    label = serializers.CharField(source="version.label")  # type: ignore[assignment]
    accepted_at = serializers.DateTimeField()
    sha256 = serializers.CharField()
    method = serializers.CharField()


class AcceptResponseSerializer(serializers.Serializer):
    accepted = AcceptanceSerializer(many=True)
    pending = serializers.ListField(child=serializers.IntegerField())


class TermsAcceptView(APIView):
    access_policy = Access(
        onboarding=True,
        terms_exempt=True,
        mfa_exempt=True,
        # Accepting changes no company data; a suspended company must still be able to read.
        while_suspended=True,
        reason="Art. 15: accepting the terms in force is what the policy asks first",
    )

    @extend_schema(
        request=AcceptRequestSerializer,
        responses={200: AcceptResponseSerializer},
        summary="Accept terms versions (records IP, user agent and the text's SHA-256)",
    )
    def post(self, request: Request) -> Response:
        serializer = AcceptRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_of(request)
        ids = set(serializer.validated_data.get("versions") or [])
        if serializer.validated_data["all_pending"]:
            ids |= set(selectors.pending_version_ids(user=user))
        versions = list(
            TermsVersion.objects.filter(pk__in=ids, published=True).select_related("document")
        )
        unknown = ids - {v.pk for v in versions}
        if unknown:
            raise exceptions.ValidationError(
                {"versions": [_("Not a published terms version: %s") % sorted(unknown)]}
            )
        accepted = services.acceptance_record(
            user=user,
            versions=versions,
            method=Acceptance.Method.API,
            request=request._request,
        )
        return Response(
            {
                "accepted": AcceptanceSerializer(accepted, many=True).data,
                "pending": selectors.pending_version_ids(user=user),
            },
            status=status.HTTP_200_OK,
        )
