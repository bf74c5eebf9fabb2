"""The dossier queue's filters: deadline, waiting, procedure, supplement."""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.models import Procedure

from .. import policy, services
from ..calendar import add_working_days
from ..constants import WAITING_FOR_CITIZEN, DossierStatus
from ..models import SupplementRequest

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
