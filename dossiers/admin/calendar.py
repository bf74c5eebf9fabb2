"""The working-day calendar: extra days off and make-up working days."""

from datetime import timedelta

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdminMixin

from ..calendar import is_working_day
from ..models import CalendarDay

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
