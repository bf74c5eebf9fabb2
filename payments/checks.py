"""System checks: the sandbox bank never runs in production."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def sandbox_bank_not_in_production(app_configs, **kwargs):
    if settings.PRODUCTION and settings.SANDBOX_BANK_ENABLED:
        return [
            Error(
                "The sandbox bank is enabled in production.",
                hint="Unset SANDBOX_BANK_ENABLED: it accepts any test card as a payment.",
                id="payments.E001",
            )
        ]
    return []
