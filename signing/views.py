"""The public verification page (/verify/): anyone checks a signed PDF, or arrives from the QR
code printed on a document the portal issued. Uploaded files are never stored."""

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.ratelimit import rate_limited
from core.uploads import LimitedUploadHandler

from .forms import VerifyForm, verify_max_size_mb
from .models import IssuedDocument
from .verify import Verdict, pdf_verify

verify_rate_limited = rate_limited(
    "verify",
    limit=lambda: settings.VERIFY_RATE_LIMIT,
    window=lambda: settings.VERIFY_RATE_WINDOW,
    template="signing/rate_limited.html",
)


def _limit_upload(request: HttpRequest) -> LimitedUploadHandler:
    """Refuse an oversized file while it streams in, before anything reads the body."""
    handler = LimitedUploadHandler(request, limits_mb={"document": verify_max_size_mb()})
    request.upload_handlers.insert(0, handler)
    return handler


def _page(
    request: HttpRequest,
    *,
    form: VerifyForm,
    verdict: Verdict | None = None,
    record: IssuedDocument | None = None,
    reference: uuid.UUID | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "verdict": verdict,
        "record": record,
        "reference": reference,
        # Arrived from a QR code and uploaded a copy: is it the very file recorded there?
        "matches_record": bool(
            verdict
            and record
            and verdict.issued
            and verdict.issued.reference == str(record.reference)
        ),
    }
    response = render(request, "signing/verify.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _handle(
    request: HttpRequest, handler: LimitedUploadHandler, *, record=None, reference=None
) -> HttpResponse:
    if request.method != "POST":
        return _page(request, form=VerifyForm(), record=record, reference=reference)
    return _verify_post(request, handler, record=record, reference=reference)


@csrf_protect
def _verify_post(
    request: HttpRequest, handler: LimitedUploadHandler, *, record, reference
) -> HttpResponse:
    form = VerifyForm(request.POST, request.FILES)
    rejected = handler.rejected.get("document", [])
    for error in rejected:
        form.add_error("document", error)
    if rejected or not form.is_valid():
        for name in request.FILES:
            for upload in request.FILES.getlist(name):
                upload.close()  # a temporary file on disk goes at once
        return _page(request, form=form, record=record, reference=reference, status=400)
    verdict = pdf_verify(form.read())
    return _page(request, form=VerifyForm(), verdict=verdict, record=record, reference=reference)


@csrf_exempt  # checked in _verify_post, once the upload limit is in place
@require_http_methods(["GET", "HEAD", "POST"])
@verify_rate_limited
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a PDF and read who signed it, when, whether it changed and whether the portal
    issued it."""
    return _handle(request, _limit_upload(request))


@csrf_exempt  # checked in _verify_post, once the upload limit is in place
@require_http_methods(["GET", "HEAD", "POST"])
@verify_rate_limited
@never_cache
def verify_reference(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """The QR code's target: the document recorded under `reference`, and an invitation to
    upload the copy one holds to check it is that very file. An unknown reference is a 404
    with the same upload form."""
    handler = _limit_upload(request)
    record = (
        IssuedDocument.objects.filter(reference=reference)
        .only(
            "reference",
            "kind",
            "dossier_code",
            "issued_at",
            "signer_name",
            "signer_title",
            "organisation",
            "sha256",
        )
        .first()
    )
    if record is None and request.method != "POST":
        return _page(request, form=VerifyForm(), reference=reference, status=404)
    return _handle(request, handler, record=record, reference=reference)
