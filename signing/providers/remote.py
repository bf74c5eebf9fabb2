"""The agency's remote signing service: the key stays on the agency's server.

The protocol (JSON over HTTPS, bearer token; `signing/remote_server.py` is a faithful local
implementation used by the tests):

    GET  {SIGNING_REMOTE_URL}/keys/{key_id}
         -> 200 {"key_id": "...", "certificate": "<base64 DER>", "chain": ["<base64 DER>", ...]}
    POST {SIGNING_REMOTE_URL}/keys/{key_id}/sign
         {"digest_algorithm": "sha256", "digest": "<base64 of the digest to sign>"}
         -> 200 {"signature": "<base64 raw signature>", "signature_algorithm": "sha256_rsa"}

Errors are a non-2xx status with {"error": "..."}. Only the digest of the CMS signed attributes
travels; the portal builds the PDF signature itself with pyHanko around the returned value.
"""

import base64
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import SignerProvider, SigningUnavailable


def _call(url: str, *, token: str, timeout: float, body: dict | None = None) -> dict:
    if not url.startswith(("https://", "http://")):
        raise SigningUnavailable("SIGNING_REMOTE_URL must be an http(s) URL")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310  (the configured https/http service URL)
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 # scheme checked above
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SigningUnavailable(f"remote signing service: {exc}") from exc


def remote_signer(*, url: str, key_id: str, token: str, timeout: float):
    """A pyHanko `Signer` whose raw signatures are computed by the remote service."""
    from asn1crypto import x509
    from pyhanko.sign.signers import Signer
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    base = url.rstrip("/")
    described = _call(f"{base}/keys/{key_id}", token=token, timeout=timeout)
    cert = x509.Certificate.load(base64.b64decode(described["certificate"]))
    chain = [x509.Certificate.load(base64.b64decode(c)) for c in described.get("chain", [])]

    class RemoteSigner(Signer):
        async def async_sign_raw(
            self, data: bytes, digest_algorithm: str, dry_run: bool = False
        ) -> bytes:
            if dry_run:  # pyHanko sizes the signature container before the real run
                return bytes(_signature_size(cert))
            digest = hashlib.new(digest_algorithm, data).digest()
            answer = _call(
                f"{base}/keys/{key_id}/sign",
                token=token,
                timeout=timeout,
                body={
                    "digest_algorithm": digest_algorithm,
                    "digest": base64.b64encode(digest).decode(),
                },
            )
            return base64.b64decode(answer["signature"])

    return RemoteSigner(
        signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs([cert, *chain])
    )


def _signature_size(cert) -> int:
    bits = cert.public_key.bit_size
    if cert.public_key.algorithm == "rsa":
        return (bits + 7) // 8
    return 2 * ((bits + 7) // 8) + 9  # DER-encoded (r, s) at its largest


class RemoteProvider(SignerProvider):
    identifier = "remote"
    verbose_name = _("Remote signing service")

    def __init__(
        self, *, url: str | None = None, key_id: str | None = None, token: str | None = None
    ) -> None:
        self.url = url if url is not None else settings.SIGNING_REMOTE_URL
        self.key_id = key_id if key_id is not None else settings.SIGNING_REMOTE_KEY_ID
        self.token = token if token is not None else settings.SIGNING_REMOTE_TOKEN

    @contextmanager
    def open(self) -> Iterator[object]:
        """Ask the service for the key's certificate and chain; signing calls it per document."""
        if not self.url or not self.key_id:
            raise SigningUnavailable("SIGNING_REMOTE_URL and SIGNING_REMOTE_KEY_ID are required")
        yield remote_signer(
            url=self.url, key_id=self.key_id, token=self.token, timeout=settings.SIGNING_TIMEOUT
        )
