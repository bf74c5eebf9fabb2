"""Shared admin pieces: the audited step (`take_admin_step`), a ModelAdmin mixin that reports every admin add, change and delete, with
the old and new value of each changed field and the rows of its inlines (fees, components, staff
memberships…), to one `record` hook. Where the record is kept is the subclass's business (the
staff audit log: accounts/admin_audit.py)."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Manager, QuerySet
from django.http import Http404, HttpRequest
from django.utils.functional import Promise


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


class ChangeRecordingAdminMixin(admin.ModelAdmin):
    def record(self, request: HttpRequest, *, action: str, obj, changes: dict | None = None):
        """Keep one record of an admin write: `action` is admin_add, admin_change,
        admin_change_inline or admin_delete; `changes` maps a field to [old, new] (or, for
        inlines, the inline model's label to its rows added, changed and deleted)."""
        raise NotImplementedError

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
        self.record(
            request, action="admin_change" if change else "admin_add", obj=obj, changes=changes
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
            self.record(
                request,
                action="admin_change_inline",
                obj=form.instance,
                changes={formset.model._meta.label_lower: rows},
            )

    def delete_model(self, request, obj):
        self.record(request, action="admin_delete", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.record(request, action="admin_delete", obj=obj)
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


def take_admin_step(
    request: HttpRequest,
    service: Callable[[], Any],
    *,
    done: str | Promise | Callable[[Any], str],
    refused: tuple[type[Exception], ...] = (),
    forbidden: tuple[type[Exception], ...] = (),
) -> Exception | None:
    """Take the step an officer chose on an admin page: call `service` (it asks its app's
    access policy and writes the audit entry, done or refused: the page records nothing).

    On success the officer reads `done` (a message, or a function of what the service
    returned) and None is returned; a refusal of a type in `refused` is shown as an error and
    returned, for the page to show its form again or go back; one in `forbidden` is a 403."""
    try:
        result = service()
    except forbidden as exc:
        raise PermissionDenied from exc
    except refused as exc:
        messages.error(request, str(exc))
        return exc
    messages.success(request, done(result) if callable(done) else str(done))
    return None
