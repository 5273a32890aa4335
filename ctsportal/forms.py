"""Form conventions shared by the apps: a service's refusal shown on the form that sent it
(the twin of ctsportal.api.service_error for the pages)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy, gettext_noop

# Django appends the label suffix (":") unless a label ends with one of these marks, which
# its catalogs translate per language; its Japanese one lists only the ASCII marks, so a
# Japanese label ending a sentence read "…了承します（第10条第6項）。:". Marked here so that
# `make messages` keeps the Japanese marks in locale/ja; Django looks them up by these words.
LABEL_END_MARKS = gettext_noop(":?.!")


def add_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when it names one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        form.add_error(None, exc)


def _within_calendar(value: Any) -> None:
    """A time entered in Tokyo on the calendar's first or last day may not exist in UTC,
    where it is stored (0001-01-01 00:00 in Tokyo is in year 0 in UTC): refused on the form
    instead of an OverflowError when the model's constraints or the database convert it."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        try:
            value.astimezone(datetime.UTC)
        except OverflowError as exc:
            raise ValidationError(
                gettext_lazy("Date and time out of range."), code="overflow"
            ) from exc


class CalendarDateTimeField(forms.DateTimeField):
    """A date and time (Japan time) that exists in UTC too."""

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        _within_calendar(result)
        return result


class CalendarSplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date and time pair (Japan time), refused when outside the calendar in UTC
    (``contracts.common_admin.CALENDAR_DATETIMES``)."""

    def compress(self, data_list: Any) -> Any:
        result = super().compress(data_list)
        _within_calendar(result)
        return result
