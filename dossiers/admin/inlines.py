"""Read-only inlines of the dossier page: files and their versions, supplement requests, history."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.messages import message_render

from ..models import Attachment, DossierEvent, SupplementRequest
from ..selectors import info_field_labels


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


ATTACHMENT_FIELDS = (
    "component",
    "version",
    "download",
    "signature",
    "size",
    "content_type",
    "checksum",
    "uploaded_at",
    "is_current",
)


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    verbose_name_plural = _("files and versions")
    fields = readonly_fields = ATTACHMENT_FIELDS
    ordering = ["component__order", "component_id", "-version"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        url = reverse("admin:dossiers_dossier_file", args=[obj.dossier_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    @admin.display(description=_("digital signature"))
    def signature(self, obj: Attachment) -> str:
        """A PDF's signatures are checked on demand (the check may fetch revocation data), on
        a page of their own; nothing is refused for being unsigned."""
        if obj.content_type != "application/pdf":
            return "—"
        url = reverse("admin:dossiers_dossier_signature", args=[obj.dossier_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Check signature"))

    @admin.display(description="SHA-256")
    def checksum(self, obj: Attachment) -> str:
        """The start of the hash, the whole of it one click away (selectable, wrapped)."""
        return format_html(
            '<details class="sha"><summary title="{}">{}…</summary><code>{}</code></details>',
            obj.sha256,
            obj.sha256[:12],
            obj.sha256,
        )


SUPPLEMENT_FIELDS = (
    "created_at",
    "created_by",
    "message",
    "requested",
    "deadline",
    "answered_at",
    "reminder_sent_at",
    "overdue_flagged_at",
)


class SupplementRequestInline(ReadOnlyInline):
    model = SupplementRequest
    fields = readonly_fields = SUPPLEMENT_FIELDS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "dossier__procedure")
            .prefetch_related("components", "dossier__procedure__form_fields")
        )

    @admin.display(description=_("components and information"))
    def requested(self, obj: SupplementRequest) -> str:
        labels = info_field_labels(procedure=obj.dossier.procedure, keys=obj.fields)
        items = [c.name for c in obj.components.all()] + labels
        return format_html_join("", "<div>{}</div>", ((item,) for item in items)) or "—"


EVENT_FIELDS = (
    "created_at",
    "actor",
    "action_label",
    "from_label",
    "to_label",
    "message_text",
    "note",
    "internal_note",
    "is_public",
)


class DossierEventInline(ReadOnlyInline):
    model = DossierEvent
    verbose_name_plural = _("history")
    fields = readonly_fields = EVENT_FIELDS
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("action"))
    def action_label(self, obj: DossierEvent) -> str:
        return obj.action_label

    @admin.display(description=_("from"))
    def from_label(self, obj: DossierEvent) -> str:
        return obj.from_status_label or "—"

    @admin.display(description=_("to"))
    def to_label(self, obj: DossierEvent) -> str:
        return obj.to_status_label or "—"

    @admin.display(description=_("step"))
    def message_text(self, obj: DossierEvent) -> str:
        """The portal's own words for the step, in the officer's language (no query: the
        history's messages name no catalogue object)."""
        return message_render(obj.message, obj.params) or "—"
