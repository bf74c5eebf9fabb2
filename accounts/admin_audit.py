"""The ModelAdmin mixin that writes every admin add, change and delete to the staff audit log,
including the rows of its inlines (the recording itself: core/admin.py)."""

from core.admin import ChangeRecordingAdminMixin

from .services import audit_record


class AuditedAdminMixin(ChangeRecordingAdminMixin):
    def record(self, request, *, action: str, obj, changes: dict | None = None):
        audit_record(actor=request.user, action=action, obj=obj, changes=changes, request=request)
