"""Reads of the catalogue. The catalogue is the same for every customer; only active
products are shown to them."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.db.models import Q
from django.http import Http404

from .models import Product

FILTERS = ("category", "connectivity", "power", "recording")


def product_list(*, filters: Mapping[str, str] | None = None) -> models.QuerySet[Product]:
    """Active products, narrowed by any of ``FILTERS`` and a free-text ``q`` (model code,
    names, descriptions), each with its included accessories."""
    filters = filters or {}
    products = Product.objects.filter(active=True).prefetch_related(
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
