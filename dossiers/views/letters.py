"""The applicant's copies of the late and stop documents: each signed apology letter and the
stop notice, as PDF. Staff get them (and the control slip) from the dossier's admin page.

Another user's dossier or letter, or a letter not signed yet, is a 404.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from .. import letters, selectors, services
from ..constants import ApologyStatus, DossierStatus
from ..models import ApologyLetter, Dossier
from .files import issued_response, pdf_response


def apology_response(letter: ApologyLetter) -> HttpResponse:
    """A signed letter as issued; a draft (staff only) printed as a draft, never issued."""
    filename = letters.letter_filename(letter.dossier, "apology")
    if letter.status != ApologyStatus.SIGNED:
        return pdf_response(letters.apology_letter_pdf(letter), filename)
    return issued_response(
        lambda: services.apology_letter_issue(letter=letter),
        lambda: letters.apology_letter_pdf(letter),
        filename,
    )


def stop_notice_response(dossier: Dossier) -> HttpResponse:
    return issued_response(
        lambda: services.stop_notice_issue(dossier=dossier),
        lambda: letters.stop_notice_pdf(dossier),
        letters.letter_filename(dossier, "stop"),
    )


@login_required
def apology_download(request: HttpRequest, pk: int, letter_id: int) -> HttpResponse:
    """A signed apology letter and new appointment of the dossier."""
    try:
        letter = selectors.apology_letter_for_pdf(request.user, pk, letter_id, signed_only=True)
    except ApologyLetter.DoesNotExist as exc:
        raise Http404 from exc
    return apology_response(letter)


@login_required
def stop_notice_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice that processing of the dossier stopped."""
    try:
        dossier = selectors.dossier_for_file_access(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    if dossier.status != DossierStatus.STOPPED:
        raise Http404
    return stop_notice_response(dossier)
