"""A PKCS#12 file holding the agency's key, certificate and chain (development, small agencies)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import SignerProvider, SigningUnavailable


class PKCS12Provider(SignerProvider):
    identifier = "pkcs12"
    verbose_name = _("PKCS#12 key file")

    def __init__(self, *, path: str | None = None, password: str | None = None) -> None:
        self.path = path if path is not None else settings.SIGNING_PKCS12_PATH
        self.password = password if password is not None else settings.SIGNING_PKCS12_PASSWORD
        self._signer = None

    @contextmanager
    def open(self) -> Iterator[object]:
        """Load the file once per provider instance; raises SigningUnavailable if unreadable."""
        if self._signer is None:
            from pyhanko.sign import signers

            if not self.path or not Path(self.path).is_file():
                raise SigningUnavailable(f"PKCS#12 file not found: {self.path!r}")
            signer = signers.SimpleSigner.load_pkcs12(
                self.path, passphrase=self.password.encode() if self.password else None
            )
            if signer is None:
                raise SigningUnavailable(f"PKCS#12 file unreadable (password?): {self.path!r}")
            self._signer = signer
        yield self._signer
