from django.contrib import admin
from django.db.models import Avg, Count
from django.utils.translation import gettext_lazy as _

from core.admin import MissingObject404Mixin
from dossiers.models import Dossier

from .constants import QUESTION_LABELS, RATING_QUESTIONS
from .models import Rating


@admin.register(Rating)
class RatingAdmin(MissingObject404Mixin, admin.ModelAdmin):
    """Satisfaction ratings, read-only: staff see their agency's, with the averages of the
    filtered list above it."""

    list_display = ("dossier", "agency", *RATING_QUESTIONS, "score_display", "created_at")
    list_filter = (("dossier__agency", admin.RelatedOnlyFieldListFilter), "overall", "created_at")
    search_fields = ("dossier__code", "comment")
    date_hierarchy = "created_at"
    list_select_related = ("dossier", "dossier__agency")
    readonly_fields = ("dossier", "user", "created_at", *RATING_QUESTIONS, "comment")
    fields = readonly_fields
    change_list_template = "admin/tracking/rating/change_list.html"

    def get_queryset(self, request):
        visible = Dossier.objects.for_staff(request.user).values("pk")
        return super().get_queryset(request).filter(dossier__in=visible)

    @admin.display(description=_("agency"), ordering="dossier__agency__name")
    def agency(self, obj: Rating) -> str:
        return obj.dossier.agency.name

    @admin.display(description=_("score"))
    def score_display(self, obj: Rating) -> str:
        return f"{obj.score:.2f}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        changelist = context.get("cl") if context is not None else None
        if context is not None and changelist is not None:
            averages = changelist.queryset.order_by().aggregate(
                count=Count("id"),
                score=Avg(Rating.score_expression()),
                **{name: Avg(name) for name in RATING_QUESTIONS},
            )
            context["rating_averages"] = {
                "count": averages["count"],
                "score": averages["score"],
                "questions": [(QUESTION_LABELS[name], averages[name]) for name in RATING_QUESTIONS],
            }
        return response
