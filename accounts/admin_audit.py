"""Shared ModelAdmin mixins: one writes every admin add, change and delete to the staff audit
log, including the rows of its inlines (fees, components, staff memberships…); one answers 404
for an object the officer may not see."""

import json
from collections.abc import Iterable

from django.contrib import admin
from django.db.models import Manager, QuerySet
from django.http import Http404
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join

from . import services


def _plain(value):
    if isinstance(value, Manager):
        value = value.all()
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _form_changes(form) -> dict:
    """{"field": [old, new]} for each changed field of a bound, valid model form."""
    return {
        name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
        for name in form.changed_data
    }


# Labels of the coded values an app's audit entries record, by (object type, field): an upper
# app registers them from its `AppConfig.ready()` (dossiers: its statuses), so the log reads
# "Chờ tiếp nhận → Đã tiếp nhận" rather than the stored codes.
AUDIT_VALUE_LABELS: dict[tuple[str, str], dict[str, str]] = {}


def audit_values_register(object_type: str, fields: Iterable[str], choices) -> None:
    """Show the values of `fields` in `object_type`'s audit entries by their labels."""
    for name in fields:
        AUDIT_VALUE_LABELS[(object_type, name)] = dict(choices)


def audit_changes_display(object_type: str, changes: dict) -> str:
    """An audit entry's changes, one line per field: "old → new", coded values by their label."""

    def shown(name, value) -> str:
        labels = AUDIT_VALUE_LABELS.get((object_type, name), {})
        if isinstance(value, str | int) and value in labels:
            return str(labels[value])
        if isinstance(value, str):
            return value or "—"
        return json.dumps(value, ensure_ascii=False)

    def line(name, value) -> str:
        if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], dict | list):
            return f"{shown(name, value[0])} → {shown(name, value[1])}"
        return shown(name, value)

    rows = ((name, line(name, value)) for name, value in (changes or {}).items())
    return format_html_join("", "<div><strong>{}</strong>: {}</div>", rows) or format_html(
        "{}", "—"
    )


class AuditedAdminMixin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = {}
        if change and form.changed_data:
            original = type(obj).objects.filter(pk=obj.pk).first()
            before = {name: _plain(getattr(original, name, None)) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        changes = {
            name: [before.get(name), _plain(form.cleaned_data.get(name))]
            for name in form.changed_data
        }
        services.audit_record(
            actor=request.user,
            action="admin_change" if change else "admin_add",
            obj=obj,
            changes=changes,
            request=request,
        )

    def save_formset(self, request, form, formset, change):
        """Inline rows added, changed or deleted, recorded on the parent object."""
        rows = []
        deleted = {id(f) for f in formset.deleted_forms}
        for inline_form in formset.forms:
            instance = inline_form.instance
            if id(inline_form) in deleted:
                if instance.pk is not None:
                    rows.append({"deleted": instance.pk, "object": str(instance)})
            elif not inline_form.has_changed():
                continue
            elif instance.pk is None:
                rows.append({"added": _form_changes(inline_form)})
            else:
                fields = _form_changes(inline_form)
                rows.append({"changed": instance.pk, "object": str(instance), "fields": fields})
        super().save_formset(request, form, formset, change)
        if rows:
            services.audit_record(
                actor=request.user,
                action="admin_change_inline",
                obj=form.instance,
                changes={formset.model._meta.label_lower: rows},
                request=request,
            )

    def delete_model(self, request, obj):
        services.audit_record(actor=request.user, action="admin_delete", obj=obj, request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.audit_record(
                actor=request.user, action="admin_delete", obj=obj, request=request
            )
        super().delete_queryset(request, queryset)


class MissingObject404Mixin(admin.ModelAdmin):
    """An object outside `get_queryset` (another agency's record, or none at all) is a 404,
    not the admin's redirect to the list with a hint that it exists."""

    missing_object_message: str | Promise = ""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            if self.missing_object_message:
                raise Http404(str(self.missing_object_message))
            raise Http404
        return obj
