"""Issuing and signing the agency's documents (every write of the signing app).

`document_issue` is the one door: it records the document (its identity is the QR code's
verification URL), has the caller render it with that URL, signs it with the configured
provider (PAdES with pyHanko) and stores it privately with its hash. `document_sign` signs a
PDF the caller already has (the approved result). No cryptography is written here: pyHanko
builds the CMS and PDF structures, the provider computes the raw signature.

Levels: with SIGNING_TSA_URL the signature is PAdES B-T (an RFC 3161 timestamp) and, when the
revocation data of the chain can be fetched, B-LT (certificates, OCSP responses and CRLs in the
document's DSS); without a TSA it is B-B (`make run` has no TSA). With SIGNING_PROVIDER=none a
document is issued unsigned, but still recorded with its hash.
"""

import hashlib
import io
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from core.uploads import undo_on_error

from . import appearance
from .aio import run_coroutine
from .constants import DocumentKind
from .models import IssuedDocument
from .providers.base import SignerProvider, SigningUnavailable
from .providers.registry import signer_provider

logger = logging.getLogger(__name__)

__all__ = [
    "SigningUnavailable",
    "document_issue",
    "document_sign",
    "signing_enabled",
    "verify_url_for",
]

# Vietnamese kind names for the signature's reason (the documents are printed in Vietnamese).
REASONS_VI = {
    DocumentKind.RESULT: "Phát hành kết quả giải quyết thủ tục hành chính",
    DocumentKind.RECEIPT: "Phát hành Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    DocumentKind.SUPPLEMENT: "Phát hành Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    DocumentKind.REJECTION: "Phát hành Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
    DocumentKind.APOLOGY: "Phát hành Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    DocumentKind.STOP: "Phát hành Thông báo dừng giải quyết hồ sơ",
    DocumentKind.PAYMENT_CONFIRMATION: "Phát hành Biên nhận thanh toán phí, lệ phí",
    DocumentKind.CONTROL_SLIP: "Phát hành Phiếu kiểm soát quá trình giải quyết hồ sơ",
}


def verify_url_for(reference: uuid.UUID | str) -> str:
    """The public verification URL of an issued document (what its QR code holds)."""
    return f"{settings.SITE_URL}/verify/{reference}/"


def signing_enabled() -> bool:
    """Whether documents are signed (SIGNING_PROVIDER is not "none")."""
    return signer_provider() is not None


def _validation_context(signer):
    """Trust for collecting revocation data: the configured roots and the roots the signer's
    own chain carries (B-LT embeds what can be fetched; it does not judge trust)."""
    from asn1crypto import pem, x509
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

    roots = []
    for path in settings.SIGNING_TRUST_ROOTS:
        data = Path(path).read_bytes()
        for _type, _headers, der in pem.unarmor(data, multiple=True) if pem.detect(data) else []:
            roots.append(x509.Certificate.load(der))
        if not pem.detect(data):
            roots.append(x509.Certificate.load(data))
    roots += [c for c in signer.cert_registry if c.self_signed]
    return ValidationContext(
        trust_roots=roots,
        allow_fetching=True,
        revocation_mode="soft-fail",
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=settings.SIGNING_TIMEOUT),
    )


def _sign_with(
    signer,
    *,
    pdf: bytes,
    reason: str,
    signer_name: str,
    signer_title: str,
    location: str,
    qr_url: str,
    long_term: bool,
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page, box = appearance.last_page_box(writer)
    field_name = f"Signature-{uuid.uuid4().hex[:8]}"
    timestamper = (
        timestamps.HTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=settings.SIGNING_TIMEOUT)
        if settings.SIGNING_TSA_URL
        else None
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        name=signer_name or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=long_term,
        validation_context=_validation_context(signer) if long_term else None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        stamp_style=appearance.stamp_style(
            signer_name=signer_name, signer_title=signer_title, with_qr=bool(qr_url)
        ),
        new_field_spec=fields.SigFieldSpec(field_name, on_page=page, box=box),
    )
    out = run_coroutine(
        pdf_signer.async_sign_pdf(
            writer, appearance_text_params={"url": qr_url} if qr_url else None
        )
    )
    return out.getvalue()


