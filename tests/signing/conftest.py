"""A SoftHSM token holding the test agency's key and chain, and the local remote-signing server;
for the verification tests, signed PDFs made once per session and the portal trusting the test
root."""

import hashlib
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import pytest

from signing.models import IssuedDocument
from tests.conftest import missing_service

from . import pdfs

SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
TOKEN_LABEL = "portal-test"
USER_PIN = "1234"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory, test_pki) -> dict:
    """A SoftHSM2 token (its own folder) with the agency's private key and its certificate under
    the label "agency", and the intermediate and root certificates beside them."""
    module = next((m for m in SOFTHSM_MODULES if Path(m).is_file()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        missing_service("SoftHSM2 (apt-get install softhsm2)")
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    run = lambda *args: subprocess.run(  # noqa: E731
        ["softhsm2-util", *args], check=True, capture_output=True, text=True
    )
    run("--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN, "--so-pin", "5678")
    key = Path(__file__).resolve().parents[1] / "pki" / "keys" / "agency.test-only.key.pem"
    run("--import", str(key), "--token", TOKEN_LABEL, "--label", "agency", "--id", "01",
        "--pin", USER_PIN)  # fmt: skip

    import pkcs11
    from asn1crypto import x509
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(module)
    token = lib.get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=USER_PIN) as session:
        for label, ident in (("agency", b"\x01"), ("interm", b"\x02"), ("root", b"\x03")):
            der = test_pki.cert_der(label)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label,
                    Attribute.ID: ident,
                    Attribute.SUBJECT: x509.Certificate.load(der).subject.dump(),
                    Attribute.VALUE: der,
                }
            )
    return {"module": module, "token_label": TOKEN_LABEL, "pin": USER_PIN, "key_label": "agency"}


@pytest.fixture
def remote_signing_server(test_pki):
    """signing/remote_server.py on a free loopback port, holding the test agency's key."""
    from signing.remote_server import RemoteKey, RemoteSigningServer

    key = RemoteKey.from_pkcs12(test_pki.agency_pkcs12.read_bytes(), test_pki.pkcs12_password)
    server = RemoteSigningServer(keys={"agency": key}, token="test-token").start()
    yield server
    server.stop()


# --- Verification (signing.verify, /verify/) ------------------------------------------------


class SignedPDFs:
    """One PDF per case, signed on first use (signing with a timestamp takes a moment)."""

    def __init__(self, pki):
        self.pki = pki

    def _signed(self, label: str, *, tsa: bool = True) -> bytes:
        # In a thread of its own: pyHanko runs its own event loop, and a browser test's
        # Playwright already runs one in this thread.
        signer = self.pki.signer(label)
        tsa_url = self.pki.tsa_url if tsa else None
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(pdfs.signed_pdf, signer, tsa_url=tsa_url).result()

    @cached_property
    def good(self) -> bytes:
        return self._signed("agency")

    @cached_property
    def good_without_timestamp(self) -> bytes:
        return self._signed("agency", tsa=False)

    @cached_property
    def revoked(self) -> bytes:
        return self._signed("revoked")

    @cached_property
    def expired(self) -> bytes:
        return self._signed("expired")

    @cached_property
    def unknown_ca(self) -> bytes:
        return self._signed("unknown-signer")

    @cached_property
    def one_byte_changed(self) -> bytes:
        return pdfs.one_byte_changed(self.good)

    @cached_property
    def edited_after_signing(self) -> bytes:
        return pdfs.edited_after_signing(self.good)

    @cached_property
    def countersigned(self) -> bytes:
        """`good`, then signed again by a second person in a field of its own."""
        signer = self.pki.signer("agency")
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(
                pdfs.signed_pdf,
                signer,
                tsa_url=self.pki.tsa_url,
                data=self.good,
                field_name="Signature2",
                person="Lê Thị Cúc",
            ).result()

    @cached_property
    def unsigned(self) -> bytes:
        return pdfs.plain_pdf()


@pytest.fixture(scope="session")
def signed_pdfs(test_pki) -> SignedPDFs:
    return SignedPDFs(test_pki)


@pytest.fixture(autouse=True)
def _trust_the_test_root(request, settings):
    """Verification tests trust the test PKI's root (and nothing else); tests that never touch
    the PKI do not start it."""
    if "signed_pdfs" in request.fixturenames:
        pki = request.getfixturevalue("test_pki")
        settings.SIGNING_TRUST_ROOTS = [str(path) for path in pki.trust_roots]
    settings.VERIFY_RATE_LIMIT = 10_000  # only the rate-limit test meets the limit


@pytest.fixture
def issue():
    """Record `data` as a document the portal issued (as the signing service does)."""

    def make(data: bytes, *, dossier_code: str = "STP-261207-0001", kind: str = "result"):
        return IssuedDocument.objects.create(
            kind=kind,
            dossier_code=dossier_code,
            sha256=hashlib.sha256(data).hexdigest(),
            signed=True,
            signer_name="Nguyễn Văn An",
            signer_title="Giám đốc",
            organisation="Sở Tư pháp (test)",
        )

    return make
