"""What the contracts app's staff screens share."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ctsportal.forms import CalendarSplitDateTimeField

# ``formfield_overrides`` of a staff screen where dates and times are entered: a time outside
# the calendar once in UTC is a form error, not a 500 (the admin's widget is kept).
CALENDAR_DATETIMES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DateTimeField: {"form_class": CalendarSplitDateTimeField}
}


class ReadOnlyAdminMixin:
    """A screen of records that only services write: staff look, nobody adds, edits or
    deletes here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffMayViewMixin(ReadOnlyAdminMixin):
    """A read-only screen every active staff member may open, whatever their model
    permissions (the decisions on it are checked by their services)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


def terms_snapshot_display(snapshot: Any) -> SafeString | str:
    """The terms versions accepted, as stored on an application or a usage contract (a list
    of {document, label, sha256, accepted_at} with the time in UTC), one line each with the
    time in Japan time, as every other time on the staff screens (the raw JSON showed the
    UTC time, often the day before in Tokyo)."""
    if not isinstance(snapshot, list) or not snapshot:
        return "-"
    rows = []
    for item in snapshot:
        if not isinstance(item, dict):
            continue
        when = parse_datetime(str(item.get("accepted_at") or ""))
        shown = (
            date_format(timezone.localtime(when), "DATETIME_FORMAT")
            if when is not None and timezone.is_aware(when)
            else str(item.get("accepted_at") or "")
        )
        rows.append(
            (item.get("document", ""), item.get("label", ""), shown, item.get("sha256", ""))
        )
    return format_html_join("<br>", "{} {} — {} (SHA-256 {})", rows)
