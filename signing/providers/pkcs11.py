"""A PKCS#11 token or HSM (pyHanko's PKCS#11 signer): the key never leaves the device.

The token holds the private key and its certificate under one label
(SIGNING_PKCS11_KEY_LABEL); the chain is read from the other certificates on the token.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import SignerProvider, SigningUnavailable


class PKCS11Provider(SignerProvider):
    identifier = "pkcs11"
    verbose_name = _("PKCS#11 token or HSM")

    def __init__(
        self,
        *,
        module: str | None = None,
        token_label: str | None = None,
        pin: str | None = None,
        key_label: str | None = None,
    ) -> None:
        self.module = module if module is not None else settings.SIGNING_PKCS11_MODULE
        self.token_label = (
            token_label if token_label is not None else settings.SIGNING_PKCS11_TOKEN_LABEL
        )
        self.pin = pin if pin is not None else settings.SIGNING_PKCS11_PIN
        self.key_label = key_label if key_label is not None else settings.SIGNING_PKCS11_KEY_LABEL

    @contextmanager
    def open(self) -> Iterator[object]:
        """Open a session on the token, log in with the PIN, yield the signer, close it."""
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        try:
            session = open_pkcs11_session(
                self.module,
                token_criteria=TokenCriteria(label=self.token_label or None),
                user_pin=self.pin or None,
            )
        except Exception as exc:  # the module raises its own error types
            raise SigningUnavailable(f"PKCS#11 token unavailable: {exc}") from exc
        try:
            yield PKCS11Signer(session, key_label=self.key_label, cert_label=self.key_label)
        finally:
            session.close()
