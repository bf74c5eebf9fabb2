"""The enabled payment providers, by identifier, from `settings.PAYMENT_PROVIDERS`.

An entry is either a known identifier ("vnpay") or the dotted path of a `PaymentProvider`
subclass, so another gateway plugs in by configuration only.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PaymentProvider

KNOWN = {
    "vnpay": "payments.providers.vnpay.VNPayProvider",
}


class ProviderNotAvailable(LookupError):
    pass


def _load(entry: str) -> PaymentProvider:
    cls = import_string(KNOWN.get(entry, entry))
    return cls()


def enabled_providers() -> list[PaymentProvider]:
    return [_load(entry) for entry in settings.PAYMENT_PROVIDERS]


def get_provider(identifier: str) -> PaymentProvider:
    """The enabled provider with this identifier; raises ProviderNotAvailable otherwise."""
    for provider in enabled_providers():
        if provider.identifier == identifier:
            return provider
    raise ProviderNotAvailable(identifier)


def default_provider() -> PaymentProvider | None:
    providers = enabled_providers()
    return providers[0] if providers else None
