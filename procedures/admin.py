"""Admin for the catalogue: agencies and their staff, fields, procedures with all their guidance."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin

from .models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
    StaffMembership,
)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "phone", "email", "require_lookup_secret", "is_sample"]
    list_filter = ["require_lookup_secret", "is_sample"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["name"]
    inlines = [StaffMembershipInline]
    fieldsets = (
        (None, {"fields": ("code", ("name", "name_en"), "is_sample")}),
        (_("Contacts"), {"fields": ("address", "phone", "email", "website")}),
        (
            _("Bank account for fee transfers"),
            {"fields": ("bank_name", "bank_account_name", "bank_account_number")},
        ),
        (_("Public lookup"), {"fields": ("require_lookup_secret",)}),
    )


@admin.register(StaffMembership)
class StaffMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "agency"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__email", "user__full_name", "agency__code", "agency__name"]
    autocomplete_fields = ["user", "agency"]


@admin.register(Field)
class FieldAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "order", "procedure_count"]
    list_editable = ["order"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    fields = ["slug", ("name", "name_en"), "order"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_procedure_count=Count("procedures"))

    @admin.display(description=_("number of procedures"), ordering="_procedure_count")
    def procedure_count(self, obj: Field) -> int:
        return getattr(obj, "_procedure_count", 0)


class ProcedureStepInline(admin.TabularInline):
    model = ProcedureStep
    extra = 0
    fields = ["order", "text", "text_en"]


class DossierComponentInline(admin.StackedInline):
    model = DossierComponent
    extra = 0
    fields = [
        "order",
        ("name", "name_en"),
        ("description", "description_en"),
        ("required", "copies", "original_kind"),
        ("file_types", "max_size_mb", "multiple"),
        "template",
    ]


class FormFieldInline(admin.StackedInline):
    model = FormField
    extra = 0
    fields = [
        ("order", "key", "kind", "required"),
        ("label", "label_en"),
        ("help", "help_en"),
        ("choices", "choices_en"),
    ]


class FeeInline(admin.TabularInline):
    model = Fee
    extra = 0
    fields = ["order", "name", "name_en", "amount"]


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "national_code",
        "name",
        "field",
        "agency",
        "service_level",
        "processing_days",
        "is_published",
        "is_sample",
        "public_link",
    ]
    list_display_links = ["national_code", "name"]
    list_filter = ["field", "agency", "service_level", "is_published", "is_sample"]
    list_select_related = ["field", "agency"]
    search_fields = ["national_code", "slug", "name", "name_en", "search_text"]
    readonly_fields = ["search_words", "search_words_en", "public_link", "last_updated"]
    autocomplete_fields = ["field", "agency"]
    prepopulated_fields = {"slug": ("national_code",)}
    list_per_page = 50
    inlines = [ProcedureStepInline, DossierComponentInline, FormFieldInline, FeeInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("national_code", "slug"),
                    ("name", "name_en"),
                    ("field", "agency"),
                    ("service_level", "processing_days"),
                    ("is_published", "is_sample", "popularity"),
                    "public_link",
                )
            },
        ),
        (
            _("Guidance"),
            {
                "fields": (
                    "applicant_types",
                    ("applicants", "applicants_en"),
                    ("content", "content_en"),
                    ("conditions", "conditions_en"),
                    ("result", "result_en"),
                    ("legal_basis", "legal_basis_en"),
                )
            },
        ),
        (
            _("Search"),
            {
                "classes": ("collapse",),
                "fields": ("search_words", "search_words_en", "last_updated"),
            },
        ),
    )

    @admin.display(description=_("search words"))
    def search_words(self, obj: Procedure) -> str:
        return obj.search_text or "—"

    @admin.display(description=_("search words (English)"))
    def search_words_en(self, obj: Procedure) -> str:
        return obj.search_text_en or "—"

    @admin.display(description=_("last updated"))
    def last_updated(self, obj: Procedure) -> str:
        return (
            formats.date_format(timezone.localtime(obj.updated_at), "SHORT_DATETIME_FORMAT")
            if obj.pk
            else "—"
        )

    @admin.display(description=_("public page"))
    def public_link(self, obj: Procedure) -> str:
        if not obj.pk:
            return "—"
        label = _("View on site") if obj.is_published else _("Preview (not published)")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("procedures:detail", args=[obj.slug]),
            label,
        )
