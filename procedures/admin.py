"""Admin for the catalogue: agencies and their staff, fields, procedures with all their guidance."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin

from .constants import WORKING_HOURS_PER_DAY, DurationUnit, UnitKind
from .models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
    ProcessStep,
    StaffMembership,
    Unit,
    UnitMembership,
    process_hours,
)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


class UnitFormSet(BaseInlineFormSet):
    """One desk per agency: the database refuses a second one, so say it before saving."""

    def clean(self) -> None:
        super().clean()
        desks = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("kind") == UnitKind.DESK
        ]
        if len(desks) > 1:
            raise ValidationError(_("An agency has exactly one one-stop desk."), code="one_desk")


class UnitInline(admin.TabularInline):
    model = Unit
    formset = UnitFormSet
    extra = 0
    fields = ["name", "name_en", "kind"]
    show_change_link = True


PROCESS_STEP_FIELDS = (
    "order",
    "unit_kind",
    "unit",
    "role",
    "duration",
    "duration_unit",
    "may_request_supplement",
    "may_issue_fee_notice",
    "drafts_result",
    "approves",
    "is_sample",
)


class AgencyProcessStepFormSet(BaseInlineFormSet):
    """The agency's default process must add up to the processing time of every procedure
    that uses it (those without a process of their own)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        steps, hours = _posted_process(self)
        if not steps:
            return
        users = Procedure.objects.filter(agency=self.instance, process_steps__isnull=True)
        differing = users.exclude(processing_days=hours / WORKING_HOURS_PER_DAY).order_by("name")
        first = differing.first()
        if first is not None:
            raise ValidationError(
                _(
                    "The default process adds up to %(hours)s working hours, but %(count)s "
                    "procedures that use it take another processing time (for example "
                    "“%(name)s”: %(days)s working days). Give them a process of their own, or "
                    "make the default add up to their time."
                ),
                code="default_process_sum",
                params={
                    "hours": hours,
                    "count": differing.count(),
                    "name": first.name,
                    "days": first.processing_days,
                },
            )


class AgencyProcessStepInline(admin.TabularInline):
    """The agency's default process, for its procedures that have none of their own."""

    model = ProcessStep
    fk_name = "agency"
    formset = AgencyProcessStepFormSet
    extra = 0
    fields = PROCESS_STEP_FIELDS
    autocomplete_fields = ["unit"]
    verbose_name_plural = _("default internal process")


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "phone", "email", "require_lookup_secret", "is_sample"]
    list_filter = ["require_lookup_secret", "is_sample"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["name"]
    inlines = [UnitInline, StaffMembershipInline, AgencyProcessStepInline]
    fieldsets = (
        (None, {"fields": ("code", ("name", "name_en"), "is_sample")}),
        (_("Contacts"), {"fields": ("address", "phone", "email", "website")}),
        (
            _("Bank account for fee transfers"),
            {"fields": ("bank_name", "bank_account_name", "bank_account_number")},
        ),
        (_("Public lookup"), {"fields": ("require_lookup_secret",)}),
        (_("Back office"), {"fields": ("separation_of_duties",)}),
    )


@admin.register(StaffMembership)
class StaffMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "agency"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__email", "user__full_name", "agency__code", "agency__name"]
    autocomplete_fields = ["user", "agency"]


class UnitMembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "agency"]
    list_filter = ["kind", "agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "name_en", "agency__code", "agency__name"]
    autocomplete_fields = ["agency"]
    fields = ["agency", ("name", "name_en"), "kind", "fields"]
    filter_horizontal = ["fields"]
    inlines = [UnitMembershipInline]

    def get_queryset(self, request):
        # A unit's name shows its agency's code: the autocomplete lists read it for every row.
        return super().get_queryset(request).select_related("agency")


@admin.register(UnitMembership)
class UnitMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "unit"]
    list_filter = ["role", "unit__kind", "unit__agency"]
    list_select_related = ["user", "unit__agency"]
    search_fields = ["user__email", "user__full_name", "unit__name", "unit__agency__code"]
    autocomplete_fields = ["user", "unit"]


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


def _posted_process(formset: BaseInlineFormSet) -> tuple[int, int]:
    """The number of steps a process formset keeps, and the working hours they add up to."""
    hours = 0
    steps = 0
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        steps += 1
        duration = data.get("duration") or 0
        if data.get("duration_unit") == DurationUnit.WORKING_HOURS:
            hours += duration
        else:
            hours += duration * WORKING_HOURS_PER_DAY
    return steps, hours


class ProcessStepFormSet(BaseInlineFormSet):
    """A procedure's own process must add up to its processing time (8 working hours a day);
    a procedure without one takes its agency's default, which must add up to it as well."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        steps, hours = _posted_process(self)
        target = (self.instance.processing_days or 0) * WORKING_HOURS_PER_DAY
        if not steps and self.instance.agency_id is not None:
            default = process_hours(
                ProcessStep.objects.filter(procedure=None, agency_id=self.instance.agency_id)
            )
            if default and default != target:
                raise ValidationError(
                    _(
                        "This procedure has no internal process of its own, and its agency's "
                        "default process adds up to %(steps)s working hours, not the %(days)s "
                        "working days (%(hours)s working hours) of its processing time. Give "
                        "the procedure its own process below, or keep the processing time."
                    ),
                    code="default_process_sum",
                    params={
                        "steps": default,
                        "days": self.instance.processing_days,
                        "hours": target,
                    },
                )
        if steps and hours != target:
            raise ValidationError(
                _(
                    "The steps of the internal process add up to %(steps)s working hours, but "
                    "the processing time is %(days)s working days (%(hours)s working hours). "
                    "Change the durations so that they match."
                ),
                code="process_sum",
                params={"steps": hours, "days": self.instance.processing_days, "hours": target},
            )


class ProcessStepInline(admin.TabularInline):
    """The procedure's own internal process; empty means the agency's default process."""

    model = ProcessStep
    fk_name = "procedure"
    formset = ProcessStepFormSet
    extra = 0
    fields = PROCESS_STEP_FIELDS
    autocomplete_fields = ["unit"]


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
    inlines = [
        ProcedureStepInline,
        ProcessStepInline,
        DossierComponentInline,
        FormFieldInline,
        FeeInline,
    ]
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
