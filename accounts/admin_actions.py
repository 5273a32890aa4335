"""The admin's "action with a note": staff pick rows, write why on an intermediate page, and
a service applies the change to each row (so staff writes are audited like any other).

    class IncidentAdmin(admin.ModelAdmin):
        actions = ["acknowledge"]
        acknowledge = note_action(
            incident_acknowledge, "incident",
            description=_("Acknowledge (with a note)"), title=_("Acknowledge incidents"),
        )

The service is called as ``service(<target>=row, actor=staff, note=note, request=request)``."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .clauses import Clause
from .current import user_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class NotesForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


def action_with_note(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: str,
    apply: Callable[[Any, str], None],
) -> TemplateResponse | None:
    """Asks for a note on an intermediate page, then applies the service to each row and
    reports what happened; rows the service refuses are reported, not skipped silently."""
    if "apply" in request.POST:
        form = NotesForm(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data["note"])
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{obj}: {' '.join(exc.messages)}", messages.WARNING
                    )
                else:
                    done += 1
            modeladmin.message_user(
                request, _("%(count)d updated.") % {"count": done}, messages.SUCCESS
            )
            return None
    else:
        form = NotesForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": queryset,
        "form": form,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/accounts/action_with_note.html", context)


def note_action(
    service: Callable[..., Any],
    target: str,
    *,
    description: StrOrPromise,
    title: StrOrPromise,
    permissions: Sequence[str] | None = None,
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet[Any]], TemplateResponse | None]:
    """An admin action that asks for a note, then calls ``service`` for each selected row;
    ``permissions`` as ``admin.action`` takes them (each a ``has_<name>_permission`` method
    of the admin) offer it only to staff who hold them: by default the model's change
    permission, as the action changes what it is run on (staff who may only view do not)."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
    ) -> TemplateResponse | None:
        return action_with_note(
            modeladmin,
            request,
            queryset,
            title=str(title),
            apply=lambda obj, note: service(
                **{target: obj}, actor=request.user, note=note, request=request
            ),
        )

    return admin.action(description=description, permissions=permissions or ("change",))(action)


def _jsonable(value: Any) -> Any:
    """A form value as the audit keeps it, the same whether it comes from the form's initial
    data (a related object's id, a time in UTC) or its cleaned data (the object, Japan time):
    a related object by its id, a time in Japan time."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else str(value)
    if isinstance(value, list | tuple | set | QuerySet):
        return sorted(str(_jsonable(item)) for item in value)
    return str(value)


class AuditedSaveMixin:
    """A staff screen whose rows staff add, edit or delete directly (the catalogue and its
    prices, the units, the terms documents and drafts): every save and delete writes an audit
    entry like a service's, naming the fields changed with their old and new values. Django's
    own admin log is not the audit log staff and auditors read."""

    audit_clause: Clause | None = None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        changes = {
            name: [
                _jsonable(form.initial.get(name)) if change else None,
                _jsonable(form.cleaned_data.get(name)),
            ]
            for name in form.changed_data
        }
        if change and not changes:
            return
        audit_record(
            action=f"{obj._meta.app_label}.{obj._meta.model_name}."
            + ("updated" if change else "created"),
            actor=user_of(request),
            target=obj,
            clause=self.audit_clause,
            request=request,
            extra={"changes": changes, "via": "admin"},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # Django's bulk delete is not atomic: the audit and the deletion go together.
        with transaction.atomic():
            for obj in queryset:
                self._audit_deleted(request, obj)
            super().delete_queryset(request, queryset)  # type: ignore[misc]

    def _audit_deleted(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            action=f"{obj._meta.app_label}.{obj._meta.model_name}.deleted",
            actor=user_of(request),
            target=obj,
            clause=self.audit_clause,
            request=request,
            extra={"via": "admin"},
        )
