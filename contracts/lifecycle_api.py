"""The company's notice of cancellation over the API (Art. 12(3)): read, give, withdraw.
Owner only; open while suspended (Art. 12(1))."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import membership_or_404
from accounts.models import Membership
from ctsportal.access import Access
from ctsportal.api import DateTimeField, service_error

from .lifecycle_views import CANCELLATION_REASON
from .models import Cancellation
from .services import cancellations


class CancellationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cancellation
        fields = ["id", "side", "state", "given_at", "effective_at", "withdrawn_at"]


class CancellationGiveSerializer(serializers.Serializer):
    effective_at = DateTimeField(
        required=False, help_text="At least 7 days from now; default exactly 7 days."
    )


def _owner(request: Request) -> Membership:
    membership = membership_or_404(request)
    if not membership.is_owner:
        raise exceptions.PermissionDenied(
            _("Only the company's owner may give or withdraw notice.")
        )
    return membership


class CancellationView(APIView):
    access_policy = Access(while_suspended=True, reason=CANCELLATION_REASON)

    @extend_schema(responses=CancellationSerializer, summary="My company's notice of cancellation")
    def get(self, request: Request) -> Response:
        membership = _owner(request)
        current = cancellations.cancellation_current(customer=membership.customer)
        if current is None:
            raise exceptions.NotFound(_("No notice of cancellation has been given."))
        return Response(CancellationSerializer(current).data)

    @extend_schema(
        request=CancellationGiveSerializer,
        responses={
            201: CancellationSerializer,
            409: OpenApiResponse(
                description="Notice was already given, or the registration cannot be "
                "cancelled in its state (codes `already_given`, `not_cancellable`)."
            ),
        },
        summary="Give notice of cancellation (Art. 12(3))",
    )
    def post(self, request: Request) -> Response:
        membership = _owner(request)
        serializer = CancellationGiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cancellation = cancellations.cancellation_give(
                customer=membership.customer,
                actor=membership.user,
                effective_at=serializer.validated_data.get("effective_at"),
                request=request._request,
            )
        except ValidationError as exc:
            # A service's refusal: 409 for a state conflict, else 400 (ctsportal.api).
            raise service_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(CancellationSerializer(cancellation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: CancellationSerializer,
            409: OpenApiResponse(
                description="The notice can no longer be withdrawn (code `not_withdrawable`)."
            ),
        },
        summary="Withdraw the notice of cancellation",
    )
    def delete(self, request: Request) -> Response:
        membership = _owner(request)
        current = cancellations.cancellation_current(customer=membership.customer)
        if current is None:
            raise exceptions.NotFound(_("No notice of cancellation has been given."))
        try:
            withdrawn = cancellations.cancellation_withdraw(
                cancellation=current, actor=membership.user, request=request._request
            )
        except ValidationError as exc:
            raise service_error(exc) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(CancellationSerializer(withdrawn).data)
