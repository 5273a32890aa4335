from collections.abc import Callable
from typing import Any

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AuditEntry, Customer, Incident, Invitation, Membership, SharingFlag, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]


class AuditInline(admin.TabularInline):
    model = AuditEntry
    fk_name = "customer"
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "actor_label", "clause", "target_repr")
    readonly_fields = fields
    ordering = ["-created_at"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "corporate_number", "status", "last_activity_at", "created_at"]
    list_filter = ["status", "language"]
    search_fields = ["name", "name_kana", "corporate_number", "phone"]
    readonly_fields = ["status", "mfa_required", "last_activity_at", "created_at", "updated_at"]
    inlines = [MembershipInline, AuditInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "customer"]
    search_fields = ["user__email", "customer__name"]
    raw_id_fields = ["user", "customer"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is evidence and is never edited."""

    list_display = ["created_at", "action", "actor_label", "customer", "clause", "target_repr"]
    list_filter = ("action", "clause", ("customer", admin.RelatedOnlyFieldListFilter))
    list_select_related = ["customer", "actor"]
    search_fields = ["action", "actor_label", "target_repr", "customer__name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# Art. 6: staff sign in through allauth's login (so two-factor authentication is asked, and
# axes counts failures on staff accounts) instead of the admin's own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


class NotesForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


def _with_note(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: str,
    apply: Callable[[Any, str], None],
) -> TemplateResponse | None:
    """Asks for a note on an intermediate page, then applies the service to each row and
    reports what happened; rows the service refuses are reported, not skipped silently."""
    if "apply" in request.POST:
        form = NotesForm(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data["note"])
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{obj}: {' '.join(exc.messages)}", messages.WARNING
                    )
                else:
                    done += 1
            modeladmin.message_user(
                request, _("%(count)d updated.") % {"count": done}, messages.SUCCESS
            )
            return None
    else:
        form = NotesForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": queryset,
        "form": form,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/accounts/action_with_note.html", context)


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
        return _with_note(
            self,
            request,
            queryset,
            title=str(_("Acknowledge incidents")),
            apply=lambda obj, note: services.incident_acknowledge(
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
        return _with_note(
            self,
            request,
            queryset,
            title=str(_("Resolve incidents")),
            apply=lambda obj, note: services.incident_resolve(
                incident=obj,
                actor=request.user,  # type: ignore[arg-type]
                note=note,
                request=request,
            ),
        )


@admin.register(SharingFlag)
class SharingFlagAdmin(admin.ModelAdmin):
    """Art. 6(1): one login used from several networks at once. Evidence for staff; the flag
    itself restricts nobody."""

    list_display = ["created_at", "user", "customer", "network_count", "updated_at", "reviewed_at"]
    list_filter = [
        ("reviewed_at", admin.EmptyFieldListFilter),
        ("customer", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["user", "customer"]
    search_fields = ["user__email", "customer__name"]
    date_hierarchy = "created_at"
    actions = ["review"]
    readonly_fields = [
        "user",
        "customer",
        "created_at",
        "updated_at",
        "network_count",
        "evidence_table",
        "reviewed_at",
        "reviewed_by",
        "review_note",
    ]
    exclude = ["evidence"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("Evidence"))
    def evidence_table(self, obj: SharingFlag) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.get("seen_at"),
                    e.get("network"),
                    e.get("ip"),
                    e.get("source"),
                    e.get("user_agent"),
                )
                for e in obj.evidence
            ),
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("Time (UTC)"),
            _("Network"),
            _("IP address"),
            _("Source"),
            _("User agent"),
            rows,
        )

    @admin.action(description=_("Mark reviewed (with a note)"))
    def review(
        self, request: HttpRequest, queryset: QuerySet[SharingFlag]
    ) -> TemplateResponse | None:
        return _with_note(
            self,
            request,
            queryset,
            title=str(_("Review credential-sharing flags")),
            apply=lambda obj, note: services.sharing_flag_review(
                flag=obj,
                actor=request.user,  # type: ignore[arg-type]
                note=note,
                request=request,
            ),
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "customer",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = [
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["customer", "invited_by"]
    search_fields = ["email", "customer__name"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
