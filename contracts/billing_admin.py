"""Staff screens of billing (Art. 5, 13(9)): payments received are recorded through
``contracts.services.billing`` and never edited; monthly charges are read-only; CSV export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.admin_actions import note_action
from accounts.current import user_of
from cameras.admin import csv_response

from .common_admin import ReadOnlyAdminMixin
from .models import (
    Charge,
    Payment,
)
from .services import billing


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ("customer", "amount_yen", "received_on", "method", "reference")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    form = PaymentForm
    list_display = (
        "received_on",
        "customer",
        "amount_yen",
        "method",
        "reference",
        "recorded_by",
        "voided_at",
    )
    list_filter = (
        "method",
        ("voided_at", admin.EmptyFieldListFilter),
        ("received_on", admin.DateFieldListFilter),
        ("customer", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("customer", "recorded_by")
    search_fields = ("customer__name", "reference")
    date_hierarchy = "received_on"
    autocomplete_fields = ("customer",)
    actions = ("void", "export_csv")
    void = note_action(
        billing.payment_void,
        "payment",
        description=gettext_lazy("Void (recorded by mistake; with the reason)"),
        title=gettext_lazy("Void payments"),
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A recorded payment is evidence (Art. 13(9) is read from it): never edited; one
        # recorded by mistake is voided with the reason (the action above).
        return obj is None and super().has_change_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is not None and obj.voided_at is not None:
            fields += ["voided_at", "voided_by", "void_reason"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        payment = billing.payment_record(
            customer=obj.customer,
            amount_yen=obj.amount_yen,
            received_on=obj.received_on,
            method=obj.method,
            reference=obj.reference,
            actor=user_of(request),
            request=request,
        )
        obj.pk = payment.pk
        obj.recorded_by = payment.recorded_by

    @admin.action(description=gettext_lazy("Export the selected payments as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponse:
        rows = (
            (
                p.pk,
                p.customer.name,
                p.customer.corporate_number,
                p.received_on,
                p.amount_yen,
                p.method,
                p.reference,
                timezone.localtime(p.voided_at).isoformat() if p.voided_at else "",
                p.void_reason,
            )
            for p in queryset.select_related("customer").order_by("received_on", "pk")
        )
        header = [
            "id",
            "customer",
            "corporate_number",
            "received_on",
            "amount_yen",
            "method",
            "reference",
            "voided_at",
            "void_reason",
        ]
        return csv_response("payments", header, rows)


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "period",
        "customer",
        "rental",
        "amount_yen",
        "days_charged",
        "days_in_month",
        "due_on",
        "accelerated_at",
    )
    list_filter = ("period", ("customer", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("customer", "rental__product")
    search_fields = ("customer__name",)
