"""Staff screens of the terms app. Versions are imported with `manage.py import_terms`, never
typed in; a published version and its text are read-only (Art. 15: what customers accepted
does not change), and acceptances are evidence, so they are read-only too."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import AuditedSaveMixin
from accounts.clauses import Clause
from accounts.current import user_of

from .diff import versions_diff
from .forms import TermsImportConfirmForm, TermsUploadForm
from .models import Acceptance, Annex, AnnexEntry, Article, TermsDocument, TermsVersion
from .parsing import TermsParseError
from .services import (
    TermsImportError,
    TermsPublishError,
    TermsStructureError,
    terms_import,
    terms_import_preview,
    terms_version_publish,
)
from .text import text_lines


@admin.register(TermsDocument)
class TermsDocumentAdmin(AuditedSaveMixin, admin.ModelAdmin):
    audit_clause = Clause.ART15
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
class TermsVersionAdmin(AuditedSaveMixin, admin.ModelAdmin):
    audit_clause = Clause.ART15
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

    @admin.action(
        description=_("Publish (notifies every active customer, Art. 15)"), permissions=["change"]
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[TermsVersion]) -> None:
        published = 0
        for version in queryset.select_related("document"):
            already = version.published
            try:
                terms_version_publish(version=version, actor=user_of(request), request=request)
            except TermsPublishError as exc:
                self.message_user(request, f"{version}: {exc}", messages.ERROR)
                continue
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

    # --- upload, preview with the structural diff, publish (Art. 15) ---------------------------

    def get_urls(self) -> list[URLPattern]:
        import_view = self.admin_site.admin_view(self.import_view)
        return [
            path("import/", import_view, name="terms_termsversion_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_import": self._can_import(request)}
        return super().changelist_view(request, extra_context)

    def _can_import(self, request: HttpRequest) -> bool:
        return request.user.has_perm("terms.change_termsversion")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a text, see what it would store and how its structure differs from the
        version in force, then import it (and publish it) through the same service as the
        command; nothing is written before the last step."""
        if not self._can_import(request):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import a terms version"),
        }
        if request.method == "POST" and "_import" in request.POST:
            confirm = TermsImportConfirmForm(request.POST)
            if confirm.is_valid():
                response = self._import(request, confirm)
                if response is not None:
                    return response
                return self._preview(request, context, confirm.cleaned_data, confirm)
            messages.error(request, gettext("The form was incomplete; please upload again."))
        upload = TermsUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and upload.is_valid():
            data = dict(upload.cleaned_data)
            data["text"] = upload.cleaned_data["file"].read()
            return self._preview(request, context, data, None)
        context["upload_form"] = upload
        return TemplateResponse(request, "admin/terms/termsversion/import.html", context)

    def _preview(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        data: dict[str, Any],
        confirm: TermsImportConfirmForm | None,
    ) -> HttpResponse:
        raw: bytes = data["text"]
        document = data["document"]
        try:
            preview = terms_import_preview(document_slug=document.slug, raw=raw)
        except TermsParseError as exc:
            messages.error(request, f"{exc.message_ja} ({exc})")
            context["upload_form"] = TermsUploadForm(
                initial={k: v for k, v in data.items() if k not in ("file", "text")}
            )
            return TemplateResponse(request, "admin/terms/termsversion/import.html", context)
        if confirm is None:
            confirm = TermsImportConfirmForm(
                initial={
                    "document": document.pk,
                    "label": data["label"],
                    "effective": data["effective"],
                    "enacted": data.get("enacted"),
                    "change_summary": data.get("change_summary", ""),
                    "text": base64.b64encode(raw).decode("ascii"),
                    "sha256": preview.parsed.sha256,
                }
            )
        sections = []
        if preview.reference is not None:
            sections = versions_diff(
                old=text_lines(preview.reference.normalized_text), new=preview.parsed.lines
            )
        context.update(
            {
                "preview": preview,
                "parsed": preview.parsed,
                "data": data,
                "confirm_form": confirm,
                "sections": sections,
                "changed_sections": [s for s in sections if s.status != "unchanged"],
                "old": preview.reference,
                "new": {"label": data["label"]},
            }
        )
        return TemplateResponse(request, "admin/terms/termsversion/import_preview.html", context)

    def _import(self, request: HttpRequest, confirm: TermsImportConfirmForm) -> HttpResponse | None:
        data = confirm.cleaned_data
        try:
            result = terms_import(
                document_slug=data["document"].slug,
                label=data["label"],
                effective=data["effective"],
                enacted=data["enacted"],
                change_summary=data["change_summary"],
                raw=data["text"],
                publish=data["publish"],
                structural_change=data["structural_change"],
                urgent_reason=data["urgent_reason"],
                expected_sha256=data["sha256"],
                actor=user_of(request),
            )
        except TermsStructureError as exc:
            messages.error(
                request,
                gettext(
                    "Not imported: the structure differs from the version in force (%(count)d "
                    "differences). Confirm that they are deliberate, or correct the text."
                )
                % {"count": len(exc.changes)},
            )
            return None
        except (TermsImportError, TermsParseError) as exc:
            messages.error(request, gettext("Not imported: %(reason)s") % {"reason": exc})
            return None
        version = result.version
        if result.published_now:
            messages.success(
                request,
                gettext("%(version)s was imported and published; it binds from %(date)s.")
                % {"version": version, "date": version.effective.isoformat()},
            )
        else:
            messages.success(
                request, gettext("%(version)s was imported as a draft.") % {"version": version}
            )
        return HttpResponseRedirect(reverse("admin:terms_termsversion_change", args=[version.pk]))


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
