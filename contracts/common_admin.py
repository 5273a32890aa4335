"""What the contracts app's staff screens share."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

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
