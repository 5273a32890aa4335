"""REST API of the accounts app: who am I, and my API tokens."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .selectors import membership_get


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


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in user, company and role")
    def get(self, request: Request) -> Response:
        user = request.user
        membership = membership_get(user=user)
        data: dict[str, Any] = {
            "id": user.pk,
            "email": user.email,  # type: ignore[union-attr]
            "full_name": user.full_name,  # type: ignore[union-attr]
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
    days = serializers.IntegerField(min_value=1, max_value=365, default=90)


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once. Send as 'Authorization: Token …'."))


class TokenListView(APIView):
    @extend_schema(responses=TokenSerializer(many=True), summary="My API tokens")
    def get(self, request: Request) -> Response:
        tokens = services.api_token_list(user=request.user)  # type: ignore[arg-type]
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer},
        summary="Create an API token (the secret is shown once)",
    )
    def post(self, request: Request) -> Response:
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        secret = services.api_token_create(
            user=request.user,  # type: ignore[arg-type]
            days=serializer.validated_data["days"],
            request=request._request,
        )
        return Response({"token": secret}, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Revoke one of my API tokens")
    def delete(self, request: Request, token_key: str) -> Response:
        services.api_token_revoke(
            user=request.user,  # type: ignore[arg-type]
            token_key=token_key,
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
