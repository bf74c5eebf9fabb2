"""The dossier queue and the dossier page, with one button per step open to the officer.
Every step calls a service; status is never edited here."""

from typing import cast

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.constants import ApplicantType
from core.admin import MissingObject404Mixin
from core.cache import serve_private_page
from core.html import status_badge as badge_html
from procedures.cache import CATALOGUE_TAG
from signing.verify import pdf_verify

from .. import documents, plugins, policy, services, views
from ..cache import queue_tags
from ..constants import CLOCK_STOPPED, DossierStatus
from ..models import Attachment, Dossier, DossierQuerySet, DossierStep, HandOver
from ..queues import STEP_QUEUES
from ..selectors import declared_value, dossier_for_slip, supplement_open, supplement_review
from .filters import (
    DeadlineFilter,
    ProcedureFilter,
    QueueFilter,
    SupplementFilter,
    WaitingFilter,
    request_queue,
    request_queue_counts,
    supplement_overdue_ids,
)
from .inlines import AttachmentInline, DossierEventInline, SupplementRequestInline
from .intake import CounterIntakeMixin
from .letters import DossierLettersMixin
from .steps import STEPS, DossierStepsMixin

S = DossierStatus
# The queue page is kept while nothing in it changes; this bounds what time alone changes
# (a supplement deadline passing during the day).
QUEUE_PAGE_SECONDS = 60
# The columns of a work queue (`?queue=`): where each dossier is in its process and by when.
WORK_QUEUE_COLUMNS = [
    "code_or_draft",
    "procedure_name",
    "step_at",
    "step_assignee",
    "step_deadline",
    "due",
]


def process_panel(dossier: Dossier) -> dict:
    """The internal process on the dossier page: the processing-control slip's lines and the
    current step (two queries; one for a dossier that never entered a process)."""
    handovers = list(
        HandOver.objects.filter(dossier=dossier).select_related(
            "from_user", "to_user", "from_unit", "to_unit"
        )
    )
    if not handovers:
        return {}
    step = (
        DossierStep.objects.select_related("unit", "assignee").get(pk=dossier.current_step_id)
        if dossier.current_step_id
        else None
    )
    return {
        "process_step": step,
        "process_step_overdue": step is not None and step.deadline < timezone.now(),
        "handovers": handovers,
    }


def fee_notice_url(dossier: Dossier) -> str:
    """The "add fee notice" page an upper app registered for this dossier, if any."""
    try:
        return plugins.admin_link_url("fee_notice", dossier)
    except NoReverseMatch:
        return ""


def dossier_choice_label(dossier: Dossier) -> str:
    """How staff pick a dossier in a form: its code and its applicant, never a bare id."""
    return f"{dossier} — {dossier.applicant_name}" if dossier.applicant_name else str(dossier)


class DossierChoiceField(forms.ModelChoiceField):
    """A dossier field of a staff form, its choice shown by `dossier_choice_label`."""

    def label_from_instance(self, obj) -> str:
        return dossier_choice_label(obj)


