"""Issuing a dossier's slips: once, signed, stored (then served from storage)."""

from signing.constants import DocumentKind
from signing.models import IssuedDocument
from signing.services import document_issue

from .. import documents, letters
from ..models import ApologyLetter, Dossier
from .results import signer_identity


def slip_issue_key(dossier: Dossier, kind: str) -> str:
    """What one slip is issued for: the dossier (receipt, rejection), or its latest supplement
    request (each request gets its own slip)."""
    if kind == "supplement":
        return f"supplement:{dossier.supplement_requests.all()[0].pk}"
    return f"{kind}:{dossier.pk}"


def dossier_slip_issue(*, dossier: Dossier, kind: str) -> IssuedDocument:
    """The issued slip `kind` of `dossier`: rendered with the QR code of its verification URL,
    signed by the agency (`signing.services.document_issue`) and stored the first time; the
    stored document every time after.

    Precondition: `kind in documents.slips_available(dossier)`.
    Raises `signing.services.SigningUnavailable` when signing is on but cannot be done now.
    """
    return document_issue(
        kind=DocumentKind(kind),
        dossier_code=dossier.code or str(dossier.pk),
        render=lambda url: documents.dossier_slip_pdf(dossier=dossier, kind=kind, verify_url=url),
        issue_key=slip_issue_key(dossier, kind),
    )


def apology_letter_issue(*, letter: ApologyLetter) -> IssuedDocument:
    """A signed apology letter and new appointment, issued once: rendered with its QR code,
    signed by the agency with the signing leader's name and title, stored.

    Precondition: the letter is signed (a draft is printed, never issued).
    Raises `signing.services.SigningUnavailable` when signing cannot be done now."""
    dossier = letter.dossier
    name, title = signer_identity(actor=letter.signed_by, agency_id=dossier.agency_id)
    return document_issue(
        kind=DocumentKind.APOLOGY,
        dossier_code=dossier.code or str(dossier.pk),
        render=lambda url: letters.apology_letter_pdf(letter, verify_url=url),
        signer_name=name,
        signer_title=title,
        issue_key=f"apology:{letter.pk}",
    )


def stop_notice_issue(*, dossier: Dossier) -> IssuedDocument:
    """The stop notice of a stopped dossier, issued once and signed like the apology letter,
    with the name of the leader who stopped it."""
    name, title = signer_identity(actor=dossier.stopped_by, agency_id=dossier.agency_id)
    return document_issue(
        kind=DocumentKind.STOP,
        dossier_code=dossier.code or str(dossier.pk),
        render=lambda url: letters.stop_notice_pdf(dossier, verify_url=url),
        signer_name=name,
        signer_title=title,
        issue_key=f"stop:{dossier.pk}",
    )


def control_slip_issue(*, dossier: Dossier) -> IssuedDocument:
    """The processing-control slip as printed now: each print is its own issued (signed,
    recorded) document, since the slip grows with every hand-over."""
    return document_issue(
        kind=DocumentKind.CONTROL_SLIP,
        dossier_code=dossier.code or str(dossier.pk),
        render=lambda url: letters.control_slip_pdf(dossier, verify_url=url),
    )
