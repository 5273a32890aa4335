"""Reads of announced service ends (Art. 8(2)): which end covers a product, set-wise.

A service end covers a product when it ends the whole service or the product's line (its
category) and is still announced: once applied, its rentals have ended and the end is
history. The earliest such end is the one a customer is told of."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import dateformat, timezone
from django.utils.translation import pgettext

from cameras.models import Product

from ..models import ServiceEnd


def _announced() -> models.QuerySet[ServiceEnd]:
    return ServiceEnd.objects.filter(state=ServiceEnd.State.ANNOUNCED)


def product_service_end_at() -> Subquery:
    """An expression for a product query: the time the earliest announced service end
    covering the product takes effect (NULL when none does). One subquery in the product
    query, so a list of products costs no query more than without it."""
    return Subquery(
        _announced()
        .filter(
            Q(scope=ServiceEnd.Scope.ALL)
            | Q(scope=ServiceEnd.Scope.CATEGORY, category=OuterRef("category"))
        )
        .order_by("effective_at", "pk")
        .values("effective_at")[:1],
        output_field=models.DateTimeField(),
    )


def service_ends_for_products(*, products: Iterable[Product]) -> dict[int, ServiceEnd]:
    """For each of ``products`` covered by an announced service end, the earliest one, by
    product id; one query whatever the number of products."""
    products = list(products)
    if not products:
        return {}
    categories = {p.category for p in products}
    ends = list(
        _announced()
        .filter(
            Q(scope=ServiceEnd.Scope.ALL)
            | Q(scope=ServiceEnd.Scope.CATEGORY, category__in=categories)
        )
        .order_by("effective_at", "pk")
    )
    covering: dict[int, ServiceEnd] = {}
    for product in products:
        for end in ends:
            if end.scope == ServiceEnd.Scope.ALL or end.category == product.category:
                covering[product.pk] = end
                break
    return covering


def service_end_for_product(*, product: Product) -> ServiceEnd | None:
    """The earliest announced service end covering ``product``, or None."""
    return service_ends_for_products(products=[product]).get(product.pk)


def service_end_time_text(moment: datetime) -> str:
    """``moment`` in Japan time, written as the service-end notice writes it
    (``2027年1月10日 00:00`` in Japanese, ``2027-01-10 00:00`` in English)."""
    return dateformat.format(
        timezone.localtime(moment, timezone.get_default_timezone()),
        pgettext("date and time format of a service end", "Y-m-d H:i"),
    )
