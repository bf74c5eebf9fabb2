"""Checking the signatures of a PDF (the verification page and the admin's signature panel).

`pdf_verify(data)` answers, for every signature in the file: who signed (the organisation in the
certificate, the person named in the signature), when (the trusted timestamp), whether the file
changed after signing, and whether the certificate was valid *at the time of signing*: it chains
to a trust root of `SIGNING_TRUST_ROOTS`, was not revoked then, had not expired. It also says
whether this exact file is one the portal issued (its SHA-256 in `IssuedDocument`), and if so
gives the dossier code and the kind of document: nothing personal.

All cryptography is pyHanko's (`pyhanko.sign.validation`, `pyhanko_certvalidator`). The time of
signing is the signature's timestamp when a trusted timestamp authority vouches for it: the
certificate is then judged at that moment (point-in-time validation), with the revocation
information fetched now and taken to hold back then (a later revocation does not undo an earlier
signature). Without a trusted timestamp the certificate is judged now.

Revocation data (OCSP, CRL) is fetched over HTTP, with a short timeout and a small budget of
requests, and only for certificates on a path to a configured trust root; issuer certificates are
never fetched from the addresses a certificate names (an uploaded file must not make the portal
call addresses of its choosing): the signature must carry its chain, or the intermediates must be
among the trust roots.
"""

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import collect_timing_info
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.api import Fetchers, FetchLimits
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from .aio import run_coroutine
from .models import IssuedDocument

logger = logging.getLogger(__name__)

# At most this many signatures of one file are checked (a hostile file may carry thousands).
MAX_SIGNATURES = 10
# Network requests (OCSP, CRL) one verification may make, all signatures together.
MAX_FETCHES = 20


class Outcome(enum.StrEnum):
    """The verdict on the whole file, one machine-readable value (the page's headline)."""

    ISSUED = "issued"  # every signature valid, and the portal issued this exact file
    VALID_NOT_ISSUED = "valid_not_issued"  # valid signatures, not a file the portal issued
    INVALID = "invalid"  # at least one signature fails a check
    ISSUED_UNSIGNED = "issued_unsigned"  # issued by the portal while signing was off
    UNSIGNED = "unsigned"  # no signature at all
    UNREADABLE = "unreadable"  # not a PDF that can be read


class Integrity(enum.StrEnum):
    """Whether the signed bytes are still what was signed."""

    INTACT = "intact"  # nothing changed since signing (validation data may have been added)
    SIGNED_AGAIN = "signed_again"  # unchanged, but other signatures were added afterwards
    MODIFIED = "modified"  # changed after signing, or the signature does not match the content


class Certificate(enum.StrEnum):
    """The signer's certificate at the time of signing."""

    VALID = "valid"  # chains to a trust root, not revoked, not expired
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN_CA = "unknown_ca"  # no chain to any configured trust root
    UNCHECKED = "unchecked"  # the chain or its revocation status could not be established


class Timestamp(enum.StrEnum):
    TRUSTED = "trusted"  # an RFC 3161 timestamp from a trusted authority
    UNTRUSTED = "untrusted"  # a timestamp is present but cannot be trusted
    NONE = "none"


