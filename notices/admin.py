"""Staff ledger of notices (Art. 16): what was sent, to whom, on which clause, when; retry
of failed deliveries; CSV export of a customer's notice history (evidence in a dispute)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.current import user_of
from accounts.models import Customer
from ctsportal.spreadsheets import SafeWriter

from . import selectors, services
from .models import Notice

CSV_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "clause",
    "period",
    "subject_type",
    "subject_id",
    "language",
    "recipients",
    "mail_subject",
    "state",
    "attempts",
    "sent_at",
    "last_error",
    "content_sha256",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(notices: QuerySet[Notice]) -> Any:
    writer = SafeWriter(_Echo())
    # A BOM so that Excel, which Japanese offices open CSV files with, reads UTF-8.
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for notice in notices.select_related("subject_type").iterator(chunk_size=500):
        yield writer.writerow(
            [
                notice.pk,
                timezone.localtime(notice.created_at).isoformat(),
                notice.kind,
                notice.clause,
                notice.period,
                notice.subject_type.model if notice.subject_type else "",
                notice.subject_id,
                notice.language,
                " ".join(notice.recipients),
                notice.mail_subject,
                notice.state,
                notice.attempts,
                timezone.localtime(notice.sent_at).isoformat() if notice.sent_at else "",
                notice.last_error,
                notice.content_sha256,
            ]
        )


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only ledger: a notice is evidence and is never edited. Staff may only retry a
    failed delivery (through the service) and export."""

    list_display = [
        "created_at",
        "customer",
        "kind",
        "mail_subject",
        "clause",
        "state",
        "attempts",
        "sent_at",
    ]
    list_filter = (
        "state",
        "kind",
        ("customer", admin.RelatedOnlyFieldListFilter),
        "created_at",
        "language",
    )
    list_select_related = ["customer"]
    search_fields = ["mail_subject", "customer__name", "dedupe_key", "period", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry_failed", "export_csv"]
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "kind",
                    "clause",
                    "subject_type",
                    "subject_id",
                    "period",
                    "dedupe_key",
                    "created_by",
                    "created_at",
                )
            },
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "state",
                    "recipients",
                    "attempts",
                    "last_error",
                    "queued_at",
                    "claimed_at",
                    "next_attempt_at",
                    "sent_at",
                )
            },
        ),
        (
            _("As sent"),
            {
                "fields": (
                    "language",
                    "mail_subject",
                    "text_as_sent",
                    "html_as_sent",
                    "content_sha256",
                    "digest_check",
                    "history_csv",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Notice | None = None) -> list[str]:
        return [str(f) for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False

    @admin.display(description=_("text body"))
    def text_as_sent(self, obj: Notice) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.body_text)

    @admin.display(description=_("HTML body"))
    def html_as_sent(self, obj: Notice) -> str:
        # Shown in a sandboxed frame: the stored HTML is displayed, never run in the admin.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width: 100%; min-height: 24rem; '
            'border: 1px solid #ccc"></iframe>',
            obj.body_html,
        )

    @admin.display(description=_("content unchanged since creation"), boolean=True)
    def digest_check(self, obj: Notice) -> bool:
        return obj.content_matches_digest()

    @admin.display(description=_("customer's notice history"))
    def history_csv(self, obj: Notice) -> str:
        if obj.customer_id is None:
            return "-"
        url = reverse("admin:notices_notice_customer_csv", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, _("Download CSV"))

    @admin.action(
        description=_("Retry delivery of the selected failed notices"), permissions=["change"]
    )
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        retried = sum(
            services.notice_retry(notice=notice, actor=user_of(request), request=request)
            for notice in queryset.filter(state=Notice.State.FAILED)
        )
        skipped = queryset.count() - retried
        if retried:
            # Nothing retried is no success: only the warning below is shown then.
            self.message_user(
                request,
                ngettext(
                    "%(count)d notice queued for delivery again.",
                    "%(count)d notices queued for delivery again.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notice was not failed and was left alone.",
                    "%(count)d notices were not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Export the selected notices as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Notice]) -> HttpResponse:
        audit_record(
            action="notices.notice.exported",
            actor=user_of(request),
            clause=Clause.ART16,
            request=request,
            extra={"count": queryset.count()},
        )
        return self._csv_response(queryset.order_by("created_at", "id"), "notices.csv")

    def get_urls(self) -> list[Any]:
        return [
            path(
                "customer/<int:customer_id>/history.csv",
                self.admin_site.admin_view(self.customer_history_csv),
                name="notices_notice_customer_csv",
            ),
            *super().get_urls(),
        ]

    def customer_history_csv(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=customer_id)
        audit_record(
            action="notices.history.exported",
            actor=user_of(request),
            customer=customer,
            target=customer,
            clause=Clause.ART16,
            request=request,
        )
        notices = selectors.notice_history_for_export(customer=customer)
        return self._csv_response(notices, f"notices-customer-{customer.pk}.csv")

    def _csv_response(self, notices: QuerySet[Notice], filename: str) -> HttpResponse:
        response = StreamingHttpResponse(_csv_rows(notices), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response  # type: ignore[return-value]
