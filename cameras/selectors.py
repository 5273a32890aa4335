"""Reads of the catalogue. The catalogue is the same for every customer; only active
products are shown to them, each with the time its line ends when an end is announced
(Art. 8(2))."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models
from django.db.models import Q, Value
from django.http import Http404

from .models import Product

FILTERS = ("category", "connectivity", "power", "recording")

# Art. 8(2): the end of the service or of a product line is announced in contracts
# (``ServiceEnd``), which the catalogue may not import (the apps import downwards only).
# Contracts registers here, in its ``AppConfig.ready``, the expression that gives a product
# the time the announced end covering it takes effect; the catalogue annotates its products
# with it as ``service_ends_at`` (None: no end announced), in the products' own query.
_service_end_expression: Callable[[], Any] | None = None


def service_end_expression_set(expression: Callable[[], Any]) -> None:
    global _service_end_expression
    _service_end_expression = expression


def with_service_end(products: models.QuerySet[Product]) -> models.QuerySet[Product]:
    """``products``, each annotated with ``service_ends_at``."""
    if _service_end_expression is None:
        return products.annotate(service_ends_at=Value(None, models.DateTimeField()))
    return products.annotate(service_ends_at=_service_end_expression())


def product_list(*, filters: Mapping[str, str] | None = None) -> models.QuerySet[Product]:
    """Active products, narrowed by any of ``FILTERS`` and a free-text ``q`` (model code,
    names, descriptions), each with its included accessories and ``service_ends_at``."""
    filters = filters or {}
    products = with_service_end(Product.objects.filter(active=True)).prefetch_related(
        models.Prefetch("accessories", queryset=Product.objects.order_by("model_code"))
    )
    for name in FILTERS:
        value = filters.get(name, "")
        if value:
            products = products.filter(**{name: value})
    text = (filters.get("q") or "").strip()
    if text:
        products = products.filter(
            Q(model_code__icontains=text)
            | Q(name_ja__icontains=text)
            | Q(name_en__icontains=text)
            | Q(description_ja__icontains=text)
            | Q(description_en__icontains=text)
        )
    return products.order_by("category", "monthly_fee_yen", "model_code")


def product_get(*, pk: object) -> Product:
    """An active product; anything else is a 404."""
    try:
        return product_list().get(pk=int(str(pk)))
    except (Product.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
