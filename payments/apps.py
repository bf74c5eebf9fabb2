from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from dossiers.constants import EVENT_ACTION_LABELS

        from . import (
            checks,  # noqa: F401 (registers the system checks)
            history,  # noqa: F401 (registers the composed messages)
            tasks,  # noqa: F401 (registers the tasks the services queue by name)
        )
        from .constants import HISTORY_ACTIONS

        # The dossier history names the entries payments writes.
        EVENT_ACTION_LABELS.update(HISTORY_ACTIONS)
