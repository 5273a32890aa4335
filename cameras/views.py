"""The catalogue pages (Art. 3 and its annex): browse and filter, and one product with its
specifications and accessories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .models import Product
from .selectors import product_get, product_list


def _choices(choices: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_choices(Product.Category.choices)
    )
    connectivity = forms.ChoiceField(
        label=_("Connectivity"), required=False, choices=_choices(Product.Connectivity.choices)
    )
    power = forms.ChoiceField(
        label=_("Power"), required=False, choices=_choices(Product.Power.choices)
    )
    recording = forms.ChoiceField(
        label=_("Recording"), required=False, choices=_choices(Product.Recording.choices)
    )


def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    products = product_list(filters=filters)
    return render(request, "cameras/catalogue.html", {"form": form, "products": products})


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = product_get(pk=pk)
    return render(request, "cameras/product_detail.html", {"product": product})
