"""REST API of registration: the caller's own application (read, update the draft, submit).
Only the caller's company's application is ever visible; without one the answer is 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import membership_of, user_of
from ctsportal.access import Access
from ctsportal.api import ReadModelSerializer, service_error

from . import terms_bridge
from .declarations import declaration_current
from .models import NORMALIZED_FIELDS, RegistrationApplication
from .selectors.registration import application_current
from .services import registration as services
from .services.registration import EDITABLE_FIELDS

_APPLY = "the application (Art. 4), which records the terms' acceptance itself"


class TermsVersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.CharField(source="document.slug")
    document_title = serializers.CharField(source="document.title")
    label = serializers.CharField()  # type: ignore[assignment]
    sha256 = serializers.CharField()


class TermsSnapshotField(serializers.JSONField):
    """The terms versions accepted as stored (the evidence), each ``accepted_at`` in Japan
    time: stored in UTC, it read as the day before for an acceptance before 09:00."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(terms_bridge.snapshot_in_local_time(value))


class ApplicationSerializer(ReadModelSerializer):
    refusal_grounds = serializers.SerializerMethodField()
    terms_accepted = TermsSnapshotField(read_only=True)

    class Meta:
        model = RegistrationApplication
        fields = [
            "id",
            "state",
            *EDITABLE_FIELDS,
            "submitted_at",
            "decided_at",
            "refusal_grounds",
            "refusal_message",
            "terms_accepted",
            "antisocial_declared_at",
        ]
        read_only_fields = fields

    def get_refusal_grounds(self, obj: RegistrationApplication) -> list[dict[str, str]]:
        from .models import RefusalGround

        # Staff decide per refusal whether the applicant is told the grounds.
        if not obj.refusal_grounds_disclosed:
            return []
        return [
            {"code": code, "label": str(RefusalGround(code).label)}
            for code in sorted(obj.refusal_grounds or [])
        ]


class ApplicationDraftSerializer(serializers.Serializer):
    """The writable fields of a draft; all optional, normalised like the form's."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {}
        for name in EDITABLE_FIELDS:
            model_field = RegistrationApplication._meta.get_field(name)
            if name == "intended_use":
                fields[name] = serializers.CharField(
                    required=False,
                    allow_blank=True,
                    max_length=getattr(model_field, "max_length", None),
                )
            elif name in ("contact_email", "billing_email"):
                fields[name] = serializers.EmailField(required=False, allow_blank=True)
            else:
                max_length = (
                    None if name in NORMALIZED_FIELDS else getattr(model_field, "max_length", None)
                )
                fields[name] = serializers.CharField(
                    required=False, allow_blank=True, max_length=max_length
                )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name, (normalize, validate) in NORMALIZED_FIELDS.items():
            value = (attrs.get(name) or "").strip()
            if not value:
                continue
            value = normalize(value)
            try:
                validate(value)
            except DjangoValidationError as exc:
                errors[name] = exc.messages
            attrs[name] = value
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ApplicationSubmitSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(
        help_text=_(
            "True: the company declares it has no ties with anti-social forces "
            "(Art. 4(2)(4)); the text is in GET /application/declaration."
        )
    )
    accept_terms = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=_("Ids of the pending terms versions the applicant accepts."),
    )


def _own_application(request: Request) -> RegistrationApplication:
    membership = membership_of(request)
    if membership is None:
        raise Http404
    application = application_current(customer=membership.customer)
    if application is None:
        raise Http404
    return application


_APPLICATION = Access(onboarding=True, terms_exempt=True, reason=_APPLY)


class ApplicationView(APIView):
    access_policy = _APPLICATION

    @extend_schema(responses=ApplicationSerializer, summary="My company's application")
    def get(self, request: Request) -> Response:
        application = _own_application(request)
        return Response(ApplicationSerializer(application).data)

    @extend_schema(
        request=ApplicationDraftSerializer,
        responses={
            200: ApplicationSerializer,
            409: OpenApiResponse(
                description="The company is already registered, an application for its "
                "corporate number is open, or the application was submitted (codes "
                "`already_registered`, `open_application_exists`, `not_draft`)."
            ),
        },
        summary="Create or update my company's draft application",
    )
    def put(self, request: Request) -> Response:
        serializer = ApplicationDraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            application = services.application_save_draft(
                user=user_of(request),
                data=serializer.validated_data,
                request=request._request,
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from exc
        return Response(ApplicationSerializer(application).data)


class ApplicationSubmitView(APIView):
    access_policy = _APPLICATION

    @extend_schema(
        request=ApplicationSubmitSerializer,
        responses={
            200: ApplicationSerializer,
            409: OpenApiResponse(
                description="The application was already submitted (code `not_draft`)."
            ),
        },
        summary="Submit my company's draft application (final)",
    )
    def post(self, request: Request) -> Response:
        application = _own_application(request)
        serializer = ApplicationSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pending = {v.pk: v for v in terms_bridge.pending_versions(user=user_of(request))}
        unknown = [pk for pk in serializer.validated_data["accept_terms"] if pk not in pending]
        if unknown:
            raise exceptions.ValidationError(
                {"accept_terms": [_("Not a terms version awaiting your acceptance.")]}
            )
        try:
            application = services.application_submit(
                application=application,
                user=user_of(request),
                declaration_accepted=serializer.validated_data["declaration"],
                accept_terms=[pending[pk] for pk in serializer.validated_data["accept_terms"]],
                request=request._request,
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from exc
        return Response(ApplicationSerializer(application).data)


class DeclarationSerializer(serializers.Serializer):
    version = serializers.CharField()
    language = serializers.CharField()
    text = serializers.CharField()
    sha256 = serializers.CharField()
    pending_terms = TermsVersionRefSerializer(many=True)


class DeclarationView(APIView):
    access_policy = _APPLICATION

    @extend_schema(
        responses=DeclarationSerializer,
        summary="What submitting means: the declaration text and the terms to accept",
    )
    def get(self, request: Request) -> Response:
        declaration = declaration_current()
        return Response(
            DeclarationSerializer(
                {
                    "version": declaration.version,
                    "language": declaration.language,
                    "text": declaration.text,
                    "sha256": declaration.sha256,
                    "pending_terms": terms_bridge.pending_versions(user=user_of(request)),
                }
            ).data
        )
