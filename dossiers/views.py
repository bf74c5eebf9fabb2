"""The citizen's dossier pages under /me/dossiers/ (Danh sách giao dịch and the dossier form).

Another user's dossier, file or slip is a 404, never a 403: its existence is not revealed.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from procedures.models import Procedure

from . import documents, selectors, services
from .constants import COMPLETED, DossierStatus, Role
from .forms import DossierForm
from .models import Attachment, Dossier
from .services import DossierError, TransitionRefused
from .uploads import (
    CONTENT_TYPES,
    LimitedUploadHandler,
    UploadRejected,
    extension_of,
    sanitize_filename,
    size_limit_mb,
    type_labels,
)

S = DossierStatus
PAGE_SIZE = 20


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


# --- List and detail -------------------------------------------------------------------------


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    """Danh sách giao dịch: every dossier of the user, filterable by status, 20 a page."""
    status = request.GET.get("status", "")
    if status not in S.values:
        status = ""
    qs = selectors.dossier_list_for_citizen(request.user, status=status or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dossiers/dossier_list.html",
        {"page": page, "status": status, "statuses": S.choices},
    )


def _components_with_files(dossier: Dossier) -> list[dict]:
    """Each component of the procedure with its current files and its older versions."""
    by_component: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.all():
        by_component.setdefault(attachment.component_id, []).append(attachment)
    rows = []
    for component in dossier.procedure.components.all():
        files = by_component.get(component.pk, [])
        rows.append(
            {
                "component": component,
                "current": [a for a in files if a.is_current],
                "older": [a for a in files if not a.is_current],
            }
        )
    return rows


def _declared_answers(dossier: Dossier) -> list[tuple[str, str]]:
    data = dossier.data or {}
    return [(f.label, data.get(f.key, "")) for f in dossier.procedure.form_fields.all()]


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dossier = selectors.dossier_detail_for_citizen(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    requests = list(dossier.supplement_requests.all())
    targets = services.available_targets(dossier, Role.CITIZEN)
    return render(
        request,
        "dossiers/dossier_detail.html",
        {
            "dossier": dossier,
            "components": _components_with_files(dossier),
            "answers": _declared_answers(dossier),
            "events": dossier.public_events,  # type: ignore[attr-defined]
            "supplement": requests[0] if requests else None,
            "slips": documents.slips_available(dossier),
            "can_withdraw": S.WITHDRAWN in targets,
            "has_result": bool(dossier.result_file) and dossier.status in COMPLETED,
        },
    )


# --- The dossier form (create, edit, submit) -------------------------------------------------


def _upload_slots(procedure: Procedure, dossier: Dossier | None, errors: dict) -> list[dict]:
    current: dict[int, list[Attachment]] = {}
    if dossier is not None:
        for attachment in dossier.attachments.filter(is_current=True).order_by("id"):
            current.setdefault(attachment.component_id, []).append(attachment)
    slots = []
    for component in procedure.components.all():
        types = [t.lower() for t in component.file_types]
        accept = sorted({f".{t}" for t in types} | ({".jpeg"} if "jpg" in types else set()))
        slots.append(
            {
                "component": component,
                "name": f"component_{component.pk}",
                "accept": ",".join(accept),
                "types": type_labels(component.file_types),
                "max_mb": size_limit_mb(component.max_size_mb),
                "files": current.get(component.pk, []),
                "errors": errors.get(component.pk, []),
            }
        )
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
    applicant = {name: getattr(dossier, name) for name in services.APPLICANT_FIELDS}
    initial = DossierForm.initial_for(applicant, dossier.data, dossier.form_token)
    form = DossierForm(procedure=procedure, initial=initial)
    return _render_form(request, procedure=procedure, form=form, dossier=dossier)


@csrf_protect
def _form_post(
    request: HttpRequest,
    *,
    procedure: Procedure,
    dossier_id: int | None,
    handler: LimitedUploadHandler,
) -> HttpResponse:
    """Save a draft or submit it, in one transaction with the dossier row locked.

    Every valid file is stored on the draft at once, whatever else fails, so nothing uploaded
    is lost; a resent or double-clicked form finds its dossier by `form_token` and, once
    submitted, changes nothing.
    """
    action = request.POST.get("action", "save")
    try:
        token = uuid.UUID(request.POST.get("form_token", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The form is incomplete. Please reload the page."))
    user = request.user
    with transaction.atomic():
        try:
            if dossier_id is None:
                dossier = services.dossier_draft_open(
                    user=user, procedure=procedure, form_token=token
                )
            else:
                dossier = services.dossier_lock_for_applicant(user=user, dossier_id=dossier_id)
        except Dossier.DoesNotExist as exc:
            raise Http404 from exc
        except DossierError as exc:
            messages.error(request, str(exc))
            return redirect("dossiers:create", slug=procedure.slug)
        if dossier.status != S.DRAFT:
            # Already submitted (a resent form, a second click): show it, change nothing.
            return redirect(dossier)

        upload_errors = _store_uploads(request, procedure, dossier, handler)
        for attachment_id in request.POST.getlist("remove"):
            if attachment_id.isdigit():
                services.attachment_remove(dossier=dossier, attachment_id=int(attachment_id))

        form = DossierForm(request.POST, procedure=procedure, draft=action != "submit")
        if form.is_valid():
            services.dossier_draft_save(
                dossier=dossier, applicant=form.applicant(), data=form.declared_data()
            )
        else:
            # Keep on the draft whatever is well-formed, even when the submission is not.
            lenient = DossierForm(request.POST, procedure=procedure, draft=True)
            if action == "submit" and lenient.is_valid():
                services.dossier_draft_save(
                    dossier=dossier, applicant=lenient.applicant(), data=lenient.declared_data()
                )

        if form.is_valid() and not upload_errors:
            if action != "submit":
                messages.success(request, _("Your draft was saved. You can come back to it."))
                return redirect("dossiers:edit", pk=dossier.pk)
            try:
                services.dossier_submit(dossier_id=dossier.pk, actor=user)
            except DossierError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Your dossier was sent. The agency will receive it and give it a code; "
                        "you will be told by email."
                    ),
                )
                return redirect(dossier)
    return _render_form(
        request, procedure=procedure, form=form, dossier=dossier, upload_errors=upload_errors
    )


def _store_uploads(request, procedure, dossier, handler) -> dict[int, list[str]]:
    """Store each uploaded file as an attachment; the messages of those refused, by component."""
    errors: dict[int, list[str]] = {}
    for component in procedure.components.all():
        name = f"component_{component.pk}"
        messages_for = errors.setdefault(component.pk, [])
        messages_for.extend(handler.rejected.get(name, []))
        files = request.FILES.getlist(name)
        if not component.multiple and len(files) > 1:
            messages_for.append(_("Only one file can be attached here."))
            files = files[:1]
        for upload in files:
            try:
                services.attachment_add(
                    dossier=dossier, component=component, file=upload, user=request.user
                )
            except (UploadRejected, DossierError) as exc:
                messages_for.append(f"{sanitize_filename(upload.name)}: {exc}")
    return {pk: msgs for pk, msgs in errors.items() if msgs}


# --- Actions and downloads ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dossier_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Rút hồ sơ: asks for confirmation, then withdraws (POST)."""
    dossier = get_object_or_404(
        Dossier.objects.for_citizen(request.user).select_related("procedure"), pk=pk
    )
    if request.method == "POST":
        expected = request.POST.get("expected_status")
        try:
            services.dossier_withdraw(
                dossier_id=dossier.pk,
                actor=request.user,
                expected_status=expected if expected in S.values else None,
                reason=request.POST.get("reason", "")[:1000],
            )
        except TransitionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your dossier was withdrawn."))
        return redirect(dossier)
    if S.WITHDRAWN not in services.available_targets(dossier, Role.CITIZEN):
        messages.error(request, _("This dossier can no longer be withdrawn."))
        return redirect(dossier)
    return render(request, "dossiers/dossier_confirm_withdraw.html", {"dossier": dossier})


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


def slip_response(dossier: Dossier, kind: str) -> HttpResponse:
    if kind not in documents.slips_available(dossier):
        raise Http404
    pdf = documents.dossier_slip_pdf(dossier=dossier, kind=kind)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = documents.slip_filename(dossier, kind)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
