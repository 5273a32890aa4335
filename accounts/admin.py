from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_actions import action_with_note
from .models import AuditEntry, Customer, Invitation, Membership, SharingFlag, User


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
        return action_with_note(
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
