from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from accounts.admin_audit import audit_values_register

        from . import (
            cache,  # noqa: F401  (declares the page-cache tags dossiers move)
            history,  # noqa: F401  (registers the composed messages)
        )
        from .constants import DossierStatus
        from .groups import on_post_migrate

        audit_values_register(
            "dossiers.dossier", ("status", "expected_status"), DossierStatus.choices
        )

        # Sender-less: permissions of apps migrated after this one join later.
        post_migrate.connect(on_post_migrate, dispatch_uid="dossiers.groups_setup")
