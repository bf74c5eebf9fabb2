from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import (  # noqa: F401
            cache,  # declares the page-cache tags accounts' models move
            checks,  # registers the checks
            signals,  # wires allauth
        )
        from .messages import register_message

        register_message("account_activated", _("Your account is active"))
