from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedure catalogue")

    def ready(self) -> None:
        from accounts.backends import register_cached_user_relation

        from . import (
            cache,  # noqa: F401  (declares the page-cache tag the catalogue moves)
            signals,  # noqa: F401  (drops the cached user when a staff membership changes)
        )

        # Every staff request reads the officer's agency: loaded with the signed-in user.
        register_cached_user_relation("staff_membership")
