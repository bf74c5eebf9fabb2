"""A PKCS#12 file holding the agency's key, certificate and chain (development, small agencies)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import SignerProvider, SigningUnavailable

# Loaded signers by (path, password, file modification time): reading the file and checking
# its RSA key costs ~100 ms, once per process rather than once per document.
_loaded: dict[tuple[str, str, float], object] = {}
_lock = threading.Lock()


def loaded_key_signer(path: str, password: str):
    """A pyHanko SimpleSigner for the file, whose private key is parsed once.

    pyHanko's SimpleSigner parses the key again for every raw signature (twice per document,
    with its dry run), and `cryptography` re-validates an RSA key each time (~80 ms); this one
    keeps the parsed key and hands the same operations to `cryptography`.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    loaded = signers.SimpleSigner.load_pkcs12(
        path, passphrase=password.encode() if password else None
    )
    if loaded is None:
        raise SigningUnavailable(f"PKCS#12 file unreadable (password?): {path!r}")

    class LoadedKeySigner(signers.SimpleSigner):
        private_key = serialization.load_der_private_key(loaded.signing_key.dump(), None)

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False):
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            algorithm = get_pyca_cryptography_hash(digest_algorithm)
            key = self.private_key
            if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), algorithm)
            if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(algorithm))
            return self.sign_raw(data, digest_algorithm)  # other mechanisms: pyHanko's own path

    return LoadedKeySigner(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
    )


class PKCS12Provider(SignerProvider):
    identifier = "pkcs12"
    verbose_name = _("PKCS#12 key file")

    def __init__(self, *, path: str | None = None, password: str | None = None) -> None:
        self.path = path if path is not None else settings.SIGNING_PKCS12_PATH
        self.password = password if password is not None else settings.SIGNING_PKCS12_PASSWORD

    @contextmanager
    def open(self) -> Iterator[object]:
        """The file's signer (loaded once per process and file version); raises
        SigningUnavailable when the file is missing or cannot be read with the password."""
        file = Path(self.path) if self.path else None
        if file is None or not file.is_file():
            raise SigningUnavailable(f"PKCS#12 file not found: {self.path!r}")
        key = (str(file), self.password, file.stat().st_mtime)
        with _lock:
            if key not in _loaded:
                try:
                    _loaded[key] = loaded_key_signer(str(file), self.password)
                except (ValueError, TypeError) as exc:
                    raise SigningUnavailable(f"PKCS#12 file unreadable: {exc}") from exc
            signer = _loaded[key]
        yield signer
