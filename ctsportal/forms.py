"""Form conventions shared by the apps: a service's refusal shown on the form that sent it
(the twin of ctsportal.api.service_error for the pages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when it names one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        form.add_error(None, exc)
