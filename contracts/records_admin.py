"""Staff screens of records: video data records (fed by staff, moderated under Art. 7(2),
10(5)), the disclosure log (Art. 10(3), staff only), transfers (Art. 17) and personal data
erasures (Art. 11). Every change goes through a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

from .common_admin import CALENDAR_DATETIMES
from .models import (
    ContractTransfer,
    PersonalDataErasure,
    VideoDisclosure,
    VideoModeration,
    VideoRecord,
)
from .records_forms import ModerationForm, TransferApproveForm, TransferRefuseForm
from .services import disclosures, moderation
from .services import records as record_services
from .services import transfers as transfer_services


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User) and user.is_staff
    return user


def _form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[Any, dict[str, Any]], object],
    explanation: str = "",
) -> HttpResponse | None:
    """An admin action that asks for a form first, then calls ``apply`` (a service) on each
    selected object and reports what it did."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        done = 0
        for obj in queryset:
            try:
                apply(obj, form.cleaned_data)
                done += 1
            except ValidationError as exc:
                modeladmin.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR)
        if done:
            modeladmin.message_user(
                request, _("%(count)d done.") % {"count": done}, messages.SUCCESS
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "objects": list(queryset),
        "form": form,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/contracts/records_action.html", context)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VideoModerationInline(_ReadOnlyInline):
    model = VideoModeration
    fields = ("created_at", "action", "prohibited_item", "note", "actor")
    readonly_fields = fields


class VideoRecordForm(forms.ModelForm):
    class Meta:
        model = VideoRecord
        fields = (
            "rental",
            "unit",
            "period_start",
            "period_end",
            "storage",
            "size_bytes",
            "external_ref",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end <= start:
            # Said in words here; the model's constraint would only name itself.
            self.add_error("period_end", _("The recording must end after it starts."))
        return data


@admin.register(VideoRecord)
class VideoRecordAdmin(admin.ModelAdmin):
    """Art. 10: what the service holds; staff add records and moderate them (Art. 10(5))."""

    form = VideoRecordForm
    formfield_overrides = CALENDAR_DATETIMES
    list_display = (
        "id",
        "customer",
        "rental",
        "unit",
        "storage",
        "period_start",
        "period_end",
        "size_bytes",
        "state",
        "source",
    )
    list_filter = ("state", "storage", "source")
    list_select_related = ("customer", "rental__product", "unit__product")
    search_fields = ("customer__name", "external_ref", "unit__serial", "rental__site_name")
    raw_id_fields = ("rental", "unit")
    date_hierarchy = "period_start"
    inlines = (VideoModerationInline,)
    actions = ("hide_selected", "delete_selected_records")

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # A new record has no moderation yet.
        return self.inlines if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records are added, then only moderated (through the actions).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: VideoRecord, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = record_services.video_record_create(
            data=record_services.VideoRecordData(
                rental=data["rental"],
                unit=data.get("unit"),
                period_start=data["period_start"],
                period_end=data["period_end"],
                storage=data["storage"],
                size_bytes=data["size_bytes"],
                external_ref=data.get("external_ref", ""),
            ),
            actor=_staff(request),
            request=request,
        )
        obj.pk = created.pk
        obj.customer_id = created.customer_id
        obj._state.adding = False

    def _moderate(
        self, request: HttpRequest, queryset: QuerySet[VideoRecord], action: str, title: str
    ) -> HttpResponse | None:
        return _form_action(
            self,
            request,
            queryset,
            form_class=ModerationForm,
            title=title,
            explanation=_(
                "No prior notice to the customer is needed (Art. 7(2), 10(5)); the customer's "
                "deletion log shows the action and the item cited."
            ),
            apply=lambda record, data: moderation.video_record_moderate(
                record=record,
                action=action,
                prohibited_item=data["prohibited_item"],
                note=data["note"],
                actor=_staff(request),
                request=request,
            ),
        )

    @admin.action(
        description=gettext_lazy("Hide (Art. 10(5)) citing an Art. 7(1) item"),
        permissions=["change"],
    )
    def hide_selected(
        self, request: HttpRequest, queryset: QuerySet[VideoRecord]
    ) -> HttpResponse | None:
        return self._moderate(request, queryset, VideoModeration.Action.HIDE, _("Hide records"))

    @admin.action(
        description=gettext_lazy("Delete (Art. 7(2), 10(5)) citing an Art. 7(1) item"),
        permissions=["change"],
    )
    def delete_selected_records(
        self, request: HttpRequest, queryset: QuerySet[VideoRecord]
    ) -> HttpResponse | None:
        return self._moderate(request, queryset, VideoModeration.Action.DELETE, _("Delete records"))


class VideoDisclosureForm(forms.ModelForm):
    class Meta:
        model = VideoDisclosure
        fields = (
            "customer",
            "records",
            "ground",
            "recipient",
            "what",
            "disclosed_at",
            "note",
            "notification",
            "withhold_reason",
        )
        help_texts = {
            "notification": gettext_lazy(
                "Ground (4) may forbid telling the customer: choose explicitly."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        withheld = data.get("notification") == VideoDisclosure.Notification.WITHHOLD
        if withheld and not (data.get("withhold_reason") or "").strip():
            # Said in words here; the model's constraint would only name itself.
            self.add_error("withhold_reason", _("Give the reason for not telling the customer."))
        return data


@admin.register(VideoDisclosure)
class VideoDisclosureAdmin(admin.ModelAdmin):
    """Art. 10(3): every disclosure without consent. Staff only, never shown to customers."""

    form = VideoDisclosureForm
    formfield_overrides = CALENDAR_DATETIMES
    list_display = (
        "disclosed_at",
        "customer",
        "ground",
        "recipient",
        "notification",
        "recorded_by",
    )
    list_filter = ("ground", "notification")
    list_select_related = ("customer", "recorded_by")
    search_fields = ("customer__name", "recipient", "what")
    raw_id_fields = ("records",)
    radio_fields = {"notification": admin.VERTICAL, "ground": admin.VERTICAL}
    date_hierarchy = "disclosed_at"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: VideoDisclosure, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        created = disclosures.video_disclosure_record(
            customer=data["customer"],
            records=data.get("records") or [],
            data=disclosures.DisclosureData(
                ground=int(data["ground"]),
                recipient=data["recipient"],
                what=data["what"],
                disclosed_at=data["disclosed_at"],
                notification=data["notification"],
                withhold_reason=data.get("withhold_reason", ""),
                note=data.get("note", ""),
            ),
            actor=_staff(request),
            request=request,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service set the records; nothing else to save.
        return None


@admin.register(ContractTransfer)
class ContractTransferAdmin(admin.ModelAdmin):
    """Art. 17: transfer requests, approved with the written consent or refused."""

    list_display = (
        "requested_at",
        "customer",
        "successor_name",
        "successor_corporate_number",
        "state",
        "successor",
        "decided_at",
    )
    list_filter = ("state",)
    list_select_related = ("customer", "successor")
    search_fields = ("customer__name", "successor_name", "successor_corporate_number")
    actions = ("approve_selected", "refuse_selected")
    readonly_fields = [f.name for f in ContractTransfer._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=gettext_lazy("Approve with written consent and transfer"),
        permissions=["change"],
    )
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[ContractTransfer]
    ) -> HttpResponse | None:
        return _form_action(
            self,
            request,
            queryset,
            form_class=TransferApproveForm,
            title=_("Approve transfers (Art. 17)"),
            explanation=_(
                "The contract, rentals, units, charges, payments and video data records move "
                "to the registered customer with the successor's corporate number, in one "
                "step; both companies are notified."
            ),
            apply=lambda transfer, data: transfer_services.transfer_approve(
                transfer=transfer,
                actor=_staff(request),
                consent_reference=data["consent_reference"],
                consent_date=data["consent_date"],
                request=request,
            ),
        )

    @admin.action(description=gettext_lazy("Refuse"), permissions=["change"])
    def refuse_selected(
        self, request: HttpRequest, queryset: QuerySet[ContractTransfer]
    ) -> HttpResponse | None:
        return _form_action(
            self,
            request,
            queryset,
            form_class=TransferRefuseForm,
            title=_("Refuse transfers"),
            apply=lambda transfer, data: transfer_services.transfer_refuse(
                transfer=transfer,
                actor=_staff(request),
                reason=data["refusal_reason"],
                request=request,
            ),
        )


@admin.register(PersonalDataErasure)
class PersonalDataErasureAdmin(admin.ModelAdmin):
    """Art. 11: the record of each removal of personal data by the retention job."""

    list_display = ("erased_at", "customer", "ended_at", "retention_days", "actor_label")
    list_select_related = ("customer",)
    search_fields = ("customer__name",)
    readonly_fields = [f.name for f in PersonalDataErasure._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
