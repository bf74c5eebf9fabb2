"""Scores of the satisfaction rating and how a dossier stands against its due date."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Score(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


# The questions of the rating (đánh giá mức độ hài lòng): model field names, in form order.
RATING_QUESTIONS = ("attitude", "timeliness", "guidance", "overall")
QUESTION_LABELS = {
    "attitude": _("Attitude of the staff"),
    "timeliness": _("Timeliness of the result"),
    "guidance": _("Clarity of the guidance"),
    "overall": _("Overall satisfaction"),
}


class Timeliness(models.TextChoices):
    """Where a dossier stands against its due date (ngày hẹn trả)."""

    ON_SCHEDULE = "on_schedule", _("On schedule")
    OVERDUE = "overdue", _("Overdue")
    COMPLETED_ON_TIME = "completed_on_time", _("Completed on time")
    COMPLETED_LATE = "completed_late", _("Completed late")
    WAITING_FOR_APPLICANT = "waiting", _("Waiting for the applicant (time not counted)")
