"""Issuing a dossier's slips: once, signed, stored (then served from storage)."""

from signing.constants import DocumentKind
from signing.models import IssuedDocument
from signing.services import document_issue

from .. import documents
from ..models import Dossier


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
