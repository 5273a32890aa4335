"""Filters for the rows of a list page, where per-row work is repeated 25 times a page.

``{{ notice|choice_label:"kind" }}`` is ``notice.get_kind_display``, without its cost:
Django's builds a dict of every choice on each call, hashing (so translating) every lazy
label; this looks the value up in a dict built once per field and translates one label."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Field, Model

register = template.Library()

_LABELS: dict[Field[Any, Any], dict[Any, Any]] = {}


@register.filter
def choice_label(obj: Model, field_name: str) -> Any:
    field = obj._meta.get_field(field_name)
    assert isinstance(field, Field)
    labels = _LABELS.get(field)
    if labels is None:
        labels = _LABELS[field] = {value: label for value, label in field.flatchoices}
    value = getattr(obj, field.attname)
    return labels.get(value, value)
