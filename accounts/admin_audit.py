"""Shared ModelAdmin pieces of the audit log: the mixin that writes every admin add, change and
delete to it, including the rows of its inlines (the recording itself: core/admin.py), and the
labels its entries show for coded values."""

import json
from collections.abc import Iterable

from django.utils.html import format_html, format_html_join

from core.admin import ChangeRecordingAdminMixin

from .services import audit_record

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


class AuditedAdminMixin(ChangeRecordingAdminMixin):
    def record(self, request, *, action: str, obj, changes: dict | None = None):
        audit_record(actor=request.user, action=action, obj=obj, changes=changes, request=request)
