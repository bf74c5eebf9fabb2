from django.apps import AppConfig


class PaymentsSandboxConfig(AppConfig):
    """The sandbox bank: a stand-in VNPay gateway for development, tests and demos.

    Installed, migrated and mounted at /sandbox-bank/ only when `SANDBOX_BANK_ENABLED`
    (portal/settings.py), so production has neither its pages nor its table.
    """

    name = "payments_sandbox"
    verbose_name = "Sandbox bank"
