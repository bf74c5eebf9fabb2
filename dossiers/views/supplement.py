"""Bổ sung hồ sơ: the applicant's answer to an open supplement request.

The write is `services.supplement_answer_post`; only the requested files are read from the
body while it streams.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.uploads import LimitedUploadHandler, size_limit_mb

from .. import selectors, services
from ..forms import SupplementForm
from ..models import Attachment, Dossier
from ..services import Outcome, SupplementNotOpen
from .form import posted_answer, upload_slots_for


class SupplementUploadHandler(LimitedUploadHandler):
    """The limits of the dossier form, and files only for the components the request names:
    any other file field is skipped while it streams (never stored, never kept on disk)."""

    def __init__(self, request=None, *, limits_mb: dict[str, int], allowed: set[str]):
        super().__init__(request, limits_mb=limits_mb)
        self.allowed = allowed

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name not in self.allowed:
            self.refusal = _("This file was not asked for and was not stored.")


def _not_open_redirect(request: HttpRequest, dossier: Dossier, exc: SupplementNotOpen):
    if exc.already_sent:
        messages.info(request, str(exc))
    else:
        messages.error(request, str(exc))
    return redirect(dossier)


def _supplement_slots(dossier: Dossier, components, errors: dict) -> list[dict]:
    """One upload slot per requested component, with its current files and older versions."""
    versions: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.filter(component__in=components).order_by(
        "-version", "-id"
    ):
        versions.setdefault(attachment.component_id, []).append(attachment)
    slots = upload_slots_for(components, errors)
    for slot in slots:
        files = versions.get(slot["component"].pk, [])
        slot["files"] = [a for a in files if a.is_current]
        slot["older"] = [a for a in files if not a.is_current]
    return slots


def _render_supplement(
    request: HttpRequest,
    *,
    dossier: Dossier,
    supplement,
    form,
    upload_errors: dict | None = None,
) -> HttpResponse:
    components = list(supplement.components.order_by("order", "id"))
    slots = _supplement_slots(dossier, components, upload_errors or {})
    return render(
        request,
        "dossiers/dossier_supplement.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "supplement": supplement,
            "field_labels": selectors.info_field_labels(
                procedure=dossier.procedure, keys=supplement.fields
            ),
            "form": form,
            "slots": slots,
            "upload_errors": [(s, e) for s in slots for e in s["errors"]],
        },
    )


@csrf_exempt  # checked in _supplement_post, after the upload limits are in place
@login_required
@require_http_methods(["GET", "POST"])
def dossier_supplement(request: HttpRequest, pk: int) -> HttpResponse:
    """Bổ sung hồ sơ: correct the requested information and upload new versions of the
    requested files; save to come back later, or send the supplement."""
    dossier = get_object_or_404(
        Dossier.objects.for_citizen(request.user).select_related("procedure", "agency"), pk=pk
    )
    supplement = selectors.supplement_open(dossier)
    if supplement is None:
        return _not_open_redirect(request, dossier, services.supplement_not_open(dossier))
    if request.method == "POST":
        names = {f"component_{c.pk}": c for c in supplement.components.all()}
        handler = SupplementUploadHandler(
            request,
            limits_mb={name: size_limit_mb(c.max_size_mb) for name, c in names.items()},
            allowed=set(names),
        )
        request.upload_handlers.insert(0, handler)
        return _supplement_post(request, dossier=dossier, handler=handler)
    form = SupplementForm(
        dossier=dossier, supplement=supplement, initial=SupplementForm.initial_for(dossier)
    )
    return _render_supplement(request, dossier=dossier, supplement=supplement, form=form)


@csrf_protect
def _supplement_post(
    request: HttpRequest, *, dossier: Dossier, handler: SupplementUploadHandler
) -> HttpResponse:
    """Save the answer or send it (`services.supplement_answer_post`) and show what happened."""
    try:
        result = services.supplement_answer_post(
            user=request.user,
            dossier_id=dossier.pk,
            posted=posted_answer(request, handler),
        )
    except SupplementNotOpen as exc:
        return _not_open_redirect(request, dossier, exc)
    if result.outcome == Outcome.SAVED:
        messages.success(
            request,
            _(
                "Your answer was saved but not sent yet. Press “Send supplement” when it "
                "is complete."
            ),
        )
        return redirect("dossiers:supplement", pk=dossier.pk)
    if result.outcome == Outcome.SENT:
        messages.success(
            request, _("Your supplement was sent. The agency will review it and continue.")
        )
        return redirect(result.dossier)
    return _render_supplement(
        request,
        dossier=result.dossier,
        supplement=result.supplement,
        form=result.form,
        upload_errors=result.upload_errors,
    )
