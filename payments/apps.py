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
        _plug_into_dossiers()


def _plug_into_dossiers() -> None:
    """The fee panel of the citizen's dossier page, the "issue a fee notice" link of the admin
    dossier page, and what the staff groups may do with fees and payments."""
    from django.urls import reverse

    from dossiers import plugins
    from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP

    plugins.register_detail_panel("payments/dossier_panel.html", place="after_documents")
    plugins.register_admin_link(
        "fee_notice",
        lambda dossier: reverse("admin:payments_feenotice_add") + f"?dossier={dossier.pk}",
    )
    # The desk checks receipts and confirms offline payments; processing issues fee notices.
    checked = ["payments.view_feenotice", "payments.view_payment", "payments.change_payment"]
    plugins.register_group_permissions(RECEPTION_GROUP, checked)
    plugins.register_group_permissions(
        PROCESSING_GROUP, ["payments.add_feenotice", "payments.change_feenotice", *checked]
    )
