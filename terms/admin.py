"""Staff screens of the terms app. Versions are imported with `manage.py import_terms`, never
typed in; a published version and its text are read-only (Art. 15: what customers accepted
does not change), and acceptances are evidence, so they are read-only too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Acceptance, Annex, AnnexEntry, Article, TermsDocument, TermsVersion
from .services import terms_version_publish


@admin.register(TermsDocument)
class TermsDocumentAdmin(admin.ModelAdmin):
    list_display = ("slug", "title_ja", "title_en", "requires_acceptance", "precedence")
    list_editable = ("requires_acceptance",)
    search_fields = ("slug", "title_ja", "title_en")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The slug is part of every public link and clause reference.
        return ("slug",) if obj is not None else ()


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ("number", "title", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ("document", "label", "effective", "enacted", "published", "published_at")
    list_filter = ("document", "published")
    list_select_related = ("document",)
    search_fields = ("label", "title", "sha256")
    inlines = [ArticleInline]
    actions = ["publish"]
    # Text comes from the importer only; staff may still edit a draft's dates and summary.
    text_fields = ("document", "label", "title", "preamble", "normalized_text", "sha256")
    state_fields = ("published", "published_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.published:
            return [f.name for f in self.model._meta.fields]
        return self.text_fields + self.state_fields

    @admin.action(description=_("Publish (notifies every active customer, Art. 15)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[TermsVersion]) -> None:
        published = 0
        for version in queryset.select_related("document"):
            already = version.published
            terms_version_publish(version=version, actor=request.user, request=request)  # type: ignore[arg-type]
            published += not already
        self.message_user(
            request,
            ngettext(
                "%(count)d version published; customers were notified once per version.",
                "%(count)d versions published; customers were notified once per version.",
                published,
            )
            % {"count": published},
            messages.SUCCESS,
        )


class AnnexEntryInline(admin.TabularInline):
    model = AnnexEntry
    fields = ("number", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Annex)
class AnnexAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "as_of")
    list_select_related = ("version__document",)
    readonly_fields = ("version", "title", "intro", "as_of")
    inlines = [AnnexEntryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Acceptance)
class AcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "customer", "version", "accepted_at", "method", "ip_address")
    list_filter = ("method", "version__document", "version")
    list_select_related = ("user", "customer", "version__document")
    search_fields = ("user__email", "customer__name", "sha256", "ip_address")
    date_hierarchy = "accepted_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