@admin.register(Dossier)
class DossierAdmin(
    MissingObject404Mixin,
    CounterIntakeMixin,
    DossierStepsMixin,
    DossierLettersMixin,
    admin.ModelAdmin,
):
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
        QueueFilter,
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
    # Another agency's dossier (or none) is a 404, not a redirect with a hint.
    missing_object_message = _("No such dossier.")
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
        (
            _("Receiving the result"),
            {
                "fields": [
                    "result_delivery",
                    "delivery_address",
                    "delivered_via",
                    "waybill_number",
                ]
            },
        ),
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

    def get_list_display(self, request):
        return WORK_QUEUE_COLUMNS if request_queue(request) else self.list_display

    def get_list_select_related(self, request):
        if request_queue(request):
            return [*self.list_select_related, "current_step__unit", "current_step__assignee"]
        return self.list_select_related

    def get_ordering(self, request):
        """A work queue puts the nearest step deadline first (overdue ones at the top); the
        dossiers to receive, the longest waiting first."""
        queue = request_queue(request)
        if queue in STEP_QUEUES:
            return [F("current_step__deadline").asc(nulls_last=True), "pk"]
        if queue:
            return ["submitted_at", "pk"]
        return super().get_ordering(request)

    def autocomplete_label(self, obj: Dossier) -> str:
        """The label of a dossier offered by an autocomplete field (portal/admin_site.py)."""
        return dossier_choice_label(obj)

    def get_list_filter(self, request):
        # Staff see one agency's dossiers: an agency filter would offer a single choice.
        if request.user.is_superuser:
            return self.list_filter
        return [f for f in self.list_filter if not (isinstance(f, tuple) and f[0] == "agency")]

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
        return badge_html(obj.status_css, obj.get_status_display())

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

    @admin.display(description=pgettext_lazy("work queue", "current step"))
    def step_at(self, obj: Dossier) -> str:
        step = obj.current_step
        if step is None:
            return "—"
        return f"{step.unit.display_name} — {step.get_role_display()}"

    @admin.display(description=pgettext_lazy("work queue", "assigned to"))
    def step_assignee(self, obj: Dossier) -> str:
        step = obj.current_step
        if step is None:
            return "—"
        if step.assignee is None:
            return pgettext("work queue", "In the unit's pool")
        return step.assignee.get_full_name()

    @admin.display(
        description=pgettext_lazy("work queue", "step deadline"), ordering="current_step__deadline"
    )
    def step_deadline(self, obj: Dossier) -> str:
        step = obj.current_step
        if step is None:
            return "—"
        when = formats.date_format(timezone.localtime(step.deadline), "SHORT_DATETIME_FORMAT")
        # Set by the work queue filter (QueueFilter) for the rows of a queue.
        urgency = getattr(obj, "step_urgency", "")
        if urgency == "overdue":
            return format_html('{} <span class="overdue-flag">{}</span>', when, gettext("Overdue"))
        if urgency == "soon":
            return format_html(
                '{} <span class="due-soon">{}</span>', when, pgettext("work queue", "Due soon")
            )
        return when

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
        """The queue, from the page cache while nothing in it (nor the catalogue) changed. A
        work queue is built each time: it names the officers steps are assigned to and marks
        what falls due within the hour, which no stored copy would follow."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if request_queue(request):
            return self._changelist_view(request, extra_context)
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
            "may_register": policy.may_register(request.user),
            "status_total": sum(c["n"] for c in counts),
            "overdue_total": sum(row["late"] for row in by_status.values()),
            "supplement_overdue_total": self.get_queryset(request)
            .filter(pk__in=supplement_overdue_ids())
            .count()
            if S.SUPPLEMENT_REQUESTED in by_status
            else 0,
            "current_status": request.GET.get("status__exact", ""),
            "queue_counts": request_queue_counts(request),
            "current_queue": request_queue(request),
        }
        return super().changelist_view(request, extra_context=extra_context)

    # The dossier page: one button per allowed step

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            available = [
                *policy.process_actions(request.user, obj),
                *services.dossier_available_steps(dossier=obj, user=request.user),
            ]
            context.update(
                {
                    "dossier_steps": [
                        {
                            "step": step,
                            "url": reverse("admin:dossiers_dossier_step", args=[obj.pk, step.name]),
                        }
                        for step in (STEPS[name] for name in available if name in STEPS)
                    ],
                    "fee_notice_url": fee_notice_url(obj) if "request_payment" in available else "",
                    "slips": [
                        (kind, reverse("admin:dossiers_dossier_slip", args=[obj.pk, kind]))
                        for kind in documents.slips_available(obj)
                    ],
                    "open_supplement": supplement_open(obj),
                    "supplement_review": supplement_review(obj)
                    if obj.supplement_requests.all()
                    else None,
                    "today": services.agency_today(),
                    **process_panel(obj),
                }
            )
            # Late and stop handling (admin/letters.py, its own include on the page).
            context.update(self.letters_context(request, obj))
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
                "<path:object_id>/draft-file/",
                wrap(self.draft_view),
                name="dossiers_dossier_draft",
            ),
            path(
                "<path:object_id>/files/<int:attachment_id>/signature/",
                wrap(self.signature_view),
                name="dossiers_dossier_signature",
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
            *self.letter_urls(),
            *super().get_urls(),
        ]

    def _dossier(self, request, object_id) -> Dossier:
        dossier = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, dossier):
            raise PermissionDenied
        return dossier

    def file_view(self, request: HttpRequest, object_id: str, attachment_id: int):
        dossier = self._dossier(request, object_id)
        attachment = Attachment.objects.filter(dossier=dossier, pk=attachment_id).first()
        if attachment is None:
            raise Http404
        return views.file_response(
            attachment.file.name, attachment.original_name, attachment.content_type
        )

    def signature_view(self, request: HttpRequest, object_id: str, attachment_id: int):
        """The signature panel of one PDF the applicant sent: who signed it, when, whether it
        changed since, whether the certificate was valid then (signing.verify, the same check
        as the public verification page). Read-only; an unsigned file is simply unsigned."""
        dossier = self._dossier(request, object_id)
        attachment = (
            Attachment.objects.filter(dossier=dossier, pk=attachment_id)
            .select_related("component")
            .first()
        )
        if attachment is None or attachment.content_type != "application/pdf":
            raise Http404
        with attachment.file.open("rb") as file:
            verdict = pdf_verify(file.read())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": dossier,
            "attachment": attachment,
            "verdict": verdict,
            "change_url": reverse("admin:dossiers_dossier_change", args=[dossier.pk]),
            "title": gettext("Digital signature of %(name)s") % {"name": attachment.original_name},
        }
        return TemplateResponse(request, "admin/dossiers/dossier/signature.html", context)

    def result_view(self, request: HttpRequest, object_id: str):
        dossier = self._dossier(request, object_id)
        if not dossier.result_file:
            raise Http404
        return views.file_response(
            dossier.result_file.name,
            dossier.result_name or "ket-qua",
            views.content_type_for(dossier.result_file.name),
        )

    def draft_view(self, request: HttpRequest, object_id: str):
        """The drafted result, for the staff who review and approve it (never the applicant)."""
        dossier = self._dossier(request, object_id)
        if not dossier.draft_file:
            raise Http404
        return views.file_response(
            dossier.draft_file.name,
            dossier.draft_name or "du-thao",
            views.content_type_for(dossier.draft_file.name),
        )

    def slip_view(self, request: HttpRequest, object_id: str, kind: str):
        dossier = self._dossier(request, object_id)
        return views.slip_response(dossier_for_slip(request.user, dossier.pk), kind)
