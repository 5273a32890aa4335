"""Staff screens of the catalogue and the units. Unit states change only through the services
(actions that report what they did); units are exported as CSV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_actions import AuditedSaveMixin
from accounts.clauses import Clause
from accounts.current import user_of
from ctsportal.spreadsheets import SafeWriter

from . import services
from .models import Product, Unit


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download with a BOM, so that Excel on Japanese Windows reads it as UTF-8."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response.write("\ufeff")
    writer = SafeWriter(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return response


@admin.register(Product)
class ProductAdmin(AuditedSaveMixin, admin.ModelAdmin):
    audit_clause = Clause.ART3
    list_display = (
        "model_code",
        "name_ja",
        "category",
        "connectivity",
        "power",
        "recording",
        "monthly_fee_yen",
        "active",
    )
    list_filter = ("category", "active", "connectivity", "power", "recording")
    search_fields = ("model_code", "name_ja", "name_en")
    filter_horizontal = ("accessories",)
    fieldsets = (
        (None, {"fields": ("category", "model_code", "active", "monthly_fee_yen", "image")}),
        (
            gettext_lazy("Names and descriptions"),
            {"fields": ("name_ja", "name_en", "description_ja", "description_en")},
        ),
        (
            gettext_lazy("Specifications"),
            {"fields": ("resolution", "connectivity", "power", "recording", "accessories")},
        ),
    )


@admin.register(Unit)
class UnitAdmin(AuditedSaveMixin, admin.ModelAdmin):
    audit_clause = Clause.ART3
    list_display = ("serial", "product", "state", "note", "updated_at")
    list_filter = ("state", "product__category", ("product", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("product",)
    search_fields = ("serial", "product__model_code", "product__name_ja", "note")
    readonly_fields = ("state", "created_at", "updated_at")
    actions = ("restock_selected", "retire_selected", "export_csv")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A unit's product and serial are fixed once it exists.
        if obj is not None:
            return ("product", "serial", *self.readonly_fields)
        return tuple(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _each(self, request: HttpRequest, queryset: QuerySet[Unit], action: Any) -> None:
        done = 0
        for unit in queryset.order_by("pk"):
            try:
                action(unit)
                done += 1
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)d unit(s) updated.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(
        description=gettext_lazy("Put the selected wiped units back in stock"),
        permissions=["change"],
    )
    def restock_selected(self, request: HttpRequest, queryset: QuerySet[Unit]) -> None:
        actor = user_of(request)
        self._each(
            request,
            queryset,
            lambda unit: services.unit_restock(unit=unit, actor=actor, request=request),
        )

    @admin.action(description=gettext_lazy("Retire the selected units"), permissions=["change"])
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Unit]) -> None:
        actor = user_of(request)
        self._each(
            request,
            queryset,
            lambda unit: services.unit_retire(unit=unit, actor=actor, request=request),
        )

    @admin.action(description=gettext_lazy("Export the selected units as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Unit]) -> HttpResponse:
        rows = (
            (u.product.model_code, u.serial, u.state, u.note, timezone.localtime(u.updated_at))
            for u in queryset.select_related("product").order_by("product__model_code", "serial")
        )
        return csv_response("units", ["model_code", "serial", "state", "note", "updated_at"], rows)
