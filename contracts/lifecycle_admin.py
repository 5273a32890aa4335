"""Staff screens of the lifecycle (Art. 8, 12): the provider's measures against a customer
(suspend, lift, revoke, give notice of cancellation) as actions with a ground and a note,
service interruptions and service ends, and the inactivity revocation queue. Every change
goes through ``contracts.services``; nothing here has rules of its own. Each measure is
offered only to staff holding its permission (``contracts.models.Measure``, the "measures"
group): the action is not listed, its POST is not run, and the add page answers 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_actions import note_action
from accounts.current import user_of
from accounts.models import Customer, User
from ctsportal.forms import CalendarDateTimeField

from .common_admin import CALENDAR_DATETIMES, ReadOnlyAdminMixin, StaffMayViewMixin
from .models import (
    PROVIDER_GROUND_CHOICES,
    Cancellation,
    CustomerStanding,
    Measure,
    ReturnChecklist,
    ReturnItem,
    Revocation,
    RevocationQueueEntry,
    ServiceEnd,
    ServiceInterruption,
    Suspension,
)
from .services import cancellations, inactivity, returns, service_events, standing


class MeasureForm(forms.Form):
    """The intermediate page of a measure: the ground of Art. 12(1) and a required note."""

    ground = forms.ChoiceField(label=gettext_lazy("Ground (Art. 12(1))"), required=False)
    effective_at = CalendarDateTimeField(
        label=gettext_lazy("Takes effect (Japan time; empty: exactly 7 days from now)"),
        required=False,
        # The browser's own date and time picker: a bare text box gave no hint of the one
        # format it took, and refused the Japanese 2026/12/20 10:00 as "not a date".
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea)

    def __init__(self, *args: Any, needs_ground: bool, needs_date: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_ground:
            self.fields["ground"] = forms.ChoiceField(
                label=gettext_lazy("Ground (Art. 12(1))"),
                choices=[("", "---------"), *PROVIDER_GROUND_CHOICES],
            )
        else:
            del self.fields["ground"]
        if not needs_date:
            del self.fields["effective_at"]


def _measure(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Customer],
    *,
    action: str,
    title: str,
    needs_ground: bool = False,
    needs_date: bool = False,
    run: Callable[[Customer, User, dict[str, Any]], object],
) -> HttpResponse | None:
    customers = list(queryset.order_by("pk"))
    form = MeasureForm(
        request.POST if "confirm" in request.POST else None,
        needs_ground=needs_ground,
        needs_date=needs_date,
    )
    if form.is_valid():
        done = 0
        for customer in customers:
            try:
                run(customer, user_of(request), form.cleaned_data)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                modeladmin.message_user(request, f"{customer.name}: {text}", messages.ERROR)
        if done:
            modeladmin.message_user(
                request,
                _("%(title)s: done for %(count)d customer(s).") % {"title": title, "count": done},
                messages.SUCCESS,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.opts,
        "customers": customers,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/contracts/lifecycle_measure.html", context)


def _holds(request: HttpRequest, measure: Measure) -> bool:
    return bool(request.user.has_perm(measure))


class _LifecycleActions:
    """The provider's measures of Art. 12 as admin actions with a ground and a note, each
    listed only for staff entitled to take it."""

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return _holds(request, Measure.SUSPEND)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return _holds(request, Measure.REVOKE)

    def has_cancel_for_provider_permission(self, request: HttpRequest) -> bool:
        return _holds(request, Measure.CANCEL_FOR_PROVIDER)

    @admin.action(description=gettext_lazy("Suspend (Art. 12(1))…"), permissions=["suspend"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse | None:
        return _measure(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="suspend",
            title=_("Suspend"),
            needs_ground=True,
            run=lambda c, actor, data: standing.customer_suspend(
                customer=c, actor=actor, ground=data["ground"], note=data["note"], request=request
            ),
        )

    @admin.action(description=gettext_lazy("Lift the suspension…"), permissions=["suspend"])
    def unsuspend(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse | None:
        return _measure(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="unsuspend",
            title=_("Lift the suspension"),
            run=lambda c, actor, data: standing.customer_unsuspend(
                customer=c, actor=actor, note=data["note"], request=request
            ),
        )

    @admin.action(
        description=gettext_lazy("Revoke the registration (Art. 12(1))…"),
        permissions=["revoke"],
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse | None:
        return _measure(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="revoke",
            title=_("Revoke the registration"),
            needs_ground=True,
            run=lambda c, actor, data: standing.customer_revoke(
                customer=c, actor=actor, ground=data["ground"], note=data["note"], request=request
            ),
        )

    @admin.action(
        description=gettext_lazy("Give notice of cancellation for the provider…"),
        permissions=["cancel_for_provider"],
    )
    def cancel_for_provider(
        self, request: HttpRequest, queryset: QuerySet[Customer]
    ) -> HttpResponse | None:
        return _measure(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="cancel_for_provider",
            title=_("Give notice of cancellation (Art. 12(3))"),
            needs_date=True,
            run=lambda c, actor, data: cancellations.cancellation_give(
                customer=c,
                actor=actor,
                effective_at=data.get("effective_at"),
                note=data["note"],
                request=request,
            ),
        )

    @admin.action(
        description=gettext_lazy("Withdraw the provider's notice of cancellation…"),
        permissions=["cancel_for_provider"],
    )
    def withdraw_provider_cancellation(
        self, request: HttpRequest, queryset: QuerySet[Customer]
    ) -> HttpResponse | None:
        return _measure(
            self,  # type: ignore[arg-type]
            request,
            queryset,
            action="withdraw_provider_cancellation",
            title=_("Withdraw the notice of cancellation (Art. 12(3))"),
            run=lambda c, actor, data: _withdraw_current(c, actor, data["note"], request),
        )


def _withdraw_current(customer: Customer, actor: User, note: str, request: HttpRequest) -> object:
    """Art. 12(3): the provider withdraws the notice it gave, before it takes effect (the
    service refuses the customer's own notice: only the side that gave it may)."""
    current = cancellations.cancellation_current(customer=customer)
    if current is None:
        raise ValidationError(_("There is no notice of cancellation to withdraw."))
    return cancellations.cancellation_withdraw(
        cancellation=current, actor=actor, note=note, request=request
    )


class SuspensionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Suspension
    fk_name = "customer"
    extra = 0
    fields = (
        "ground",
        "note",
        "started_at",
        "started_by",
        "balance_due",
        "lifted_at",
        "lifted_by",
    )
    readonly_fields = fields


class CancellationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Cancellation
    extra = 0
    fields = ("side", "state", "given_at", "effective_at", "withdrawn_at", "applied_at")
    readonly_fields = fields


@admin.register(CustomerStanding)
class CustomerStandingAdmin(_LifecycleActions, StaffMayViewMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "corporate_number",
        "status",
        "status_changed_at",
        "cancellation_effective_at",
        "last_activity_at",
    )
    list_filter = ("status",)
    search_fields = ("name", "name_kana", "corporate_number")
    readonly_fields = list_display
    fields = list_display
    inlines = (SuspensionInline, CancellationInline)
    actions = (
        "suspend",
        "unsuspend",
        "revoke",
        "cancel_for_provider",
        "withdraw_provider_cancellation",
    )


@admin.register(RevocationQueueEntry)
class RevocationQueueAdmin(_LifecycleActions, StaffMayViewMixin, admin.ModelAdmin):
    """Art. 12(1)(5): customers contacted for inactivity who neither answered nor used the
    service within INACTIVITY_REPLY_DAYS. Staff decide; revoking here asks for the ground."""

    list_display = (
        "name",
        "last_activity_at",
        "inactivity_contacted_at",
        "inactivity_escalated_at",
    )
    search_fields = ("name", "corporate_number")
    fields = list_display
    readonly_fields = list_display
    actions = ("suspend", "revoke")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queue = inactivity.revocation_queue()
        return RevocationQueueEntry.objects.filter(pk__in=queue.values("pk"))


@admin.register(Revocation)
class RevocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "ground", "revoked_at", "revoked_by", "balance_due")
    list_select_related = ("customer", "revoked_by")
    search_fields = ("customer__name", "customer__corporate_number")


class ReturnItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReturnItem
    extra = 0
    fields = ("kind", "action", "what", "unit_ref", "done_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("description"))
    def what(self, item: ReturnItem) -> str:
        return str(item)  # the software and manuals translated (they are stored in English)


@admin.register(ReturnChecklist)
class ReturnChecklistAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Art. 12(5): each unit is done when its return is recorded on its rental; the software
    and manuals when staff record them with this action. Done, the checklist closes."""

    list_display = ("customer", "reason", "opened_at", "closed_at")
    list_filter = ("reason",)
    list_select_related = ("customer",)
    search_fields = ("customer__name",)
    inlines = (ReturnItemInline,)
    actions = ("materials_done",)

    materials_done = note_action(
        returns.return_checklist_materials_done,
        "checklist",
        description=gettext_lazy("Record the software and manuals as returned or destroyed…"),
        title=gettext_lazy("Software and manuals returned or destroyed (Art. 12(5))"),
        permissions=["record_returns"],
    )

    def has_record_returns_permission(self, request: HttpRequest) -> bool:
        return _holds(request, Measure.RECORD_RETURNS)


class InterruptionForm(forms.ModelForm):
    class Meta:
        model = ServiceInterruption
        fields = (
            "title",
            "scope",
            "category",
            "customers",
            "reason",
            "starts_at",
            "ends_at",
            "emergency",
            "description",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The model's constraints, in words a staff member can act on (the constraint's
        # own message names only its database name).
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The interruption must end after it starts."))
        if data.get("scope") == ServiceInterruption.Scope.CATEGORY and not data.get("category"):
            self.add_error("category", _("Choose the product category affected."))
        if data.get("starts_at") and data.get("scope") and data.get("reason"):
            try:
                service_events.interruption_validate(
                    scope=data["scope"],
                    reason=data["reason"],
                    starts_at=data["starts_at"],
                    emergency=bool(data.get("emergency")),
                    customers=list(data.get("customers") or []),
                    category=data.get("category") or "",
                )
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):
                    raise forms.ValidationError(exc.messages) from exc
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(ServiceInterruption)
class ServiceInterruptionAdmin(admin.ModelAdmin):
    """Art. 8(1): adding an interruption schedules it through the service, which notifies
    the affected customers (now if planned, as it starts if an emergency)."""

    form = InterruptionForm
    formfield_overrides = CALENDAR_DATETIMES
    list_display = ("title", "scope", "reason", "starts_at", "ends_at", "emergency", "notified_at")
    list_filter = ("scope", "reason", "emergency")
    filter_horizontal = ("customers",)
    date_hierarchy = "starts_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding one is scheduling it (Art. 8(1)): the measure's permission, not "add".
        return _holds(request, Measure.SCHEDULE_INTERRUPTION)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ServiceInterruption, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        created = service_events.interruption_schedule(
            actor=user_of(request),
            scope=data["scope"],
            category=data.get("category") or "",
            customers=list(data.get("customers") or []),
            reason=data["reason"],
            title=data["title"],
            description=data.get("description") or "",
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            emergency=bool(data.get("emergency")),
            request=request,
        )
        obj.pk = created.pk
        obj.created_by = created.created_by
        obj.created_at = created.created_at
        obj.notified_at = created.notified_at
        # Say who was told: named customers whose registration ended, or a category nobody
        # rents, reach nobody, which the plain "added" message did not say.
        if created.notified_at is None:
            self.message_user(
                request,
                _("The affected customers are notified when the interruption starts."),
                messages.INFO,
            )
            return
        count = service_events.interruption_affected_customers(created).count()
        if count:
            self.message_user(
                request,
                _("%(count)d customer(s) notified (Art. 8(1)).") % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("No customer using the service is affected: nobody was notified."),
                messages.WARNING,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service stored the named customers already.
        return None


class ServiceEndForm(forms.ModelForm):
    # Saving notifies every affected customer at once and nothing withdraws an announced
    # end (Art. 8(2)): staff confirm it on the form rather than with a bare "save".
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm: every affected customer is notified as soon as this is saved, and an "
            "announced end of the service cannot be withdrawn (Art. 8(2))."
        ),
        required=True,
    )

    class Meta:
        model = ServiceEnd
        fields = ("title", "scope", "category", "effective_at", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope, category = data.get("scope"), data.get("category")
        if scope == ServiceEnd.Scope.CATEGORY and not category:
            self.add_error("category", _("Choose the product line that ends."))
        elif scope == ServiceEnd.Scope.ALL and category:
            self.add_error(
                "category", _("Leave the product line empty when the whole service ends.")
            )
        if data.get("effective_at"):
            try:
                service_events.service_end_validate(effective_at=data["effective_at"])
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return data


@admin.register(ServiceEnd)
class ServiceEndAdmin(admin.ModelAdmin):
    """Art. 8(2): adding a service end announces it through the service (30 days' notice at
    least; every affected customer is told once)."""

    form = ServiceEndForm
    formfield_overrides = CALENDAR_DATETIMES
    list_display = ("title", "scope", "category", "announced_at", "effective_at", "state")
    list_filter = ("scope", "state")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ("title", "scope", "category", "effective_at", "note")
        # The confirmation belongs to the announcement; a recorded end is only viewed.
        return (*fields, "confirm") if obj is None else fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding one is announcing it (Art. 8(2)): the measure's permission, not "add".
        return _holds(request, Measure.ANNOUNCE_SERVICE_END)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ServiceEnd, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = service_events.service_end_announce(
            actor=user_of(request),
            scope=data["scope"],
            category=data.get("category") or "",
            title=data["title"],
            note=data.get("note") or "",
            effective_at=data["effective_at"],
            request=request,
        )
        obj.pk = created.pk
