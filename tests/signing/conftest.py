"""Signed PDFs from the test PKI, made once per session, and the portal trusting its root."""

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import pytest

from signing.models import IssuedDocument

from . import pdfs


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
    def unsigned(self) -> bytes:
        return pdfs.plain_pdf()


@pytest.fixture(scope="session")
def signed_pdfs(test_pki) -> SignedPDFs:
    return SignedPDFs(test_pki)


@pytest.fixture(autouse=True)
def _trust_the_test_root(request, settings):
    """Signing tests trust the test PKI's root (and nothing else); tests that never touch the
    PKI do not start it."""
    if "test_pki" in request.fixturenames or "signed_pdfs" in request.fixturenames:
        pki = request.getfixturevalue("test_pki")
        settings.SIGNING_TRUST_ROOTS = [str(path) for path in pki.trust_roots]
    settings.VERIFY_RATE_LIMIT = 10_000  # only the rate-limit test meets the limit


@pytest.fixture
def issue():
    """Record `data` as a document the portal issued (as the signing service does)."""
    import hashlib

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
