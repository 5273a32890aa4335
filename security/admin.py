from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import action_with_note
from accounts.models import Incident

from .services import credentials


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Art. 6(3): reports of stolen credentials, worked open → acknowledged → resolved."""

    list_display = [
        "id",
        "created_at",
        "customer",
        "user",
        "channel",
        "scope",
        "reports",
        "state",
        "acknowledged_at",
        "resolved_at",
    ]
    list_filter = ["state", "channel", "scope", ("customer", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["customer", "user"]
    search_fields = ["user__email", "customer__name", "notes"]
    date_hierarchy = "created_at"
    actions = ["acknowledge", "resolve"]
    readonly_fields = [
        "customer",
        "user",
        "reported_by",
        "channel",
        "scope",
        "state",
        "reports",
        "created_at",
        "last_reported_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "notes",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Acknowledge (with a note)"))
    def acknowledge(
        self, request: HttpRequest, queryset: QuerySet[Incident]
    ) -> TemplateResponse | None:
        return action_with_note(
            self,
            request,
            queryset,
            title=str(_("Acknowledge incidents")),
            apply=lambda obj, note: credentials.incident_acknowledge(
                incident=obj,
                actor=request.user,  # type: ignore[arg-type]
                note=note,
                request=request,
            ),
        )

    @admin.action(description=_("Resolve (with a note)"))
    def resolve(
        self, request: HttpRequest, queryset: QuerySet[Incident]
    ) -> TemplateResponse | None:
        return action_with_note(
            self,
            request,
            queryset,
            title=str(_("Resolve incidents")),
            apply=lambda obj, note: credentials.incident_resolve(
                incident=obj,
                actor=request.user,  # type: ignore[arg-type]
                note=note,
                request=request,
            ),
        )
