"""REST API of the caller's company's rentals: the usage contract, rentals (and new
requests), units, charges, payments, deletion records, and the balance with the liability
cap (Art. 3, 4(3), 5, 10(6)(7), 13(9)(10)). Another company's object is a 404."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import membership_or_404, user_of
from accounts.models import Customer
from cameras.api import ERRORS, ErrorSerializer
from cameras.models import Product
from cameras.selectors import product_get
from ctsportal.api import ReadModelSerializer, service_error
from ctsportal.pagecache import CachedReads

from .models import Charge, Payment, Rental, RentalUnit, UsageContract, VideoDeletionRecord
from .registration_api import TermsSnapshotField
from .selectors import billing as billing_selectors
from .selectors import rentals as rentals_selectors
from .services import billing
from .services import rentals as services


class IdempotencyKeyReused(exceptions.APIException):
    """422: the key names a request made with other details; answering its rental would pass
    the new details over in silence."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _customer(request: Request) -> Customer:
    return membership_or_404(request).customer


class UsageContractSerializer(serializers.ModelSerializer):
    terms_versions = TermsSnapshotField(read_only=True)

    class Meta:
        model = UsageContract
        fields = ["id", "formed_at", "terms_versions"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    serial = serializers.CharField(source="unit.serial")

    class Meta:
        model = RentalUnit
        fields = ["id", "serial", "assigned_at", "returned_at"]
        read_only_fields = fields


class RentalSerializer(ReadModelSerializer):
    product_model_code = serializers.CharField(source="product.model_code", read_only=True)
    units = AssignmentSerializer(source="assignments", many=True, read_only=True)

    class Meta:
        model = Rental
        fields = [
            "id",
            "contract",
            "product",
            "product_model_code",
            "quantity",
            "state",
            "site_name",
            "site_address",
            "desired_start",
            "machine_maker",
            "machine_model",
            "machine_number",
            "recording",
            "note",
            "requested_at",
            "decided_at",
            "rejection_reason",
            "monthly_fee_yen",
            "started_at",
            "ends_on",
            "ended_at",
            "units",
        ]
        read_only_fields = fields


class RentalRequestSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=50)
    site_name = serializers.CharField(max_length=200)
    site_address = serializers.CharField(max_length=300)
    desired_start = serializers.DateField()
    machine_maker = serializers.CharField(max_length=100, required=False, default="")
    machine_model = serializers.CharField(max_length=100, required=False, default="")
    machine_number = serializers.CharField(max_length=100, required=False, default="")
    note = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=Rental._meta.get_field("note").max_length,
    )
    backhoe_acknowledged = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Art. 13(10): required, every time, for a backhoe camera system.",
    )
    acknowledgement_sha256 = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="SHA-256 of the text shown (GET rentals/backhoe-acknowledgement).",
    )


class AcknowledgementSerializer(serializers.Serializer):
    language = serializers.CharField()
    text = serializers.CharField()
    sha256 = serializers.CharField()


class UnitSerializer(serializers.ModelSerializer):
    serial = serializers.CharField(source="unit.serial")
    model_code = serializers.CharField(source="unit.product.model_code")
    rental = serializers.IntegerField(source="rental_id")
    site_name = serializers.CharField(source="rental.site_name")
    machine_number = serializers.CharField(source="rental.machine_number")
    rental_state = serializers.CharField(source="rental.state")

    class Meta:
        model = RentalUnit
        fields = [
            "id",
            "serial",
            "model_code",
            "rental",
            "site_name",
            "machine_number",
            "rental_state",
            "assigned_at",
            "returned_at",
        ]
        read_only_fields = fields


class ChargeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Charge
        fields = [
            "id",
            "rental",
            "period",
            "amount_yen",
            "days_charged",
            "days_in_month",
            "due_on",
            "accelerated_at",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "amount_yen", "received_on", "method", "reference", "voided_at"]
        read_only_fields = fields


class DeletionSerializer(serializers.ModelSerializer):
    serial = serializers.CharField(source="unit.serial", allow_null=True, default=None)

    class Meta:
        model = VideoDeletionRecord
        fields = ["id", "rental", "serial", "storage", "deleted_at", "clause"]
        read_only_fields = fields


