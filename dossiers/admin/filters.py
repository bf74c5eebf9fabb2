"""The dossier queue's filters: work queue, deadline, waiting, procedure, supplement."""

from django.contrib import admin
from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import Procedure

from .. import policy, services
from ..calendar import add_working_days
from ..constants import WAITING_FOR_CITIZEN, DossierStatus
from ..models import Dossier, SupplementRequest
from ..queues import (
    STEP_QUEUES,
    QueueCount,
    StaffUnits,
    due_soon_limit,
    queue_counts,
    queue_filter,
    queue_names,
    staff_units,
)

S = DossierStatus


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
            agency_id = policy.staff_agency_id(request.user)
            if agency_id is None:
                return []
            procedures = procedures.filter(agency_id=agency_id)
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


# --- Work queues ------------------------------------------------------------------------------


def request_staff_units(request) -> StaffUnits:
    """The signed-in person's units by role, read once per request."""
    units = getattr(request, "_dossier_staff_units", None)
    if units is None:
        units = staff_units(request.user)
        request._dossier_staff_units = units
    return units


def request_queue_counts(request) -> list[QueueCount]:
    """The person's queues with their counts, counted once per request (one query)."""
    counts = getattr(request, "_dossier_queue_counts", None)
    if counts is None:
        counts = queue_counts(Dossier.objects.for_staff(request.user), request_staff_units(request))
        request._dossier_queue_counts = counts
    return counts


def request_queue(request) -> str:
    """The work queue the changelist shows (`?queue=`), if it is one of the person's. The plain
    list asks nothing (it is served from the page cache); a queue, only the person's units."""
    name = request.GET.get(QueueFilter.parameter_name, "")
    if not name:
        return ""
    return name if name in queue_names(request_staff_units(request)) else ""


class QueueFilter(admin.SimpleListFilter):
    """The person's work queues (dossiers.queues), each with its count; only the queues their
    unit roles give are offered."""

    title = pgettext_lazy("work queue", "work queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(q.name, f"{q.label} ({q.count})") for q in request_queue_counts(request)]

    def queryset(self, request, queryset):
        name = self.value()
        if not name:
            return queryset
        try:
            queryset = queryset.filter(queue_filter(name, request_staff_units(request)))
        except KeyError:
            return queryset.none()
        return step_urgency_annotate(queryset) if name in STEP_QUEUES else queryset


def step_urgency_annotate(queryset):
    """Each dossier's `step_urgency`: "overdue" when its current step's deadline has passed,
    "soon" when it falls within one working day, else "" (and "" while the step's clock is
    stopped, waiting on the applicant)."""
    now = timezone.now()
    running = Q(current_step__paused_at__isnull=True)
    return queryset.annotate(
        step_urgency=Case(
            When(running & Q(current_step__deadline__lt=now), then=Value("overdue")),
            When(running & Q(current_step__deadline__lt=due_soon_limit(now)), then=Value("soon")),
            default=Value(""),
            output_field=CharField(),
        )
    )
