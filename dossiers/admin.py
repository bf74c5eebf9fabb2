"""Staff work in Django admin: the dossier queue, the dossier page with one button per step,
and the working-day calendar. Every step calls a service; status is never edited here."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin
from accounts.constants import ApplicantType
from accounts.messages import message_render
from accounts.services import audit_record
from core.cache import serve_private_page
from core.uploads import UploadRejected
from procedures.cache import CATALOGUE_TAG
from procedures.models import Procedure

from . import documents, services, views
from .cache import queue_tags
from .calendar import add_working_days, is_working_day
from .constants import CLOCK_STOPPED, WAITING_FOR_CITIZEN, DossierStatus, Role
from .forms import ApproveForm, RejectForm, StepForm, SupplementRequestForm
from .models import (
    Attachment,
    CalendarDay,
    Dossier,
    DossierEvent,
    DossierQuerySet,
    SupplementRequest,
)
from .selectors import (
    declared_value,
    dossier_for_slip,
    info_field_labels,
    supplement_open,
    supplement_review,
)

S = DossierStatus
# The queue page is kept while nothing in it changes; this bounds what time alone changes
# (a supplement deadline passing during the day).
QUEUE_PAGE_SECONDS = 60


# --- Queue filters --------------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("due_soon", _("Due within 2 working days")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.overdue(today)
        if self.value() == "due_soon":
            return queryset.running().filter(
                due_date__gte=today, due_date__lte=add_working_days(today, 2)
            )
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = _("waiting for the applicant")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=WAITING_FOR_CITIZEN)
        if self.value() == "no":
            return queryset.exclude(status__in=WAITING_FOR_CITIZEN)
        return queryset


class ProcedureFilter(admin.SimpleListFilter):
    """The procedures of the staff user's agency (all for superusers), from the small
    procedures table rather than a DISTINCT over every dossier."""

    title = _("procedure")
    parameter_name = "procedure__id__exact"

    def lookups(self, request, model_admin):
        procedures = Procedure.objects.only("id", "name").order_by("name")
        if not request.user.is_superuser:
            membership = getattr(request.user, "staff_membership", None)
            if membership is None:
                return []
            procedures = procedures.filter(agency_id=membership.agency_id)
        return [(str(p.id), p.name) for p in procedures]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(procedure_id=int(value))


class SupplementFilter(admin.SimpleListFilter):
    """Staff's supplement queues: answers to review, and requests past their deadline."""

    title = _("supplement")
    parameter_name = "supplement"

    def lookups(self, request, model_admin):
        return [
            ("answered", _("Supplemented: to review")),
            ("waiting", _("Waiting for the applicant's supplement")),
            ("overdue", _("Supplement overdue")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "answered":
            return queryset.filter(status=S.SUPPLEMENTED)
        if self.value() == "waiting":
            return queryset.filter(status=S.SUPPLEMENT_REQUESTED)
        if self.value() == "overdue":
            return queryset.filter(pk__in=supplement_overdue_ids())
        return queryset


def supplement_overdue_ids():
    """Dossiers whose open supplement request is past its deadline (flagged or not yet swept)."""
    late = Q(overdue_flagged_at__isnull=False) | Q(deadline__lt=services.agency_today())
    return SupplementRequest.objects.filter(
        late, answered_at__isnull=True, dossier__status=S.SUPPLEMENT_REQUESTED
    ).values("dossier_id")


# --- Read-only inlines ----------------------------------------------------------------------


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


# --- Staff steps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    target: str
    label: str | Promise
    form: type[forms.Form]
    # Steps without inputs are a single button posting from the dossier page.
    simple: bool = False
    css: str = ""


STEPS = {
    step.name: step
    for step in (
        Step("receive", S.RECEIVED, _("Receive (issue code and due date)"), StepForm, True),
        Step("start_processing", S.PROCESSING, _("Start processing"), StepForm, True),
        # The same move after a supplement answered post-receipt: the due date is recomputed.
        Step(
            "continue_processing",
            S.PROCESSING,
            _("Continue processing (new due date)"),
            StepForm,
            True,
        ),
        Step(
            "request_supplement",
            S.SUPPLEMENT_REQUESTED,
            _("Request a supplement"),
            SupplementRequestForm,
        ),
        Step("approve", S.APPROVED, _("Approve with the result"), ApproveForm),
        Step("reject", S.REJECTED, _("Reject"), RejectForm, css="step-danger"),
        Step("return_result", S.RETURNED, _("Mark the result returned"), StepForm, True),
    )
}
# The one-stop desk receives, asks for supplements before receipt, rejects at the desk and
# returns results; the processing unit does the rest.
RECEPTION_STATUSES = (S.SUBMITTED, S.SUPPLEMENTED)


def step_permissions(step: Step, dossier: Dossier) -> tuple[str, ...]:
    """The permissions of which any one lets an officer take this step on this dossier."""
    if step.name in ("receive", "return_result"):
        return ("dossiers.receive_dossier",)
    if step.name in ("request_supplement", "reject") and dossier.status in RECEPTION_STATUSES:
        return ("dossiers.receive_dossier",)
    # A gap found right after receipt: the desk that checked the dossier, or the processing
    # unit that takes it over, asks for the supplement.
    if step.name == "request_supplement" and dossier.status == S.RECEIVED:
        return ("dossiers.receive_dossier", "dossiers.process_dossier")
    return ("dossiers.process_dossier",)


def may_take(user, step: Step, dossier: Dossier) -> bool:
    return any(user.has_perm(perm) for perm in step_permissions(step, dossier))


def steps_for(user, dossier: Dossier) -> list[Step]:
    """The steps this officer may take on this dossier now (table, guards, permissions)."""
    targets = services.available_targets(dossier, Role.STAFF)
    steps = []
    for step in STEPS.values():
        if step.target not in targets:
            continue
        # Awaiting payment → processing belongs to the payments panel, not a plain button.
        if step.name == "start_processing" and dossier.status == S.AWAITING_PAYMENT:
            continue
        # After a supplement, "continue processing" (new due date) replaces "start processing".
        after_supplement = dossier.status == S.SUPPLEMENTED
        if step.name == "start_processing" and after_supplement:
            continue
        if step.name == "continue_processing" and not after_supplement:
            continue
        if may_take(user, step, dossier):
            steps.append(step)
    return steps


def fee_notice_url(dossier: Dossier) -> str:
    """The payments admin's "add fee notice" page for this dossier, when payments provides it."""
    try:
        return reverse("admin:payments_feenotice_add") + f"?dossier={dossier.pk}"
    except NoReverseMatch:
        return ""


# --- Dossier admin --------------------------------------------------------------------------


def dossier_choice_label(dossier: Dossier) -> str:
    """How staff pick a dossier in a form: its code and its applicant, never a bare id."""
    return f"{dossier} — {dossier.applicant_name}" if dossier.applicant_name else str(dossier)


class DossierChoiceField(forms.ModelChoiceField):
    """A dossier field of a staff form, its choice shown by `dossier_choice_label`."""

    def label_from_instance(self, obj) -> str:
        return dossier_choice_label(obj)


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = [
        "code_or_draft",
        "applicant_name",
        "procedure_name",
        "agency_code",
        "status_badge",
        "submitted",
        "due",
        "overdue",
    ]
    list_select_related = ["procedure", "agency"]
    list_filter = [
        "status",
        DeadlineFilter,
        WaitingFilter,
        SupplementFilter,
        ProcedureFilter,
        ("agency", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "applicant_name", "citizen_id", "email"]
    search_help_text = _("Search by dossier code, applicant name, citizen ID or email.")
    show_full_result_count = False
    list_per_page = 50
    inlines = [AttachmentInline, SupplementRequestInline, DossierEventInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "status_badge",
                    "procedure",
                    "agency",
                    "applicant",
                    "lookup_secret",
                ]
            },
        ),
        (
            _("Applicant"),
            {
                "fields": [
                    "applicant_name",
                    "applicant_kind",
                    "organisation_name",
                    "citizen_id",
                    "tax_code",
                    "phone",
                    "email",
                    "address",
                ]
            },
        ),
        (_("Dossier information"), {"fields": ["declared_data"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "created_at",
                    "submitted_at",
                    "received_at",
                    "received_by",
                    "due_date",
                    "overdue",
                    "completed_at",
                ]
            },
        ),
        (_("Result"), {"fields": ["result_link", "result_note", "rejection_reason"]}),
    ]

    # Everything is read-only: the dossier changes only through the step buttons.
    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        """Staff see only their agency's dossiers; superusers all (sent ones only)."""
        return cast(DossierQuerySet, super().get_queryset(request)).for_staff(request.user)

    def autocomplete_label(self, obj: Dossier) -> str:
        """The label of a dossier offered by an autocomplete field (portal/admin_site.py)."""
        return dossier_choice_label(obj)

    def get_list_filter(self, request):
        # Staff see one agency's dossiers: an agency filter would offer a single choice.
        if request.user.is_superuser:
            return self.list_filter
        return [f for f in self.list_filter if not (isinstance(f, tuple) and f[0] == "agency")]

    def get_object(self, request, object_id, from_field=None):
        """Another agency's dossier (or none) is a 404, not a redirect with a hint."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such dossier."))
        return obj

    # Columns

    @admin.display(description=_("dossier code"), ordering="code")
    def code_or_draft(self, obj: Dossier) -> str:
        return obj.code or gettext("#%(id)s (no code)") % {"id": obj.pk}

    @admin.display(description=_("procedure"), ordering="procedure__name")
    def procedure_name(self, obj: Dossier) -> str:
        name = obj.procedure.name
        return name if len(name) <= 70 else name[:69] + "…"

    @admin.display(description=_("agency"), ordering="agency__code")
    def agency_code(self, obj: Dossier) -> str:
        return obj.agency.code

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Dossier) -> str:
        return format_html(
            '<span class="status {}">{}</span>', obj.status_css, obj.get_status_display()
        )

    @admin.display(description=_("applicant type"))
    def applicant_kind(self, obj: Dossier) -> str:
        return str(dict(ApplicantType.choices).get(obj.applicant_type, obj.applicant_type))

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted(self, obj: Dossier) -> str:
        if not obj.submitted_at:
            return "—"
        return formats.date_format(timezone.localtime(obj.submitted_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("due date"), ordering="due_date")
    def due(self, obj: Dossier) -> str:
        return formats.date_format(obj.due_date, "SHORT_DATE_FORMAT") if obj.due_date else "—"

    @admin.display(description=_("overdue"))
    def overdue(self, obj: Dossier) -> str:
        """A late dossier stands out; one on time is plain text, not an alarming red cross."""
        if obj.is_overdue:
            return format_html('<span class="overdue-flag">{}</span>', gettext("Overdue"))
        return format_html('<span class="on-time">{}</span>', gettext("No"))

    @admin.display(description=_("answers"))
    def declared_data(self, obj: Dossier) -> str:
        fields = {f.key: f for f in obj.procedure.form_fields.all()}
        rows = (
            (fields[k].label, declared_value(fields[k], v)) if k in fields else (k, v)
            for k, v in (obj.data or {}).items()
        )
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", rows) or "—"

    @admin.display(description=_("result file"))
    def result_link(self, obj: Dossier) -> str:
        if not obj.result_file:
            return "—"
        url = reverse("admin:dossiers_dossier_result", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.result_name or gettext("Download"))

    # The queue: counts by status above the list

    def changelist_view(self, request, extra_context=None):
        """The queue, from the page cache while nothing in it (nor the catalogue) changed."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return serve_private_page(
            request,
            lambda: self._changelist_view(request, extra_context),
            timeout=QUEUE_PAGE_SECONDS,
            tags=[*queue_tags(request.user), CATALOGUE_TAG],
        )

    def _changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        rows = (
            self.get_queryset(request)
            .order_by()
            .values("status")
            # COUNT(*) and COUNT(due_date) rather than COUNT(id): PostgreSQL answers from the
            # (agency, status, due_date) index alone (a late dossier has a due date).
            .annotate(
                n=Count("*"),
                late=Count("due_date", filter=Q(due_date__lt=today) & ~Q(status__in=CLOCK_STOPPED)),
            )
        )
        by_status = {row["status"]: row for row in rows}
        counts = [
            {"status": value, "label": label, "n": by_status[value]["n"]}
            for value, label in S.choices
            if value in by_status
        ]
        extra_context = {
            **(extra_context or {}),
            "status_counts": counts,
            "status_total": sum(c["n"] for c in counts),
            "overdue_total": sum(row["late"] for row in by_status.values()),
            "supplement_overdue_total": self.get_queryset(request)
            .filter(pk__in=supplement_overdue_ids())
            .count()
            if S.SUPPLEMENT_REQUESTED in by_status
            else 0,
            "current_status": request.GET.get("status__exact", ""),
        }
        return super().changelist_view(request, extra_context=extra_context)

    # The dossier page: one button per allowed step

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            steps = steps_for(request.user, obj)
            targets = services.available_targets(obj, Role.STAFF)
            context.update(
                {
                    "dossier_steps": [
                        {
                            "step": step,
                            "url": reverse("admin:dossiers_dossier_step", args=[obj.pk, step.name]),
                        }
                        for step in steps
                    ],
                    "fee_notice_url": fee_notice_url(obj)
                    if S.AWAITING_PAYMENT in targets
                    and request.user.has_perm("dossiers.process_dossier")
                    else "",
                    "slips": [
                        (kind, reverse("admin:dossiers_dossier_slip", args=[obj.pk, kind]))
                        for kind in documents.slips_available(obj)
                    ],
                    "open_supplement": supplement_open(obj),
                    "supplement_review": supplement_review(obj)
                    if obj.supplement_requests.all()
                    else None,
                    "today": services.agency_today(),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/step/<str:step_name>/",
                wrap(self.step_view),
                name="dossiers_dossier_step",
            ),
            path(
                "<path:object_id>/files/<int:attachment_id>/",
                wrap(self.file_view),
                name="dossiers_dossier_file",
            ),
            path(
                "<path:object_id>/result-file/",
                wrap(self.result_view),
                name="dossiers_dossier_result",
            ),
            path(
                "<path:object_id>/slips/<str:kind>/",
                wrap(self.slip_view),
                name="dossiers_dossier_slip",
            ),
            *super().get_urls(),
        ]

    def _dossier(self, request, object_id) -> Dossier:
        dossier = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, dossier):
            raise PermissionDenied
        return dossier

    def step_view(self, request: HttpRequest, object_id: str, step_name: str) -> HttpResponse:
        dossier = self._dossier(request, object_id)
        step = STEPS.get(step_name)
        if step is None:
            raise Http404
        if not may_take(request.user, step, dossier):
            if request.method == "POST":
                self._audit(request, step, dossier, succeeded=False, message="permission denied")
            raise PermissionDenied
        change_url = reverse("admin:dossiers_dossier_change", args=[dossier.pk])
        kwargs: dict[str, Any] = {"dossier": dossier} if step.form is SupplementRequestForm else {}
        if request.method != "POST":
            if step.simple:
                return HttpResponseRedirect(change_url)
            form = step.form(initial={"expected_status": dossier.status}, **kwargs)
        else:
            form = step.form(request.POST, request.FILES, **kwargs)
            if form.is_valid():
                try:
                    self._run_step(request, step, dossier, form.cleaned_data)
                except (services.DossierError, UploadRejected) as exc:
                    # The step's transaction has rolled back: this entry stays.
                    self._audit(request, step, dossier, succeeded=False, message=str(exc))
                    messages.error(request, str(exc))
                    if step.simple or isinstance(exc, services.TransitionRefused):
                        return HttpResponseRedirect(change_url)
                    form.add_error(None, str(exc))
                else:
                    self._audit(request, step, dossier, succeeded=True)
                    return HttpResponseRedirect(change_url)
            elif step.simple:
                self._audit(request, step, dossier, succeeded=False, message="incomplete request")
                messages.error(request, gettext("The request was incomplete. Please try again."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": dossier,
            "title": f"{step.label} — {dossier}",
            "step": step,
            "form": form,
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/dossiers/dossier/step_form.html", context)

    def _audit(self, request, step: Step, dossier: Dossier, *, succeeded: bool, message=""):
        """The staff audit log (accounts.AuditEntry): every step attempt, done or refused,
        with the status the officer saw and the status after."""
        now = Dossier.objects.filter(pk=dossier.pk).values_list("status", flat=True).first()
        audit_record(
            actor=request.user,
            action=f"dossier_{step.name}",
            obj=dossier,
            changes={
                "status": [dossier.status, now],
                "expected_status": request.POST.get("expected_status", ""),
            },
            succeeded=succeeded,
            message=message,
            request=request,
        )

    def _run_step(self, request, step: Step, dossier: Dossier, data: dict) -> None:
        actor = request.user
        common = {
            "dossier_id": dossier.pk,
            "actor": actor,
            "expected_status": data["expected_status"],
        }
        if step.name == "receive":
            result = services.dossier_receive(**common, note=data.get("note", ""))
            messages.success(
                request,
                gettext("Received: code %(code)s, due %(due)s. The applicant was told by email.")
                % {
                    "code": result.dossier.code,
                    "due": date_filter(result.dossier.due_date, "SHORT_DATE_FORMAT"),
                },
            )
        elif step.name == "start_processing":
            services.dossier_start_processing(**common, note=data.get("note", ""))
            messages.success(request, gettext("Processing started."))
        elif step.name == "continue_processing":
            result = services.dossier_start_processing(**common, note=data.get("note", ""))
            messages.success(
                request,
                gettext("Processing continues after the supplement: new due date %(due)s.")
                % {"due": date_filter(result.dossier.due_date, "SHORT_DATE_FORMAT")},
            )
        elif step.name == "request_supplement":
            services.dossier_request_supplement(
                **common,
                message=data["message"],
                components=data["components"],
                fields=data["info_fields"],
                deadline_days=data["deadline_days"],
            )
            messages.success(request, gettext("The supplement request was sent to the applicant."))
        elif step.name == "approve":
            services.dossier_approve(
                **common, result_file=data["result_file"], note=data.get("note", "")
            )
            messages.success(
                request, gettext("Approved: the applicant was told the result is ready.")
            )
        elif step.name == "reject":
            services.dossier_reject(**common, reason=data["reason"])
            messages.success(request, gettext("Rejected: the applicant was told the reason."))
        elif step.name == "return_result":
            services.dossier_return_result(**common, note=data.get("note", ""))
            messages.success(request, gettext("The result is marked as returned."))

    def file_view(self, request: HttpRequest, object_id: str, attachment_id: int):
        dossier = self._dossier(request, object_id)
        attachment = Attachment.objects.filter(dossier=dossier, pk=attachment_id).first()
        if attachment is None:
            raise Http404
        return views.file_response(
            attachment.file.name, attachment.original_name, attachment.content_type
        )

    def result_view(self, request: HttpRequest, object_id: str):
        dossier = self._dossier(request, object_id)
        if not dossier.result_file:
            raise Http404
        return views.file_response(
            dossier.result_file.name,
            dossier.result_name or "ket-qua",
            views.content_type_for(dossier.result_file.name),
        )

    def slip_view(self, request: HttpRequest, object_id: str, kind: str):
        dossier = self._dossier(request, object_id)
        return views.slip_response(dossier_for_slip(request.user, dossier.pk), kind)


# --- Working-day calendar -------------------------------------------------------------------

CALENDAR_PERMISSION = "dossiers.manage_calendar"


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Extra days off and make-up working days on top of weekends and public holidays."""

    list_display = ["date", "weekday", "kind", "note", "is_working"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["note"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return formats.date_format(obj.date, "l")

    @admin.display(description=_("working day"), boolean=True)
    def is_working(self, obj: CalendarDay) -> bool:
        return is_working_day(obj.date)

    def get_changeform_initial_data(self, request):
        return {"date": timezone.localdate() + timedelta(days=1)}

    # Who may change it: holders of the dedicated permission only, whatever else they hold.
    def has_add_permission(self, request):
        return request.user.has_perm(CALENDAR_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(CALENDAR_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(CALENDAR_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(
            CALENDAR_PERMISSION
        )
