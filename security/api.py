"""REST API of the security workflows: inviting a colleague (Art. 6(1)) and reporting stolen
credentials (Art. 6(3))."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import sign_out_if_current_ended
from accounts.current import membership_or_404, user_of
from accounts.models import Incident
from ctsportal.access import Access
from ctsportal.api import service_error

from .services.credentials import credentials_report_compromised
from .services.invitations import invitation_create


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class InvitationCreateView(APIView):
    @extend_schema(
        request=InvitationCreateSerializer,
        responses={
            201: InvitationSerializer,
            409: OpenApiResponse(
                description="The person is already a member (code `already_member`)."
            ),
        },
        summary="Invite a colleague (owner only)",
    )
    def post(self, request: Request) -> Response:
        membership = membership_or_404(request)
        if not membership.is_owner:
            raise exceptions.PermissionDenied
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            invitation, _token = invitation_create(
                customer=membership.customer,
                email=serializer.validated_data["email"],
                actor=user_of(request),
                request=request._request,
            )
        except ValidationError as exc:
            raise service_error(exc, field="detail") from exc
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class CompromisedSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Incident.Scope.choices, default=Incident.Scope.USER)


class IncidentSerializer(serializers.Serializer):
    incident = serializers.IntegerField(source="pk")
    state = serializers.CharField()
    scope = serializers.CharField()
    reports = serializers.IntegerField()
    next_steps = serializers.SerializerMethodField(
        help_text="What the person does now, in the request's language (Art. 6(3))."
    )

    def get_next_steps(self, obj: Incident) -> str:
        # The words of the page a report in the browser ends on.
        return " ".join(
            [
                _(
                    "Every session has ended, API tokens are revoked and the password can no "
                    "longer be used."
                ),
                _(
                    "Check your e-mail: we sent a link to set a new password. Then turn on "
                    "two-factor authentication."
                ),
                _(
                    "Our staff will review the incident. If the e-mail does not arrive, write "
                    "to %(provider_email)s."
                )
                % {"provider_email": settings.PROVIDER_EMAIL},
            ]
        )


class CompromisedView(APIView):
    access_policy = Access.always(
        reason="Art. 6(3): stolen credentials are reported at once, in every state"
    )

    @extend_schema(
        request=CompromisedSerializer,
        responses={202: IncidentSerializer},
        summary="Report my credentials stolen (Art. 6(3)): ends sessions, revokes tokens, "
        "locks the password, sends a reset",
    )
    def post(self, request: Request) -> Response:
        serializer = CompromisedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = credentials_report_compromised(
            user=user_of(request),
            reporter=user_of(request),
            scope=serializer.validated_data["scope"],
            request=request._request,
            channel=Incident.Channel.API,
        )
        sign_out_if_current_ended(request)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_202_ACCEPTED)