def document_sign(
    *,
    pdf: bytes,
    reason: str,
    signer_name: str,
    signer_title: str,
    location: str,
    qr_url: str = "",
    provider: SignerProvider | None = None,
) -> bytes:
    """Sign `pdf` with the agency's key (PAdES) and return the signed file.

    The signature carries `reason` and `location`; its visible appearance, at the bottom right
    of the last page, names the organisation, `signer_name` and `signer_title` and the signing
    time, with a QR code of `qr_url` when given. Level: B-LT when SIGNING_TSA_URL is set and the
    chain's revocation data can be embedded, B-T when it cannot (logged), B-B without a TSA.
    `provider` defaults to the configured one.
    Raises `SigningUnavailable` when signing is off or the key cannot be reached; a TSA that
    does not answer raises too (a B-T document is never silently downgraded to B-B), and so
    does a signing certificate found revoked or expired while collecting revocation data.
    """
    provider = provider or signer_provider()
    if provider is None:
        raise SigningUnavailable("signing is off (SIGNING_PROVIDER=none)")
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator.errors import ExpiredError, NotYetValidError, RevokedError

    def sign(signer, *, long_term: bool) -> bytes:
        try:
            return _sign_with(
                signer,
                pdf=pdf,
                reason=reason,
                signer_name=signer_name,
                signer_title=signer_title,
                location=location,
                qr_url=qr_url,
                long_term=long_term,
            )
        except TimestampRequestError as exc:
            raise SigningUnavailable(f"timestamp authority: {exc}") from exc

    with provider.open() as signer:
        if settings.SIGNING_TSA_URL:
            try:
                return sign(signer, long_term=True)
            except SigningUnavailable:
                raise
            except Exception as exc:  # pyHanko's validation and fetch errors have many types
                cause: BaseException | None = exc
                while cause is not None:  # pyHanko wraps the validator's verdict
                    if isinstance(cause, (RevokedError, ExpiredError, NotYetValidError)):
                        # The agency's own certificate may not sign any more: refuse.
                        raise SigningUnavailable(
                            f"the signing certificate is not valid: {cause}"
                        ) from exc
                    cause = cause.__cause__ or cause.__context__
                logger.warning("B-LT not possible (%s); signing at level B-T", exc)
        return sign(signer, long_term=False)


def _filename(kind: str, dossier_code: str, reference) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", dossier_code) or "document"
    return f"{kind}-{safe}-{str(reference)[:8]}.pdf"


def document_issue(
    *,
    kind: str,
    dossier_code: str,
    render: Callable[[str], bytes],
    signer_name: str = "",
    signer_title: str = "",
    reason: str = "",
    issue_key: str = "",
    qr_in_signature: bool = False,
) -> IssuedDocument:
    """Issue one document: record it, render it, sign it, store it, record its hash.

    `render(verify_url)` returns the PDF, which prints `verify_url` as a QR code (top left);
    a document the portal did not render (the result) passes `qr_in_signature=True` and the QR
    code is drawn in the signature's appearance instead. `issue_key` makes issuing idempotent:
    a document already issued under the same key is returned as it is (slips are issued once
    and then served from storage). With SIGNING_PROVIDER=none the document is stored unsigned
    (`signed` False) and still recorded with its hash.
    Side effects: one IssuedDocument row and one private file.
    Raises `SigningUnavailable` when signing is on but the key or the TSA cannot be reached
    (nothing is recorded then).
    """
    if issue_key:
        existing = IssuedDocument.objects.filter(issue_key=issue_key).first()
        if existing is not None:
            return existing
    provider = signer_provider()
    reference = uuid.uuid4()
    url = verify_url_for(reference)
    pdf = render(url)
    if provider is not None:
        pdf = document_sign(
            pdf=pdf,
            reason=reason or REASONS_VI.get(DocumentKind(kind), "Phát hành văn bản"),
            signer_name=signer_name,
            signer_title=signer_title,
            location=settings.PORTAL_CONTACT_ADDRESS,
            qr_url=url if qr_in_signature else "",
            provider=provider,
        )
    document = IssuedDocument(
        reference=reference,
        kind=kind,
        dossier_code=dossier_code,
        issue_key=issue_key or None,
        sha256=hashlib.sha256(pdf).hexdigest(),
        signed=provider is not None,
        signer_name=signer_name,
        signer_title=signer_title,
        organisation=settings.SIGNING_ORGANISATION,
    )
    document.file.save(_filename(kind, dossier_code, reference), ContentFile(pdf), save=False)
    undo_on_error(str(document.file.name))
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Issued concurrently under the same key: keep the first, drop this copy.
        document.file.delete(save=False)
        if issue_key:
            return IssuedDocument.objects.get(issue_key=issue_key)
        raise
    return document
