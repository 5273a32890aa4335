from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import note_action
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

    acknowledge = note_action(
        credentials.incident_acknowledge,
        "incident",
        description=_("Acknowledge (with a note)"),
        title=_("Acknowledge incidents"),
    )
    resolve = note_action(
        credentials.incident_resolve,
        "incident",
        description=_("Resolve (with a note)"),
        title=_("Resolve incidents"),
    )
