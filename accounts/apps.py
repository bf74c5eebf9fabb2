from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (wires allauth's email_confirmed)
        from .messages import register_message

        register_message("account_activated", _("Your account is active"))
