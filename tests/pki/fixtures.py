"""The test PKI, served on loopback for the whole session (imported by tests/conftest.py).

`test_pki` loads tests/pki/certomancer.yml, binds certomancer's Animator (the WSGI app that
answers CRL, OCSP, timestamp and certificate-repository requests) to a free port on 127.0.0.1
in a background thread, and builds the certificates with that address as their URL prefix, so
the CRL distribution points and OCSP addresses inside them reach the thread. In CI a PKI that
cannot start fails the tests that need it (it never skips them).
"""

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PKI_DIR = Path(__file__).resolve().parent
ARCH = "portal-test"
PKCS12_PASSWORD = b"test-only"


@dataclass
class TestPKI:
    """What a signing test needs from the test PKI; every file lives in a session temp dir."""

    __test__ = False  # not a test class

    base_url: str
    arch: object  # certomancer.registry.PKIArchitecture
    directory: Path
    agency_pkcs12: Path
    pkcs12_password: bytes
    trust_roots: list[Path]
    tsa_url: str
    _pkcs12_cache: dict[str, Path] = field(default_factory=dict)

    def cert_der(self, label: str) -> bytes:
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel(label)).dump()  # type: ignore[attr-defined]

    def pkcs12_for(self, label: str) -> Path:
        """A PKCS#12 file (password `pkcs12_password`) with `label`'s key, cert and chain."""
        if label not in self._pkcs12_cache:
            from certomancer.registry import CertLabel

            path = self.directory / f"{label}.p12"
            path.write_bytes(
                self.arch.package_pkcs12(  # type: ignore[attr-defined]
                    CertLabel(label), password=self.pkcs12_password
                )
            )
            self._pkcs12_cache[label] = path
        return self._pkcs12_cache[label]

    def signer(self, label: str):
        """A pyHanko signer for one of the test certificates: "agency", "revoked", "expired",
        "unknown-signer"."""
        from pyhanko.sign import signers

        return signers.SimpleSigner.load_pkcs12(
            str(self.pkcs12_for(label)), passphrase=self.pkcs12_password
        )

    def agency_signer(self):
        return self.signer("agency")

    def revoked_signer(self):
        return self.signer("revoked")

    def expired_signer(self):
        return self.signer("expired")

    def unknown_signer(self):
        return self.signer("unknown-signer")

    def validation_context(self, **kwargs):
        """A pyHanko ValidationContext trusting only the test root, fetching revocation data
        from the loopback responders."""
        from asn1crypto import x509
        from pyhanko_certvalidator import ValidationContext

        root = x509.Certificate.load(self.cert_der("root"))
        kwargs.setdefault("allow_fetching", True)
        return ValidationContext(trust_roots=[root], **kwargs)


def _keep_loaded_keys() -> None:
    """certomancer parses (and `cryptography` re-validates, ~80 ms for RSA) the CA's private key
    for every CRL, OCSP response and timestamp it signs; the test PKI keeps each parsed key, so
    the loopback services answer as fast as a real TSA or OCSP responder would."""
    from certomancer import crypto_utils

    if getattr(crypto_utils.CRYPTO_BACKEND, "keeps_loaded_keys", False):
        return
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    class KeptKeysBackend(crypto_utils.PycaCryptographyBackend):
        keeps_loaded_keys = True
        parsed: dict[bytes, object] = {}

        def generic_sign(self, private_key, tbs_bytes, sd_algo):
            if sd_algo.signature_algo != "rsassa_pkcs1v15":
                return super().generic_sign(private_key, tbs_bytes, sd_algo)
            der = private_key.dump()
            if der not in self.parsed:
                self.parsed[der] = serialization.load_der_private_key(der, password=None)
            digest = getattr(hashes, sd_algo.hash_algo.upper())()
            return self.parsed[der].sign(tbs_bytes, padding.PKCS1v15(), digest)  # type: ignore[attr-defined]

    crypto_utils.CRYPTO_BACKEND = KeptKeysBackend()


def _start(tmp: Path) -> tuple[TestPKI, object]:
    from asn1crypto import pem
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
    from werkzeug.serving import make_server

    _keep_loaded_keys()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per CRL/OCSP/TSA request
    holder: dict[str, object] = {}

    def app(environ, start_response):
        return holder["animator"](environ, start_response)  # type: ignore[operator]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    config = CertomancerConfig.from_file(
        str(PKI_DIR / "certomancer.yml"),
        key_search_dir=str(PKI_DIR),
        external_url_prefix=base_url,
    )
    holder["animator"] = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    arch = config.get_pki_arch(ArchLabel(ARCH))
    root_pem = tmp / "root.pem"
    root_pem.write_bytes(pem.armor("CERTIFICATE", arch.get_cert(CertLabel("root")).dump()))
    pki = TestPKI(
        base_url=base_url,
        arch=arch,
        directory=tmp,
        agency_pkcs12=tmp / "agency.p12",
        pkcs12_password=PKCS12_PASSWORD,
        trust_roots=[root_pem],
        tsa_url=f"{base_url}/{ARCH}/tsa/tsa",
    )
    pki.agency_pkcs12 = pki.pkcs12_for("agency")
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    return pki, server


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory) -> Iterator[TestPKI]:
    """The test PKI (certomancer) served on a free loopback port for the session."""
    from tests.conftest import missing_service

    try:
        pki, server = _start(tmp_path_factory.mktemp("pki"))
    except Exception as exc:  # any failure means "no PKI" (CI fails on it)
        missing_service(f"the test PKI (certomancer) could not start: {exc!r}")
        return
    try:
        yield pki
    finally:
        server.shutdown()  # type: ignore[attr-defined]


@pytest.fixture
def agency_signing(settings, test_pki) -> TestPKI:
    """The portal signs with the test agency's PKCS#12 file and the loopback TSA (B-T, B-LT)."""
    settings.SIGNING_PROVIDER = "pkcs12"
    settings.SIGNING_PKCS12_PATH = str(test_pki.agency_pkcs12)
    settings.SIGNING_PKCS12_PASSWORD = test_pki.pkcs12_password.decode()
    settings.SIGNING_TSA_URL = test_pki.tsa_url
    settings.SIGNING_TRUST_ROOTS = [str(p) for p in test_pki.trust_roots]
    settings.SIGNING_ORGANISATION = "Sở Tư pháp (test)"
    return test_pki
