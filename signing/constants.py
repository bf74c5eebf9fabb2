"""The kinds of documents the portal issues (and signs)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """What an issued document is; new kinds join at the end (the value is stored)."""

    RESULT = "result", _("Result")
    RECEIPT = "receipt", _("Receipt slip")
    SUPPLEMENT = "supplement", _("Supplement request")
    REJECTION = "rejection", _("Rejection notice")
    APOLOGY = "apology", _("Apology letter")
    STOP = "stop", _("Stop notice")
    PAYMENT_CONFIRMATION = "payment_confirmation", _("Payment confirmation")
    CONTROL_SLIP = "control_slip", _("Processing control slip")
