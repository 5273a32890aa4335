"""Staff review of applications (Art. 4(2)–(3)). Every staff member may look; only reviewers
(the "reviewers" group, or superusers) may approve or refuse, and every decision goes through
``contracts.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.current import user_of

from .common_admin import StaffMayViewMixin, terms_snapshot_display
from .models import COMPANY_FIELDS, CONTACT_FIELDS, RegistrationApplication, UsageContract
from .registration_forms import RefusalForm
from .selectors.registration import application_checks, revoked_customer_matches, user_is_reviewer
from .services import registration_review


@admin.register(RegistrationApplication)
class RegistrationApplicationAdmin(StaffMayViewMixin, admin.ModelAdmin):
    change_form_template = "admin/contracts/registrationapplication/change_form.html"
    list_display = (
        "company_name",
        "corporate_number",
        "applicant",
        "state",
        "submitted_at",
        "decided_at",
        "decided_by",
    )
    list_filter = ("state", ("submitted_at", admin.DateFieldListFilter))
    search_fields = (
        "company_name",
        "company_name_kana",
        "corporate_number",
        "applicant__email",
        "contact_email",
    )
    list_select_related = ("applicant", "decided_by", "customer")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-created_at")
    actions = ("approve_selected", "refuse_selected")
    fieldsets = (
        (
            gettext_lazy("Application"),
            {
                "fields": (
                    "state",
                    "applicant",
                    "customer",
                    "submitted_at",
                    "decided_at",
                    "decided_by",
                )
            },
        ),
        (gettext_lazy("Company"), {"fields": COMPANY_FIELDS}),
        (gettext_lazy("Contacts"), {"fields": CONTACT_FIELDS}),
        (
            gettext_lazy("Evidence (Art. 4(1), 4(2)(4))"),
            {
                "fields": (
                    "terms_accepted_list",
                    "antisocial_declared_at",
                    "antisocial_declaration_version",
                    "antisocial_declaration_language",
                    "antisocial_declaration_text",
                    "antisocial_declaration_sha256",
                    "antisocial_declaration_ip",
                    "antisocial_declaration_user_agent",
                )
            },
        ),
        (
            gettext_lazy("Refusal (Art. 4(2))"),
            {
                "fields": (
                    "refusal_grounds",
                    "refusal_grounds_disclosed",
                    "refusal_message",
                    "refusal_note",
                )
            },
        ),
    )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return user_is_reviewer(user_of(request))

    @admin.display(description=gettext_lazy("terms versions accepted"))
    def terms_accepted_list(self, application: RegistrationApplication) -> str:
        return terms_snapshot_display(application.terms_accepted)

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(require_POST(self.approve_view)),
                name="{}_{}_approve".format(*info),
            ),
            path(
                "<int:pk>/refuse/",
                self.admin_site.admin_view(self.refuse_view),
                name="{}_{}_refuse".format(*info),
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
        application = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if application is not None:
            extra["checks"] = application_checks(application=application)
            extra["can_decide"] = (
                self.has_decide_permission(request)
                and application.state == RegistrationApplication.State.SUBMITTED
            )
        return super().change_view(request, object_id, form_url, extra)

    # --- decisions ---------------------------------------------------------------------------

    def _change_url(self, application: RegistrationApplication) -> str:
        return reverse("admin:contracts_registrationapplication_change", args=[application.pk])

    def _approve(self, request: HttpRequest, application: RegistrationApplication) -> bool:
        try:
            registration_review.application_approve(
                application=application,
                actor=user_of(request),
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"{application.company_name}: {text}", messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(company)s: approved; the usage contract is formed and the notice sent.")
            % {"company": application.company_name},
            messages.SUCCESS,
        )
        return True

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        application = get_object_or_404(RegistrationApplication, pk=pk)
        self._approve(request, application)
        return HttpResponseRedirect(self._change_url(application))

    def refuse_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        application = get_object_or_404(RegistrationApplication, pk=pk)
        return self._refusal_form(
            request, RegistrationApplication.objects.filter(pk=application.pk), single=True
        )

    @admin.action(
        description=gettext_lazy("Approve the selected applications (Art. 4(3))"),
        permissions=["decide"],
    )
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[RegistrationApplication]
    ) -> None:
        for application in queryset.order_by("pk"):
            # Art. 4(2)(3): a match with a revoked customer is the reviewer's call, made on
            # the application's own page where the match is shown, never in bulk.
            if revoked_customer_matches(application=application):
                self.message_user(
                    request,
                    _(
                        "%(company)s: not approved: it matches a revoked customer "
                        "(Art. 4(2)(3)). Review it on its own page."
                    )
                    % {"company": application.company_name},
                    messages.WARNING,
                )
                continue
            self._approve(request, application)

    @admin.action(
        description=gettext_lazy("Refuse the selected applications (Art. 4(2))…"),
        permissions=["decide"],
    )
    def refuse_selected(
        self, request: HttpRequest, queryset: QuerySet[RegistrationApplication]
    ) -> HttpResponse | None:
        return self._refusal_form(request, queryset, single=False)

    def _refusal_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[RegistrationApplication],
        *,
        single: bool,
    ) -> HttpResponse:
        """The intermediate page of a refusal: grounds of Art. 4(2) and a required note."""
        applications = list(queryset.select_related("applicant").order_by("pk"))
        form = RefusalForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            refused = 0
            for application in applications:
                try:
                    registration_review.application_refuse(
                        application=application,
                        actor=user_of(request),
                        grounds=form.cleaned_data["grounds"],
                        note=form.cleaned_data["note"],
                        message=form.cleaned_data["message"],
                        disclose_grounds=form.cleaned_data["disclose_grounds"],
                        request=request,
                    )
                    refused += 1
                except (ValidationError, PermissionDenied) as exc:
                    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    self.message_user(
                        request, f"{application.company_name}: {text}", messages.ERROR
                    )
            if refused:
                self.message_user(
                    request,
                    _("%(count)d application(s) refused; the applicants have been notified.")
                    % {"count": refused},
                    messages.SUCCESS,
                )
            if single and applications:
                return HttpResponseRedirect(self._change_url(applications[0]))
            return HttpResponseRedirect(
                reverse("admin:contracts_registrationapplication_changelist")
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuse applications"),
            "opts": self.opts,
            "applications": applications,
            "form": form,
            "single": single,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/contracts/registrationapplication/refuse.html", context
        )


@admin.register(UsageContract)
class UsageContractAdmin(StaffMayViewMixin, admin.ModelAdmin):
    list_display = ("customer", "formed_at", "approved_by", "application")
    list_select_related = ("customer", "approved_by", "application")
    search_fields = ("customer__name", "customer__corporate_number")
    date_hierarchy = "formed_at"
    readonly_fields = (
        "customer",
        "application",
        "formed_at",
        "approval_notice_id",
        "terms_versions_list",
        "approved_by",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("terms versions accepted"))
    def terms_versions_list(self, contract: UsageContract) -> str:
        return terms_snapshot_display(contract.terms_versions)
