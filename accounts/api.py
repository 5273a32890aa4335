"""REST API of the accounts app: who am I, my API tokens, my company's members and my sessions
(Art. 6(1)). Invitations and the report of stolen credentials are in ``security.api``."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ctsportal.access import Access
from ctsportal.api import service_error
from ctsportal.pagecache import CachedReads

from . import services
from .current import membership_of, membership_or_404, user_of
from .selectors import member_get, member_list, user_session_list


class CustomerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    customer = CustomerSummarySerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)


class MeView(CachedReads, APIView):
    access_policy = Access(
        onboarding=True,
        ended=True,
        reason="who am I, and my company's state: what an API client needs to know first",
    )

    @extend_schema(responses=MeSerializer, summary="The signed-in user, company and role")
    def get(self, request: Request) -> Response:
        user = user_of(request)
        membership = membership_of(request)
        data: dict[str, Any] = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "is_staff": user.is_staff,
            "customer": None,
            "role": None,
        }
        if membership is not None:
            customer = membership.customer
            data["customer"] = {"id": customer.pk, "name": customer.name, "status": customer.status}
            data["role"] = membership.role
        return Response(MeSerializer(data).data)


class TokenSerializer(serializers.Serializer):
    token_key = serializers.CharField(read_only=True, help_text=_("First characters of the token."))
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)


class TokenCreateSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, default=90)

    def validate_days(self, value: int) -> int:
        if value > settings.API_TOKEN_MAX_DAYS:
            raise serializers.ValidationError(
                _("A token is valid for 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}
            )
        return value


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once. Send as 'Authorization: Token …'."))


class TokenRefused(exceptions.APIException):
    """The limit of tokens per person, or a lifetime beyond the cap: 400 with its own code."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


class TokenListView(APIView):
    # Creating a token hands out a credential: the person confirms the password first, and
    # a token cannot mint tokens.
    access_policy = Access(
        onboarding=True, sensitive=True, session_only=True, reason="the person's own API tokens"
    )

    @extend_schema(responses=TokenSerializer(many=True), summary="My API tokens")
    def get(self, request: Request) -> Response:
        tokens = services.api_token_list(user=user_of(request))
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer},
        summary="Create an API token (the secret is shown once)",
    )
    def post(self, request: Request) -> Response:
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            secret = services.api_token_create(
                user=user_of(request),
                days=serializer.validated_data["days"],
                request=request._request,
            )
        except ValidationError as exc:
            raise TokenRefused(" ".join(exc.messages), code=exc.code or "invalid") from exc
        return Response({"token": secret}, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    access_policy = Access.always(
        reason="revoking one's own credential is always possible (Art. 6(3))"
    )

    @extend_schema(responses={204: None}, summary="Revoke one of my API tokens")
    def delete(self, request: Request, token_key: str) -> Response:
        services.api_token_revoke(
            user=user_of(request),
            token_key=token_key,
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Members, sessions and stolen credentials (Art. 6) ------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.CharField()
    last_login = serializers.DateTimeField(source="user.last_login", allow_null=True)
    mfa_enabled = serializers.BooleanField(source="has_mfa")
    joined = serializers.DateTimeField(source="created_at")


class MemberListView(APIView):
    @extend_schema(responses=MemberSerializer(many=True), summary="Members of my company")
    def get(self, request: Request) -> Response:
        membership = membership_or_404(request)
        members = member_list(customer=membership.customer)
        return Response(MemberSerializer(members, many=True).data)


class MemberDetailView(APIView):
    # Removing a member needs the person's recent confirmation, for a token too.
    access_policy = Access(sensitive=True)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                description="The owner cannot be removed; hand the ownership over first "
                "(code `owner`)."
            ),
        },
        summary="Remove a member (owner only); their sessions and tokens end at once",
    )
    def delete(self, request: Request, pk: int) -> Response:
        membership = membership_or_404(request)
        target = member_get(customer=membership.customer, pk=pk)
        if not membership.is_owner:
            raise exceptions.PermissionDenied
        try:
            services.member_remove(
                customer=membership.customer,
                membership=target,
                actor=user_of(request),
                request=request._request,
            )
        except ValidationError as exc:
            raise service_error(exc, field="detail") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


_OWN_SESSIONS = "the person's own sessions (Art. 6): reachable in every state"


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ip = serializers.IPAddressField()
    user_agent = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    def get_current(self, obj: Any) -> bool:
        request = self.context.get("request")
        session = getattr(request, "session", None)
        return bool(session is not None and obj.session_key == session.session_key)


def sign_out_if_current_ended(request: Request) -> None:
    session = getattr(request._request, "session", None)
    if (
        request.auth is None
        and session is not None
        and session.session_key
        and not session.exists(session.session_key)
    ):
        logout(request._request)


class SessionListView(APIView):
    access_policy = Access.always(reason=_OWN_SESSIONS)

    @extend_schema(responses=SessionSerializer(many=True), summary="My signed-in sessions")
    def get(self, request: Request) -> Response:
        sessions = user_session_list(user=user_of(request))
        return Response(SessionSerializer(sessions, many=True, context={"request": request}).data)

    @extend_schema(
        responses={204: None}, summary="End all my sessions", operation_id="sessions_destroy_all"
    )
    def delete(self, request: Request) -> Response:
        services.user_sessions_end_all(
            user=user_of(request),
            request=request._request,
        )
        sign_out_if_current_ended(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionDetailView(APIView):
    access_policy = Access.always(reason=_OWN_SESSIONS)

    @extend_schema(responses={204: None}, summary="End one of my sessions")
    def delete(self, request: Request, pk: int) -> Response:
        services.user_session_end(
            user=user_of(request),
            session_id=pk,
            request=request._request,
        )
        sign_out_if_current_ended(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
