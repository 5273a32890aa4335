from typing import Any

from allauth.account.decorators import secure_admin_login
from allauth.usersessions.admin import UserSessionAdmin as BaseUserSessionAdmin
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_actions import note_action
from .current import user_of
from .models import AuditEntry, Customer, Invitation, Membership, SharingFlag, User
from .services.customers import CUSTOMER_DETAIL_FIELDS
from .services.users import USER_FIELDS, USER_GROUP_FIELDS

READONLY_CUSTOMER_FIELDS = [
    "status",
    "status_changed_at",
    "cancellation_effective_at",
    "mfa_required",
    "last_activity_at",
    "created_at",
    "updated_at",
]


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

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Edits go through the audited service; creating a login is Django's own form."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        fields = (*USER_FIELDS, *USER_GROUP_FIELDS)
        services.user_update(
            user=obj,
            actor=user_of(request),
            changes={f: form.cleaned_data[f] for f in form.changed_data if f in fields},
            request=request,
        )


class MembershipInline(admin.TabularInline):
    """Read-only: who belongs to a company changes through invitations, removal and the
    ownership action of the memberships list, all audited."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # Each row names its membership (the change link) with the person's e-mail.
        return super().get_queryset(request).select_related("user", "customer")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
    # The status and its dates change only through the lifecycle services, the two-factor
    # rule only by the owner; staff correct the registration details (audited).
    fields = [*CUSTOMER_DETAIL_FIELDS, *READONLY_CUSTOMER_FIELDS]
    readonly_fields = READONLY_CUSTOMER_FIELDS
    inlines = [MembershipInline, AuditInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A customer is created by sign-up and the registration application (Art. 4(1)).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        services.customer_update(
            customer=obj,
            actor=user_of(request),
            changes={f: form.cleaned_data[f] for f in form.changed_data},
            request=request,
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "customer"]
    search_fields = ["user__email", "customer__name"]
    # The role changes only through the ownership transfer (the owner's, or this action).
    readonly_fields = ["user", "customer", "role", "created_at"]
    actions = ["make_owner"]
    make_owner = note_action(
        services.ownership_transfer_by_staff,
        "membership",
        description=_("Make the owner of the company (with a note)"),
        title=_("Hand over ownership"),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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

    review = note_action(
        services.sharing_flag_review,
        "flag",
        description=_("Mark reviewed (with a note)"),
        title=_("Review credential-sharing flags"),
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


# allauth's own screen of signed-in sessions searches ``user__username``, which this user
# model does not have: any search there was a 500. The same screen, searching by e-mail.
admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(BaseUserSessionAdmin):
    search_fields = ["user__email", "ip"]
