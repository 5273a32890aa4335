"""Staff screens of rentals (Art. 3, 10(6)(7), 13): requests approved by assigning units (a
button on the rental's page), delivery, returns and wipes per unit, suspension and the end of
a rental, and the deletion records of video data; CSV export. Every change goes through a
service. Charges and payments are in ``billing_admin``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.clauses import Clause
from accounts.current import user_of
from cameras.admin import csv_response

from .common_admin import ReadOnlyAdminMixin
from .models import (
    BackhoeAcknowledgement,
    Rental,
    RentalUnit,
    VideoDeletionRecord,
)
from .rentals_forms import AssignUnitsForm, EndForm, RejectForm, SuspendForm
from .selectors.service_ends import service_end_for_product
from .services import rental_operations
from .services import rentals as services


class RentalUnitInline(admin.TabularInline):
    model = RentalUnit
    extra = 0
    fields = ("unit", "assigned_at", "assigned_by", "returned_at", "returned_by")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RentalUnit]:
        # Each row shows its unit and the staff who assigned and took it back.
        return (
            super()
            .get_queryset(request)
            .select_related("unit__product", "assigned_by", "returned_by")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BackhoeAcknowledgementInline(admin.StackedInline):
    model = BackhoeAcknowledgement
    extra = 0
    fields = ("user", "acknowledged_at", "language", "text", "sha256", "ip_address")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rental)
class RentalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/contracts/rental/change_form.html"
    list_display = (
        "id",
        "customer",
        "product",
        "quantity",
        "site_name",
        "state",
        "requested_at",
        "started_at",
        "monthly_fee_yen",
    )
    list_filter = (
        "state",
        "product__category",
        ("product", admin.RelatedOnlyFieldListFilter),
        ("customer", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("customer", "product")
    search_fields = (
        "customer__name",
        "site_name",
        "site_address",
        "machine_number",
        "product__model_code",
        "assignments__unit__serial",
    )
    date_hierarchy = "requested_at"
    inlines = (RentalUnitInline, BackhoeAcknowledgementInline)
    actions = ("export_csv",)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Approving, delivering, returning, wiping and ending need the "change rental"
        permission (superusers have it; give it to the operations staff's group)."""
        return bool(request.user.has_perm("contracts.change_rental"))

    def _require_operate(self, request: HttpRequest) -> None:
        if not self.has_operate_permission(request):
            raise PermissionDenied

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="contracts_rental_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="contracts_rental_reject"),
            path(
                "<int:pk>/deliver/",
                view(require_POST(self.deliver_view)),
                name="contracts_rental_deliver",
            ),
            path("<int:pk>/end/", view(self.end_view), name="contracts_rental_end"),
            path("<int:pk>/suspend/", view(self.suspend_view), name="contracts_rental_suspend"),
            path(
                "<int:pk>/resume/",
                view(require_POST(self.resume_view)),
                name="contracts_rental_resume",
            ),
            path(
                "<int:pk>/units/<int:assignment>/return/",
                view(require_POST(self.return_view)),
                name="contracts_rental_return",
            ),
            path(
                "<int:pk>/units/<int:assignment>/wipe/",
                view(require_POST(self.wipe_view)),
                name="contracts_rental_wipe",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        rental = self.get_object(request, object_id)
        if rental is not None:
            extra["assignments"] = rental.assignments.select_related("unit").order_by(
                "unit__serial"
            )
            extra["is_live"] = rental.is_live
            extra["can_operate"] = self.has_operate_permission(request)
        return super().change_view(request, object_id, form_url, extra)

    def _back(self, rental: Rental) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:contracts_rental_change", args=[rental.pk]))

    def _page(
        self, request: HttpRequest, rental: Rental, template: str, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/contracts/rental/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": rental,
                "rental": rental,
                **context,
            },
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental.objects.select_related("product", "customer"), pk=pk)
        form = AssignUnitsForm(request.POST or None, rental=rental)
        service_end = (
            service_end_for_product(product=rental.product) if request.method == "GET" else None
        )
        if service_end is not None:
            # Art. 8(2): said before staff pick units; the approval itself refuses it too.
            refusal = services.service_ending_refusal(service_end)
            self.message_user(request, " ".join(refusal.messages), messages.WARNING)
        if request.method == "POST" and form.is_valid():
            try:
                services.rental_approve(
                    rental=rental,
                    unit_ids=[u.pk for u in form.cleaned_data["units"]],
                    actor=user_of(request),
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(
                    request,
                    _("Rental #%(id)d approved; the units are assigned.") % {"id": rental.pk},
                    messages.SUCCESS,
                )
                return self._back(rental)
        return self._page(
            request, rental, "approve.html", form=form, title=_("Approve by assigning units")
        )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental.objects.select_related("product", "customer"), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.rental_reject(
                    rental=rental,
                    actor=user_of(request),
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, _("The request was rejected."), messages.SUCCESS)
                return self._back(rental)
        return self._page(request, rental, "form.html", form=form, title=_("Reject the request"))

    def end_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental.objects.select_related("product", "customer"), pk=pk)
        form = EndForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            ends_on = form.cleaned_data["ends_on"]
            try:
                if ends_on:
                    rental_operations.rental_schedule_end(
                        rental=rental, actor=user_of(request), ends_on=ends_on, request=request
                    )
                    done = _("The rental will end on %(date)s.") % {"date": ends_on}
                else:
                    rental_operations.rental_end(
                        rental=rental,
                        actor=user_of(request),
                        clause=Clause(form.cleaned_data["clause"]),
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                    done = _("The rental ended; the deletion of its cloud video data is recorded.")
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return self._back(rental)
        return self._page(request, rental, "form.html", form=form, title=_("End the rental"))

    def suspend_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental.objects.select_related("product", "customer"), pk=pk)
        form = SuspendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rental_operations.rental_suspend(
                    rental=rental,
                    actor=user_of(request),
                    clause=Clause(form.cleaned_data["clause"]),
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, _("The rental is suspended."), messages.SUCCESS)
                return self._back(rental)
        return self._page(request, rental, "form.html", form=form, title=_("Suspend the rental"))

    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental, pk=pk)
        self._run(
            request,
            lambda: rental_operations.rental_resume(
                rental=rental, actor=user_of(request), request=request
            ),
            _("The rental is active again."),
        )
        return self._back(rental)

    def _run(self, request: HttpRequest, action: Any, success: str) -> None:
        try:
            action()
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)

    def deliver_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_operate(request)
        rental = get_object_or_404(Rental, pk=pk)
        self._run(
            request,
            lambda: rental_operations.rental_record_delivery(
                rental=rental, actor=user_of(request), request=request
            ),
            _("Delivery recorded: the rental is active and its monthly fee is fixed."),
        )
        return self._back(rental)

    def return_view(self, request: HttpRequest, pk: int, assignment: int) -> HttpResponse:
        self._require_operate(request)
        item = get_object_or_404(
            RentalUnit.objects.select_related("unit"), pk=assignment, rental_id=pk
        )
        self._run(
            request,
            lambda: rental_operations.rental_unit_return(
                assignment=item, actor=user_of(request), request=request
            ),
            _("Return of unit %(serial)s recorded.") % {"serial": item.unit.serial},
        )
        return self._back(item.rental)

    def wipe_view(self, request: HttpRequest, pk: int, assignment: int) -> HttpResponse:
        self._require_operate(request)
        item = get_object_or_404(
            RentalUnit.objects.select_related("unit"), pk=assignment, rental_id=pk
        )
        self._run(
            request,
            lambda: rental_operations.unit_wipe(
                unit=item.unit, actor=user_of(request), request=request
            ),
            _("Wipe of unit %(serial)s recorded.") % {"serial": item.unit.serial},
        )
        return self._back(item.rental)

    @admin.action(description=gettext_lazy("Export the selected rentals as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Rental]) -> HttpResponse:
        rentals = queryset.select_related("customer", "product").prefetch_related(
            "assignments__unit"
        )
        rows = (
            (
                r.pk,
                r.customer.name,
                r.product.model_code,
                r.quantity,
                r.state,
                r.site_name,
                r.site_address,
                r.machine_maker,
                r.machine_model,
                r.machine_number,
                " ".join(a.unit.serial for a in r.assignments.all()),
                r.monthly_fee_yen,
                timezone.localtime(r.started_at) if r.started_at else "",
                timezone.localtime(r.ended_at) if r.ended_at else "",
            )
            for r in rentals.order_by("pk")
        )
        header = [
            "id",
            "customer",
            "model_code",
            "quantity",
            "state",
            "site_name",
            "site_address",
            "machine_maker",
            "machine_model",
            "machine_number",
            "serials",
            "monthly_fee_yen",
            "started_at",
            "ended_at",
        ]
        return csv_response("rentals", header, rows)


@admin.register(VideoDeletionRecord)
class VideoDeletionRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("deleted_at", "customer", "rental", "unit", "storage", "clause", "actor_label")
    list_filter = ("storage", "clause")
    list_select_related = ("customer", "rental__product", "unit__product")
    search_fields = ("customer__name", "unit__serial")
