from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServiceLevel(models.TextChoices):
    FULL = "full", _("Full online service")
    PARTIAL = "partial", _("Partial online service")


class OriginalKind(models.TextChoices):
    ORIGINAL = "original", pgettext_lazy("document kind", "Original")
    CERTIFIED_COPY = "certified_copy", _("Certified copy")
    COPY = "copy", _("Photocopy")


class FormFieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    TEXTAREA = "textarea", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


# File types a component may accept; the upload check sniffs the bytes for these.
FILE_TYPES = ["pdf", "docx", "doc", "jpg", "png", "xlsx", "odt"]


# A working day of the internal process counts this many working hours (quy trình nội bộ).
WORKING_HOURS_PER_DAY = 8


class UnitKind(models.TextChoices):
    """What a unit of an agency is: the one-stop desk, a specialist unit, or the leadership."""

    DESK = "desk", _("One-stop desk")
    SPECIALIST = "specialist", _("Specialist unit")
    LEADERSHIP = "leadership", _("Leadership")


class StaffRole(models.TextChoices):
    """The role a staff member holds in a unit."""

    DESK_OFFICER = "desk_officer", _("Desk officer")
    SPECIALIST = "specialist", _("Specialist")
    UNIT_HEAD = "unit_head", _("Unit head")
    LEADER = "leader", _("Leader")


class DurationUnit(models.TextChoices):
    WORKING_DAYS = "days", _("working days")
    WORKING_HOURS = "hours", _("working hours")
