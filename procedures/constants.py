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
