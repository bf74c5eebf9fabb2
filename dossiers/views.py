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
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.cache import private_page_cache, signed_in_user_id
from core.uploads import (
    CONTENT_TYPES,
    LimitedUploadHandler,
    UploadRejected,
    extension_of,
    sanitize_filename,
    size_limit_mb,
    type_labels,
    uploads_undone_on_error,
)
from procedures.cache import CATALOGUE_TAG
from procedures.i18n import lang_marked, localized
from procedures.models import Procedure

from . import documents, selectors, services
from .cache import citizen_tag
from .constants import COMPLETED, DossierStatus, Role
from .forms import DossierForm, SupplementForm
from .history import events_for_applicant
from .models import Attachment, Dossier
from .services import DossierError, SupplementNotOpen, TransitionRefused

S = DossierStatus
PAGE_SIZE = 20
# The transaction list is kept while none of the user's dossiers (nor the catalogue) changes.
LIST_PAGE_SECONDS = 300


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
@private_page_cache(
    LIST_PAGE_SECONDS, tags=lambda request: [citizen_tag(signed_in_user_id(request)), CATALOGUE_TAG]
)
def dossier_list(request: HttpRequest) -> HttpResponse:
    """Danh sách giao dịch: every dossier of the user, filterable by status, 20 a page."""
    status = request.GET.get("status", "")
    if status not in S.values:
        status = ""
    qs = selectors.dossier_list_for_citizen(request.user, status=status or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # The labels are lazy translations: resolve them once for this request's language rather
    # than once a row (get_status_display rebuilds the choices on every call).
    statuses = [(value, str(label)) for value, label in S.choices]
    labels = dict(statuses)
    for dossier in page.object_list:
        dossier.status_label = labels.get(dossier.status, dossier.status)
    return render(
        request,
        "dossiers/dossier_list.html",
        {"page": page, "status": status, "statuses": statuses},
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


def _declared_answers(dossier: Dossier) -> list[dict]:
    """The procedure's declared fields with the applicant's answers, in the reader's language."""
    data = dossier.data or {}
    return [
        {
            "key": f.key,
            "label": lang_marked(localized(f, "label")),
            "value": selectors.declared_value(f, f.display_value(data.get(f.key, ""))),
        }
        for f in dossier.procedure.form_fields.all()
    ]


# The applicant details on the dossier page; those marked True show even when empty.
APPLICANT_ROWS = (
    ("applicant_name", gettext_lazy("Full name"), True),
    ("organisation_name", gettext_lazy("Organisation"), False),
    ("citizen_id", gettext_lazy("Citizen ID"), False),
    ("tax_code", gettext_lazy("Tax code"), False),
    ("phone", gettext_lazy("Phone"), True),
    ("email", gettext_lazy("Email"), True),
    ("address", gettext_lazy("Address"), True),
)


def _applicant_rows(dossier: Dossier, requested: set[str]) -> list[dict]:
    return [
        {"label": label, "value": getattr(dossier, key), "requested": key in requested}
        for key, label, always in APPLICANT_ROWS
        if always or getattr(dossier, key) or key in requested
    ]


def _supplement_cycles(dossier: Dossier) -> list[dict]:
    """Every supplement request of the dossier, newest first, with what it named and the files
    sent in answer (all from prefetched rows: no query per cycle)."""
    sent: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.all():
        if attachment.supplement_request_id:
            sent.setdefault(attachment.supplement_request_id, []).append(attachment)
    return [
        {
            "request": supplement,
            "components": list(supplement.components.all()),
            "field_labels": selectors.info_field_labels(
                procedure=dossier.procedure, keys=supplement.fields
            ),
            "files": sent.get(supplement.pk, []),
        }
        for supplement in dossier.supplement_requests.all()
    ]


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dossier = selectors.dossier_detail_for_citizen(request.user, pk)
    except Dossier.DoesNotExist as exc:
        raise Http404 from exc
    cycles = _supplement_cycles(dossier)
    open_request = selectors.supplement_open(dossier)
    open_cycle = next((c for c in cycles if c["request"] is open_request), None)
    requested_fields = set(open_request.fields) if open_request else set()
    targets = services.available_targets(dossier, Role.CITIZEN)
    return render(
        request,
        "dossiers/dossier_detail.html",
        {
            "dossier": dossier,
            "components": _components_with_files(dossier),
            "applicant_rows": _applicant_rows(dossier, requested_fields),
            "answers": _declared_answers(dossier),
            "events": events_for_applicant(
                dossier.history_events,  # type: ignore[attr-defined]
                agency=dossier.agency,
            ),
            "supplement": cycles[0]["request"] if cycles else None,
            "supplement_cycles": cycles,
            "open_supplement": open_cycle,
            "requested_components": {c.pk for c in open_cycle["components"]}
            if open_cycle
            else set(),
            "requested_fields": requested_fields,
            "slips": documents.slips_available(dossier),
            "can_withdraw": S.WITHDRAWN in targets,
            "has_result": bool(dossier.result_file) and dossier.status in COMPLETED,
        },
    )


# --- The dossier form (create, edit, submit) -------------------------------------------------


def _upload_slots_for(components, errors: dict) -> list[dict]:
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
    slots = _upload_slots_for(procedure.components.all(), errors)
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
    with uploads_undone_on_error(), transaction.atomic():
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

        upload_errors = _store_uploads(
            request,
            procedure.components.all(),
            handler,
            lambda component, upload: services.attachment_add(
                dossier=dossier, component=component, file=upload, user=request.user
            ),
        )
        for attachment_id in request.POST.getlist("remove"):
            if attachment_id.isdigit():
                services.attachment_remove(dossier=dossier, attachment_id=int(attachment_id))

        form = DossierForm(request.POST, procedure=procedure, draft=action != "submit")
        # Keep on the draft every well-formed answer, even when another answer is not or the
        # submission is incomplete: leaving the error page loses nothing already typed.
        kept = form
        if not form.is_valid() and not form.draft:
            kept = DossierForm(request.POST, procedure=procedure, draft=True)
            kept.is_valid()
        services.dossier_draft_save(
            dossier=dossier, applicant=kept.applicant(), data=kept.declared_data(dossier.data)
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


def _store_uploads(request, components, handler, attach) -> dict[int, list[str]]:
    """Store each file posted for one of `components` with `attach(component, upload)` (files
    posted for any other component are not read); the messages of those refused, by component."""
    errors: dict[int, list[str]] = {}
    for component in components:
        name = f"component_{component.pk}"
        messages_for = errors.setdefault(component.pk, [])
        messages_for.extend(handler.rejected.get(name, []))
        files = request.FILES.getlist(name)
        if not component.multiple and len(files) > 1:
            messages_for.append(_("Only one file can be attached here."))
            files = files[:1]
        for upload in files:
            try:
                attach(component, upload)
            except (UploadRejected, DossierError) as exc:
                messages_for.append(f"{sanitize_filename(upload.name)}: {exc}")
    return {pk: msgs for pk, msgs in errors.items() if msgs}


# --- Supplement (bổ sung hồ sơ) ----------------------------------------------------------------


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
    slots = _upload_slots_for(components, errors)
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
    """Save the answer, or save and send it, in one transaction with the dossier row locked.

    Only the requested fields and components are read from the post. Every valid file is kept
    at once, whatever else fails; once the answer is sent, a resent form changes nothing.
    """
    action = request.POST.get("action", "save")
    user = request.user
    with uploads_undone_on_error(), transaction.atomic():
        try:
            dossier, supplement = services.dossier_lock_for_supplement(
                user=user, dossier_id=dossier.pk
            )
        except SupplementNotOpen as exc:
            return _not_open_redirect(request, dossier, exc)
        upload_errors = _store_uploads(
            request,
            supplement.components.all(),
            handler,
            lambda component, upload: services.supplement_attachment_add(
                dossier=dossier,
                request=supplement,
                component=component,
                file=upload,
                user=request.user,
            ),
        )
        for attachment_id in request.POST.getlist("remove"):
            if attachment_id.isdigit():
                services.supplement_attachment_remove(
                    dossier=dossier, request=supplement, attachment_id=int(attachment_id)
                )
        form = SupplementForm(
            request.POST, dossier=dossier, supplement=supplement, draft=action != "submit"
        )
        if form.is_valid():
            services.supplement_values_save(
                dossier=dossier, request=supplement, values=form.values()
            )
        else:
            # Keep whatever is well-formed, even when the answer cannot be sent yet.
            lenient = SupplementForm(
                request.POST, dossier=dossier, supplement=supplement, draft=True
            )
            if action == "submit" and lenient.is_valid():
                services.supplement_values_save(
                    dossier=dossier, request=supplement, values=lenient.values()
                )

        if form.is_valid() and not upload_errors:
            if action != "submit":
                messages.success(
                    request,
                    _(
                        "Your answer was saved but not sent yet. Press “Send supplement” when it "
                        "is complete."
                    ),
                )
                return redirect("dossiers:supplement", pk=dossier.pk)
            try:
                services.dossier_supplement_submit(
                    dossier_id=dossier.pk, user=user, expected_status=S.SUPPLEMENT_REQUESTED
                )
            except DossierError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Your supplement was sent. The agency will review it and continue."),
                )
                return redirect(dossier)
    return _render_supplement(
        request, dossier=dossier, supplement=supplement, form=form, upload_errors=upload_errors
    )


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
