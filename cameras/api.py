"""REST API of the catalogue (Art. 3 and annex): active products, filterable."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers

from ctsportal.api import ReadModelSerializer

from .models import Product
from .selectors import FILTERS, product_get, product_list

# The one error shape of the API (ctsportal.api): {"code", "detail", "errors"}.
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(required=False),
    },
)

ERRORS: dict[int, Any] = {401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class AccessorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "model_code", "name"]


class ProductSerializer(ReadModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    accessories = AccessorySerializer(many=True, read_only=True)
    service_ends_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Art. 8(2): when the announced end of the service or of this product's line "
        "takes effect; no new rental of the product is accepted. Null when none is announced.",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "category",
            "model_code",
            "name",
            "name_ja",
            "name_en",
            "description",
            "resolution",
            "connectivity",
            "power",
            "recording",
            "monthly_fee_yen",
            "image",
            "accessories",
            "service_ends_at",
        ]
        read_only_fields = fields


FILTER_PARAMETERS = [
    OpenApiParameter("category", enum=Product.Category.values),
    OpenApiParameter("connectivity", enum=Product.Connectivity.values),
    OpenApiParameter("power", enum=Product.Power.values),
    OpenApiParameter("recording", enum=Product.Recording.values),
    OpenApiParameter("q", description="Text in the model code, names or descriptions"),
]


@extend_schema_view(
    get=extend_schema(
        summary="The catalogue: active products",
        parameters=FILTER_PARAMETERS,
        responses={200: ProductSerializer(many=True), **ERRORS},
    )
)
class ProductListView(generics.ListAPIView):
    serializer_class = ProductSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params
        # A filter names one of its values: an unknown one is refused, not an empty list.
        errors = {
            parameter.name: [
                _("Choose one of: %(values)s.") % {"values": ", ".join(parameter.enum)}
            ]
            for parameter in FILTER_PARAMETERS
            if parameter.enum
            and parameter.name in params
            and params[parameter.name] not in parameter.enum
        }
        if errors:
            raise exceptions.ValidationError(errors)
        return product_list(filters={name: params.get(name, "") for name in (*FILTERS, "q")})


@extend_schema_view(
    get=extend_schema(summary="One product", responses={200: ProductSerializer, **ERRORS})
)
class ProductDetailView(generics.RetrieveAPIView):
    serializer_class = ProductSerializer

    def get_object(self) -> Product:
        return product_get(pk=self.kwargs["pk"])
