from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from . import (
            cache,  # noqa: F401  (declares the page-cache tags dossiers move)
            history,  # noqa: F401  (registers the composed messages)
        )
        from .groups import on_post_migrate

        # Sender-less: permissions of apps migrated after this one (payments) join later.
        post_migrate.connect(on_post_migrate, dispatch_uid="dossiers.groups_setup")