class BalanceSerializer(serializers.Serializer):
    outstanding_balance_yen = serializers.IntegerField()
    liability_cap_yen = serializers.IntegerField(help_text="Art. 13(9)")
    liability_cap_date = serializers.DateField()
    liability_cap_window_start = serializers.DateField()


# --- Views ------------------------------------------------------------------------------------


class UsageContractView(APIView):
    @extend_schema(
        summary="My company's usage contract (Art. 4(3))",
        responses={200: UsageContractSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        contract = rentals_selectors.usage_contract_get(customer=_customer(request))
        if contract is None:
            raise exceptions.NotFound
        return Response(UsageContractSerializer(contract).data)


@extend_schema_view(
    get=extend_schema(
        summary="My company's rentals and requests",
        responses={200: RentalSerializer(many=True), **ERRORS},
    )
)
class RentalListView(CachedReads, generics.ListAPIView):
    serializer_class = RentalSerializer

    def get_queryset(self) -> Any:
        return rentals_selectors.rental_list(customer=_customer(self.request))

    @extend_schema(
        summary="Request equipment for a site",
        description=(
            "Only an active company may request. A backhoe camera system needs the machine "
            "(maker, model, number) and backhoe_acknowledged=true on every request (Art. 13(10)). "
            "A request sent again with the same Idempotency-Key (a UUID the client draws for "
            "each request) answers the rental made the first time instead of making another. "
            "A product covered by an announced end of the service or of its line (Art. 8(2); "
            "its service_ends_at in the catalogue) is refused: 400 with errors.product."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                type=uuid.UUID,
                location=OpenApiParameter.HEADER,
                required=False,
                description="A UUID drawn by the client for this request; a retry sends it again.",
            )
        ],
        request=RentalRequestSerializer,
        responses={
            201: RentalSerializer,
            400: ErrorSerializer,
            422: OpenApiResponse(
                description="The Idempotency-Key was already used for a request with other "
                "details (code `idempotency_key_reused`)."
            ),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        customer = _customer(request)
        raw_key = request.headers.get("Idempotency-Key")
        try:
            # Sent empty, the header is a client's mistake, not "no key": refused like any
            # other value that is not a UUID, instead of making a rental no retry can find.
            submission_key = None if raw_key is None else uuid.UUID(raw_key)
        except ValueError as exc:
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _("Use a UUID, e.g. %(example)s.") % {"example": uuid.uuid4()}
                    ]
                }
            ) from exc
        incoming = RentalRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        try:
            product: Product = product_get(pk=data.pop("product"))
        except Http404 as exc:
            raise exceptions.ValidationError({"product": [_("Unknown product.")]}) from exc
        acknowledged = data.pop("backhoe_acknowledged")
        sha256 = data.pop("acknowledgement_sha256")
        text, language = services.backhoe_acknowledgement_text()
        if sha256 and sha256 != hashlib.sha256(text.encode()).hexdigest():
            raise exceptions.ValidationError(
                {
                    "acknowledgement_sha256": [
                        _("The acknowledgement text has changed; show it again.")
                    ]
                }
            )
        try:
            rental = services.rental_request(
                customer=customer,
                user=user_of(request),
                data=services.RentalRequestData(product=product, **data),
                backhoe_acknowledged=acknowledged,
                acknowledgement_text=text,
                acknowledgement_language=language,
                submission_key=submission_key,
                request=request._request,
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "submission_key_reused":
                raise IdempotencyKeyReused(
                    _(
                        "This Idempotency-Key was already used for another request (rental #"
                        "%(rental)s). Draw a new key for a new request."
                    )
                    % (exc.params or {})
                ) from exc
            raise service_error(exc, field="detail") from exc
        rental = rentals_selectors.rental_list(customer=customer).get(pk=rental.pk)
        return Response(RentalSerializer(rental).data, status=status.HTTP_201_CREATED)


class BackhoeAcknowledgementView(APIView):
    @extend_schema(
        summary="The Art. 13(10) acknowledgement to show before a backhoe request",
        responses={200: AcknowledgementSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        text, language = services.backhoe_acknowledgement_text()
        sha256 = hashlib.sha256(text.encode()).hexdigest()
        return Response({"language": language, "text": text, "sha256": sha256})


@extend_schema_view(
    get=extend_schema(summary="One rental", responses={200: RentalSerializer, **ERRORS})
)
class RentalDetailView(CachedReads, generics.RetrieveAPIView):
    serializer_class = RentalSerializer

    def get_object(self) -> Rental:
        rentals = rentals_selectors.rental_list(customer=_customer(self.request))
        try:
            return rentals.get(pk=self.kwargs["pk"])
        except Rental.DoesNotExist as exc:
            raise Http404 from exc


@extend_schema_view(
    get=extend_schema(
        summary="My company's units (serial, site, machine)",
        responses={200: UnitSerializer(many=True), **ERRORS},
    )
)
class UnitListView(CachedReads, generics.ListAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self) -> Any:
        return rentals_selectors.rental_unit_list(customer=_customer(self.request))


@extend_schema_view(
    get=extend_schema(summary="One unit", responses={200: UnitSerializer, **ERRORS})
)
class UnitDetailView(generics.RetrieveAPIView):
    serializer_class = UnitSerializer

    def get_object(self) -> RentalUnit:
        return rentals_selectors.rental_unit_get(
            customer=_customer(self.request), pk=self.kwargs["pk"]
        )


@extend_schema_view(
    get=extend_schema(
        summary="My company's monthly charges (Art. 5)",
        responses={200: ChargeSerializer(many=True), **ERRORS},
    )
)
class ChargeListView(generics.ListAPIView):
    serializer_class = ChargeSerializer

    def get_queryset(self) -> Any:
        return billing_selectors.charge_list(customer=_customer(self.request))


@extend_schema_view(
    get=extend_schema(summary="One charge", responses={200: ChargeSerializer, **ERRORS})
)
class ChargeDetailView(generics.RetrieveAPIView):
    serializer_class = ChargeSerializer

    def get_object(self) -> Charge:
        return billing_selectors.charge_get(customer=_customer(self.request), pk=self.kwargs["pk"])


@extend_schema_view(
    get=extend_schema(
        summary="Payments received from my company",
        responses={200: PaymentSerializer(many=True), **ERRORS},
    )
)
class PaymentListView(generics.ListAPIView):
    serializer_class = PaymentSerializer

    def get_queryset(self) -> Any:
        return billing_selectors.payment_list(customer=_customer(self.request))


@extend_schema_view(
    get=extend_schema(summary="One payment", responses={200: PaymentSerializer, **ERRORS})
)
class PaymentDetailView(generics.RetrieveAPIView):
    serializer_class = PaymentSerializer

    def get_object(self) -> Payment:
        return billing_selectors.payment_get(customer=_customer(self.request), pk=self.kwargs["pk"])


@extend_schema_view(
    get=extend_schema(
        summary="Records of video data deletion (Art. 10(6)(7))",
        responses={200: DeletionSerializer(many=True), **ERRORS},
    )
)
class DeletionListView(generics.ListAPIView):
    serializer_class = DeletionSerializer

    def get_queryset(self) -> Any:
        return rentals_selectors.video_deletion_list(customer=_customer(self.request))


def _iso_date(raw: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(raw)
    return date.fromisoformat(raw)


class BalanceView(APIView):
    @extend_schema(
        summary="Outstanding balance and the liability cap (Art. 13(9)) on a date",
        parameters=[OpenApiParameter("date", type=date, description="Default: today")],
        responses={200: BalanceSerializer, 400: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        customer = _customer(request)
        raw = request.query_params.get("date")
        try:
            # Present, the date is YYYY-MM-DD (not empty, nor ISO's other spellings).
            on = timezone.localdate() if raw is None else _iso_date(raw)
        except ValueError as exc:
            raise exceptions.ValidationError({"date": [_("Use YYYY-MM-DD.")]}) from exc
        cap = billing.customer_liability_cap(customer=customer, on=on)
        return Response(
            {
                "outstanding_balance_yen": billing.customer_outstanding_balance(customer=customer),
                "liability_cap_yen": cap.amount_yen,
                "liability_cap_date": cap.on,
                "liability_cap_window_start": cap.window_start,
            }
        )
