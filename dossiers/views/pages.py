"""Danh sách giao dịch (the transaction list), a dossier's page, and withdrawing a dossier.

Another user's dossier is a 404, never a 403: its existence is not revealed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.cache import private_page_cache, signed_in_user_id
from procedures.cache import CATALOGUE_TAG
from procedures.i18n import lang_marked, localized

from .. import documents, plugins, selectors, services
from ..cache import citizen_tag
from ..constants import COMPLETED, DossierStatus, Role
from ..history import events_for_applicant
from ..models import Attachment, Dossier
from ..services import TransitionRefused

S = DossierStatus
PAGE_SIZE = 20
# The transaction list is kept while none of the user's dossiers (nor the catalogue) changes.
LIST_PAGE_SECONDS = 300


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
            # Late and stop handling: the signed apology letters, newest first, and the stop.
            "apology_letters": dossier.signed_letters[::-1],  # type: ignore[attr-defined]
            "can_withdraw": S.WITHDRAWN in targets,
            "has_result": bool(dossier.result_file) and dossier.status in COMPLETED,
            # What the apps built on dossiers show on this page (plugins.py).
            "panels": plugins.detail_panels(request, dossier),
        },
    )


# --- Withdrawal ------------------------------------------------------------------------------


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