OUTCOME_TITLES = {
    Outcome.ISSUED: _("Valid signature: a document issued by this portal"),
    Outcome.VALID_NOT_ISSUED: _("Valid signature, not issued by this portal"),
    Outcome.INVALID: _("The signature is not valid"),
    Outcome.ISSUED_UNSIGNED: _("Issued by this portal, without a digital signature"),
    Outcome.UNSIGNED: _("This PDF is not signed"),
    Outcome.UNREADABLE: _("This file cannot be read as a PDF"),
}
OUTCOME_MESSAGES = {
    Outcome.ISSUED: _(
        "The document is signed, unchanged since it was signed, and the portal issued this "
        "exact file."
    ),
    Outcome.VALID_NOT_ISSUED: _(
        "The signature is valid and the document is unchanged since it was signed, but this "
        "portal has no record of issuing this exact file. It may have been signed elsewhere, "
        "or be a different version of a document."
    ),
    Outcome.INVALID: _(
        "Do not rely on this document: at least one of its signatures fails a check, "
        "explained below."
    ),
    Outcome.ISSUED_UNSIGNED: _(
        "The portal issued this exact file, but it carries no digital signature."
    ),
    Outcome.UNSIGNED: _(
        "The file carries no digital signature, so nothing can be said about who made it or "
        "whether it was changed. It is not a document this portal issued."
    ),
    Outcome.UNREADABLE: _(
        "The file is damaged or is not a PDF document. Upload the PDF file as you received it."
    ),
}
INTEGRITY_MESSAGES = {
    Integrity.INTACT: _("Not modified since signing."),
    Integrity.SIGNED_AGAIN: _(
        "Not modified since signing; other signatures, checked separately, were added afterwards."
    ),
    Integrity.MODIFIED: _(
        "Modified after signing: the content is no longer what was signed, or the signature "
        "is damaged."
    ),
}
CERTIFICATE_MESSAGES = {
    Certificate.VALID: _(
        "The certificate was valid at the time of signing: it chains to a trusted "
        "certification authority, was not revoked and had not expired."
    ),
    Certificate.REVOKED: _(
        "The certificate had been revoked by its certification authority at the time of signing."
    ),
    Certificate.EXPIRED: _("The certificate had expired at the time of signing."),
    Certificate.NOT_YET_VALID: _("The certificate was not yet valid at the time of signing."),
    Certificate.UNKNOWN_CA: _(
        "The certificate was issued by a certification authority this portal does not trust."
    ),
    Certificate.UNCHECKED: _(
        "The validity of the certificate could not be confirmed (its revocation status or its "
        "chain could not be checked). Try again later."
    ),
}
TIMESTAMP_MESSAGES = {
    Timestamp.TRUSTED: _("Time of signing certified by a trusted timestamp authority."),
    Timestamp.UNTRUSTED: _(
        "The signature carries a timestamp that cannot be trusted; the time shown is the one "
        "the signer's computer claimed."
    ),
    Timestamp.NONE: _(
        "The signature has no timestamp; the time shown is the one the signer's computer claimed."
    ),
}


@dataclass(frozen=True)
class SignatureCheck:
    """What one signature of the file says, and whether it holds."""

    field_name: str
    organisation: str  # O of the certificate's subject
    signer: str  # the certificate's common name
    person: str  # the person named in the signature (/Name, else its reason)
    reason: str
    location: str
    signed_at: datetime | None  # the timestamp's time, else the time the signer claimed
    timestamp: Timestamp
    integrity: Integrity
    certificate: Certificate
    covers_whole_file: bool  # False when something (even only validation data) was appended

    @property
    def valid(self) -> bool:
        return self.integrity != Integrity.MODIFIED and self.certificate == Certificate.VALID

    @property
    def timestamped(self) -> bool:
        return self.timestamp == Timestamp.TRUSTED

    @property
    def integrity_message(self) -> str:
        return str(INTEGRITY_MESSAGES[self.integrity])

    @property
    def certificate_message(self) -> str:
        return str(CERTIFICATE_MESSAGES[self.certificate])

    @property
    def timestamp_message(self) -> str:
        return str(TIMESTAMP_MESSAGES[self.timestamp])


@dataclass(frozen=True)
class IssuedMatch:
    """What the portal recorded when it issued this file: no personal data."""

    reference: str
    kind: str
    kind_label: str
    dossier_code: str
    issued_at: datetime


@dataclass(frozen=True)
class Verdict:
    sha256: str
    readable: bool
    signatures: tuple[SignatureCheck, ...] = ()
    issued: IssuedMatch | None = None
    # More signatures than MAX_SIGNATURES: the rest were not checked (and the file is not valid).
    unchecked_signatures: int = 0

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def valid(self) -> bool:
        """Signed, and every signature holds."""
        return (
            self.signed
            and not self.unchecked_signatures
            and all(check.valid for check in self.signatures)
        )

    @property
    def outcome(self) -> Outcome:
        if not self.readable:
            return Outcome.UNREADABLE
        if not self.signed:
            return Outcome.ISSUED_UNSIGNED if self.issued else Outcome.UNSIGNED
        if not self.valid:
            return Outcome.INVALID
        return Outcome.ISSUED if self.issued else Outcome.VALID_NOT_ISSUED

    @property
    def title(self) -> str:
        return str(OUTCOME_TITLES[self.outcome])

    @property
    def message(self) -> str:
        return str(OUTCOME_MESSAGES[self.outcome])


