from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedure catalogue")

    def ready(self) -> None:
        from . import (
            cache,  # noqa: F401  (declares the page-cache tag the catalogue moves)
            signals,  # noqa: F401  (drops the cached user when a staff membership changes)
        )
