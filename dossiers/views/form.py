"""The dossier form (Nộp hồ sơ): create, resume and submit a draft.

The write is `services.dossier_form_post`; these views limit the uploads while the body
streams, check CSRF after that, and show what the service did.
"""

import uuid
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.uploads import LimitedUploadHandler, size_limit_mb, type_labels
from procedures.models import Procedure

from .. import services
from ..constants import DELIVERY_FIELDS, DossierStatus
from ..forms import DossierForm
from ..models import Attachment, Dossier
from ..services import DossierError, Outcome

S = DossierStatus


def upload_slots_for(components, errors: dict) -> list[dict]:
    """The upload slot of each component: field name, accepted types, size limit, errors."""
    slots = []
    for component in components:
        types = [t.lower() for t in component.file_types]
        accept = sorted({f".{t}" for t in types} | ({".jpeg"} if "jpg" in types else set()))
        slots.append(
            {
                "component": component,
                "name": f"component_{component.pk}",
                "accept": ",".join(accept),
                "types": type_labels(component.file_types),
                "max_mb": size_limit_mb(component.max_size_mb),
                "files": [],
                "errors": errors.get(component.pk, []),
            }
        )
    return slots


def _upload_slots(procedure: Procedure, dossier: Dossier | None, errors: dict) -> list[dict]:
    current: dict[int, list[Attachment]] = {}
    if dossier is not None:
        for attachment in dossier.attachments.filter(is_current=True).order_by("id"):
            current.setdefault(attachment.component_id, []).append(attachment)
    slots = upload_slots_for(procedure.components.all(), errors)
    for slot in slots:
        slot["files"] = current.get(slot["component"].pk, [])
    return slots


def _render_form(
    request: HttpRequest,
    *,
    procedure: Procedure,
    form: DossierForm,
    dossier: Dossier | None,
    upload_errors: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    upload_errors = upload_errors or {}
    slots = _upload_slots(procedure, dossier, upload_errors)
    action = (
        reverse("dossiers:edit", args=[dossier.pk])
        if dossier is not None
        else reverse("dossiers:create", args=[procedure.slug])
    )
    return render(
        request,
        "dossiers/dossier_form.html",
        {
            "procedure": procedure,
            "form": form,
            "dossier": dossier,
            "slots": slots,
            "upload_errors": [(s, e) for s in slots for e in s["errors"]],
            "form_action": action,
        },
        status=status,
    )


def _procedure_for_form(**lookup) -> Procedure:
    """The procedure with its components and fields; a new dossier needs a published one."""
    qs = Procedure.objects.select_related("agency").prefetch_related("components", "form_fields")
    if "slug" in lookup:
        qs = qs.published()
    return get_object_or_404(qs, **lookup)


def _limit_uploads(request: HttpRequest, procedure: Procedure) -> LimitedUploadHandler:
    """Put the size- and count-limiting handler first, before the body is read."""
    handler = LimitedUploadHandler(
        request,
        limits_mb={
            f"component_{c.pk}": size_limit_mb(c.max_size_mb) for c in procedure.components.all()
        },
    )
    request.upload_handlers.insert(0, handler)
    return handler


@csrf_exempt  # checked in _form_post, after the upload limits are in place
@login_required
@require_http_methods(["GET", "POST"])
def dossier_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Nộp hồ sơ: a new dossier form for a published procedure, pre-filled from the profile."""
    procedure = _procedure_for_form(slug=slug)
    if request.method == "POST":
        handler = _limit_uploads(request, procedure)
        return _form_post(request, procedure=procedure, dossier_id=None, handler=handler)
    initial = DossierForm.initial_for(services.applicant_prefill(request.user), {}, uuid.uuid4())
    form = DossierForm(procedure=procedure, initial=initial)
    return _render_form(request, procedure=procedure, form=form, dossier=None)


@csrf_exempt  # checked in _form_post, after the upload limits are in place
@login_required
@require_http_methods(["GET", "POST"])
def dossier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume a draft."""
    dossier = get_object_or_404(Dossier.objects.for_citizen(request.user), pk=pk)
    if dossier.status != S.DRAFT:
        return redirect(dossier)
    procedure = _procedure_for_form(pk=dossier.procedure_id)
    if request.method == "POST":
        handler = _limit_uploads(request, procedure)
        return _form_post(request, procedure=procedure, dossier_id=dossier.pk, handler=handler)
    applicant = {
        name: getattr(dossier, name) for name in (*services.APPLICANT_FIELDS, *DELIVERY_FIELDS)
    }
    initial = DossierForm.initial_for(applicant, dossier.data, dossier.form_token)
    form = DossierForm(procedure=procedure, initial=initial)
    return _render_form(request, procedure=procedure, form=form, dossier=dossier)


def posted_answer(request: HttpRequest, handler: LimitedUploadHandler) -> services.PostedAnswer:
    """The posted form for the services ("submit" sends it; any other action saves it)."""
    return services.PostedAnswer(
        data=request.POST,
        files=request.FILES,
        send=request.POST.get("action", "save") == "submit",
        rejected=handler.rejected,
    )


@csrf_protect
def _form_post(
    request: HttpRequest,
    *,
    procedure: Procedure,
    dossier_id: int | None,
    handler: LimitedUploadHandler,
) -> HttpResponse:
    """Save a draft or submit it (`services.dossier_form_post`) and show what happened."""
    try:
        token = uuid.UUID(request.POST.get("form_token", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The form is incomplete. Please reload the page."))
    try:
        result = services.dossier_form_post(
            user=request.user,
            procedure=procedure,
            dossier_id=dossier_id,
            form_token=token,
            posted=posted_answer(request, handler),
        )
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    except DossierError as exc:
        messages.error(request, str(exc))
        return redirect("dossiers:create", slug=procedure.slug)
    dossier = result.dossier
    if result.outcome == Outcome.ALREADY_SENT:
        # Already submitted (a resent form, a second click): show it, change nothing.
        return redirect(dossier)
    if result.outcome == Outcome.SAVED:
        messages.success(request, _("Your draft was saved. You can come back to it."))
        return redirect("dossiers:edit", pk=dossier.pk)
    if result.outcome == Outcome.SENT:
        messages.success(
            request,
            _(
                "Your dossier was sent. The agency will receive it and give it a code; "
                "you will be told by email."
            ),
        )
        return redirect(dossier)
    return _render_form(
        request,
        procedure=procedure,
        form=cast(DossierForm, result.form),
        dossier=dossier,
        upload_errors=result.upload_errors,
    )