# Trust roots


@cache
def _load_roots(paths: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    roots: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            roots.extend(x509.Certificate.load(der) for _t, _h, der in pem.unarmor(data, True))
        else:
            roots.append(x509.Certificate.load(data))
    return tuple(roots)


def trust_roots() -> tuple[x509.Certificate, ...]:
    """The certificates of `SIGNING_TRUST_ROOTS` (PEM files, each one or more certificates)."""
    return _load_roots(tuple(str(p) for p in settings.SIGNING_TRUST_ROOTS))


def _fetchers() -> Fetchers:
    """One budget of requests per verification; no issuer certificate is fetched (see above)."""
    backend = RequestsFetcherBackend(
        per_request_timeout=settings.SIGNING_TIMEOUT,
        limits=FetchLimits(
            max_requests=MAX_FETCHES, max_cert_requests=0, max_aia_urls_per_object=0
        ),
    )
    return backend.get_fetchers()


def _context(fetchers: Fetchers, moment: datetime | None = None) -> ValidationContext:
    """Validation against the configured roots, revocation checked (fetched) and required
    wherever the certificate names where to find it ("hard-fail"); at `moment` if given."""
    return ValidationContext(
        trust_roots=list(trust_roots()),
        allow_fetching=True,
        fetchers=fetchers,
        revocation_mode="hard-fail",
        moment=moment,
        # Revocation data fetched today speaks for the moment of signing: a certificate revoked
        # before that moment is refused, one revoked after it is not held against the signature.
        retroactive_revinfo=moment is not None,
    )


# Reading the results


def _subject_value(cert: x509.Certificate, name: str) -> str:
    value = cert.subject.native.get(name, "")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value or "")


def _text(sig_object, key: str) -> str:
    try:
        value = sig_object.get(key)
    except Exception:  # a malformed entry says nothing
        return ""
    return str(value).strip() if value is not None else ""


_EXPIRED = {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}


def _certificate_state(status: PdfSignatureStatus) -> Certificate:
    problem = status.trust_problem_indic
    if problem is None and status.validation_path is not None:
        return Certificate.VALID
    if status.revoked or problem in _REVOKED:
        return Certificate.REVOKED
    if problem in _EXPIRED:
        return Certificate.EXPIRED
    if problem == AdESIndeterminate.NOT_YET_VALID:
        return Certificate.NOT_YET_VALID
    if problem == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return Certificate.UNKNOWN_CA
    return Certificate.UNCHECKED


def _integrity(status: PdfSignatureStatus, other_signatures: frozenset[str]) -> Integrity:
    if not (status.intact and status.valid):
        return Integrity.MODIFIED
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return Integrity.INTACT
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return Integrity.MODIFIED
    # Appended later: validation data and document timestamps (B-LT, B-LTA) leave the signed
    # content as it was; so do further signatures (a countersignature fills its own field).
    # Anything else (other form fields, annotations, edits) changed what was signed.
    level = status.modification_level
    if level == ModificationLevel.LTA_UPDATES or level == ModificationLevel.NONE:
        return Integrity.INTACT
    diff = status.diff_result
    if (
        level == ModificationLevel.FORM_FILLING
        and isinstance(diff, DiffResult)
        and diff.changed_form_fields <= other_signatures
    ):
        return Integrity.SIGNED_AGAIN
    return Integrity.MODIFIED


