"""The configured signer provider, from `settings.SIGNING_PROVIDER`.

An entry is a known identifier ("pkcs12", "pkcs11", "remote"), "none" (issue unsigned), or the
dotted path of a `SignerProvider` subclass, so another key store plugs in by configuration.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SignerProvider

KNOWN = {
    "pkcs12": "signing.providers.pkcs12.PKCS12Provider",
    "pkcs11": "signing.providers.pkcs11.PKCS11Provider",
    "remote": "signing.providers.remote.RemoteProvider",
}
NONE = ("", "none")


def signer_provider() -> SignerProvider | None:
    """The configured provider, or None when signing is off (SIGNING_PROVIDER=none)."""
    entry = settings.SIGNING_PROVIDER.strip()
    if entry.lower() in NONE:
        return None
    return import_string(KNOWN.get(entry, entry))()
