from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = _("Tracking and statistics")

    def ready(self) -> None:
        from dossiers import plugins

        # The satisfaction rating, once the dossier has its result: after its history.
        plugins.register_detail_panel("tracking/dossier_panel.html", place="after_history")