async def _check_signature(
    sig: EmbeddedPdfSignature, fetchers: Fetchers, other_signatures: frozenset[str]
) -> SignatureCheck:
    now_context = _context(fetchers)
    timing = await collect_timing_info(sig.signer_info, now_context, raw_digest=sig.compute_digest)
    tst = timing.get("timestamp_validity")
    timestamp_ok = tst is not None and tst.intact and tst.valid and tst.trusted
    moment = tst.timestamp if timestamp_ok else None
    status = await async_validate_pdf_signature(
        sig,
        signer_validation_context=_context(fetchers, moment) if moment else now_context,
        ts_validation_context=now_context,
    )
    claimed = timing.get("signer_reported_dt") or sig.self_reported_timestamp
    sig_object = sig.sig_object
    reason = _text(sig_object, "/Reason")
    cert = sig.signer_cert
    return SignatureCheck(
        field_name=str(sig.field_name or ""),
        organisation=_subject_value(cert, "organization_name"),
        signer=_subject_value(cert, "common_name"),
        person=_text(sig_object, "/Name") or reason,
        reason=reason,
        location=_text(sig_object, "/Location"),
        signed_at=moment or claimed,
        timestamp=(
            Timestamp.TRUSTED
            if timestamp_ok
            else (Timestamp.UNTRUSTED if tst is not None else Timestamp.NONE)
        ),
        integrity=_integrity(status, other_signatures),
        certificate=_certificate_state(status),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )


def _broken(sig: EmbeddedPdfSignature | None, name: str) -> SignatureCheck:
    """A signature pyHanko could not even evaluate: its structure is damaged."""
    organisation = signer = ""
    if sig is not None:
        try:
            organisation = _subject_value(sig.signer_cert, "organization_name")
            signer = _subject_value(sig.signer_cert, "common_name")
        except Exception:  # no usable certificate either
            logger.info("signature %s carries no readable certificate", name)
    return SignatureCheck(
        field_name=name,
        organisation=organisation,
        signer=signer,
        person="",
        reason="",
        location="",
        signed_at=None,
        timestamp=Timestamp.NONE,
        integrity=Integrity.MODIFIED,
        certificate=Certificate.UNCHECKED,
        covers_whole_file=False,
    )


async def _check_all(signatures: list[EmbeddedPdfSignature]) -> tuple[SignatureCheck, ...]:
    fetchers = _fetchers()
    names = frozenset(str(sig.field_name) for sig in signatures)
    checks = []
    for sig in signatures:
        try:
            others = names - {str(sig.field_name)}
            checks.append(await _check_signature(sig, fetchers, others))
        except SignatureValidationError as exc:
            logger.info("signature %s could not be evaluated: %s", sig.field_name, exc)
            checks.append(_broken(sig, str(sig.field_name or "")))
        except Exception:  # a hostile or damaged file must give a verdict, never an error page
            logger.warning("signature %s could not be evaluated", sig.field_name, exc_info=True)
            checks.append(_broken(sig, str(sig.field_name or "")))
    return tuple(checks)


def issued_match(sha256: str) -> IssuedMatch | None:
    """The portal's record of the file with this hash, if it issued it."""
    doc = (
        IssuedDocument.objects.filter(sha256=sha256)
        .only("reference", "kind", "dossier_code", "issued_at")
        .first()
    )
    if doc is None:
        return None
    return IssuedMatch(
        reference=str(doc.reference),
        kind=doc.kind,
        kind_label=str(doc.get_kind_display()),
        dossier_code=doc.dossier_code,
        issued_at=doc.issued_at,
    )


def _signatures(data: bytes) -> list[EmbeddedPdfSignature] | None:
    """The file's signatures (document timestamps left out), or None if it cannot be read."""
    if data.lstrip()[:5] != b"%PDF-":
        return None
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        return list(reader.embedded_regular_signatures)
    except Exception as exc:  # pyHanko raises many kinds of errors on a damaged file
        logger.info("unreadable PDF: %s", exc)
        return None


def pdf_verify(data: bytes) -> Verdict:
    """Check every signature of the PDF `data` and whether the portal issued this exact file.

    Reads the database (`IssuedDocument`) and may fetch revocation data over HTTP (bounded:
    `MAX_FETCHES` requests of `SIGNING_FETCH_TIMEOUT` seconds). Never raises on a bad file:
    an unreadable or damaged one is a verdict too. Nothing is stored.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    issued = issued_match(sha256)
    signatures = _signatures(data)
    if signatures is None:
        return Verdict(sha256=sha256, readable=False, issued=issued)
    extra = max(0, len(signatures) - MAX_SIGNATURES)
    checks = run_coroutine(_check_all(signatures[:MAX_SIGNATURES])) if signatures else ()
    return Verdict(
        sha256=sha256,
        readable=True,
        signatures=checks,
        issued=issued,
        unchecked_signatures=extra,
    )
