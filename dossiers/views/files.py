"""Downloads of a dossier's private files and slips, for its applicant or the agency's staff.

Another user's dossier, file or slip is a 404, never a 403: its existence is not revealed.
"""

import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from core.uploads import CONTENT_TYPES, extension_of
from signing.models import IssuedDocument
from signing.services import SigningUnavailable

from .. import documents, selectors, services
from ..constants import COMPLETED
from ..models import Attachment, Dossier

logger = logging.getLogger(__name__)


def file_response(name: str | None, filename: str, content_type: str) -> FileResponse:
    """Stream a private file as a download: never inline, never sniffed as something else."""
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file of a dossier, for its applicant or the agency's staff."""
    try:
        dossier = selectors.dossier_for_file_access(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    attachment = get_object_or_404(Attachment, dossier=dossier, pk=attachment_id)
    return file_response(attachment.file.name, attachment.original_name, attachment.content_type)


@login_required
def result_download(request: HttpRequest, pk: int) -> FileResponse:
    """The result document, once the dossier has a result."""
    try:
        dossier = selectors.dossier_for_file_access(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    if not dossier.result_file or dossier.status not in COMPLETED:
        raise Http404
    return file_response(
        dossier.result_file.name,
        dossier.result_name or "ket-qua",
        content_type_for(dossier.result_file.name),
    )


def content_type_for(name: str | None) -> str:
    return CONTENT_TYPES.get(extension_of(name or ""), "application/octet-stream")


@login_required
def slip_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A printable slip (receipt, supplement request, rejection) as PDF."""
    try:
        dossier = selectors.dossier_for_slip(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    return slip_response(dossier, kind)


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF as a private download."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def issued_response(
    issue: Callable[[], IssuedDocument], unsigned: Callable[[], bytes], filename: str
) -> HttpResponse:
    """A document as issued (signed, stored once, served from storage). When it cannot be
    signed right now (the key or the timestamp authority is unreachable), an unsigned copy is
    rendered for this response only, so nobody is left without their document."""
    try:
        issued = issue()
        with issued.file.open("rb") as handle:  # a slip or letter is small: one read
            pdf = handle.read()
    except SigningUnavailable:
        logger.exception("%s served unsigned", filename)
        pdf = unsigned()
    return pdf_response(pdf, filename)


def slip_response(dossier: Dossier, kind: str) -> HttpResponse:
    """The slip `kind` of `dossier` as issued (see `issued_response`)."""
    if kind not in documents.slips_available(dossier):
        raise Http404
    return issued_response(
        lambda: services.dossier_slip_issue(dossier=dossier, kind=kind),
        lambda: documents.dossier_slip_pdf(dossier=dossier, kind=kind),
        documents.slip_filename(dossier, kind),
    )
