"""Reads that pages share (STYLE: selectors): each returns a queryset with what its page needs."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from procedures.constants import FormFieldKind, StaffRole
from procedures.i18n import localized
from procedures.models import DossierComponent, FormField

from .constants import ApologyStatus, DossierStatus
from .models import ApologyLetter, Attachment, Dossier, DossierEvent, HandOver, SupplementRequest


def dossier_list_for_citizen(user, status: str | None = None) -> QuerySet[Dossier]:
    """Danh sách giao dịch: the user's dossiers, newest first, with their procedure (one query)."""
    qs = Dossier.objects.for_citizen(user).select_related("procedure")
    if status and status in DossierStatus.values:
        qs = qs.filter(status=status)
    return qs.only(
        "id",
        "status",
        "code",
        "created_at",
        "submitted_at",
        "due_date",
        "appointment_date",
        "completed_at",
        "procedure",
        "procedure__id",
        "procedure__name",
        "procedure__name_en",
        "procedure__slug",
    )


def _detail_queryset(base: QuerySet[Dossier]) -> QuerySet[Dossier]:
    select_related = ("procedure", "agency", "procedure__agency", "current_step__unit")
    return base.select_related(*select_related).prefetch_related(
        Prefetch(
            "attachments",
            queryset=Attachment.objects.select_related("component").order_by(
                "component__order", "component_id", "-version", "-id"
            ),
        ),
        Prefetch(
            "procedure__components", queryset=DossierComponent.objects.order_by("order", "id")
        ),
        Prefetch("procedure__form_fields", queryset=FormField.objects.order_by("order", "id")),
        Prefetch(
            "supplement_requests",
            queryset=SupplementRequest.objects.select_related("created_by").prefetch_related(
                "components"
            ),
        ),
    )


def dossier_detail_for_citizen(user, pk: int) -> Dossier:
    """One of the user's own dossiers with its files, history and requests.

    The history (`history_events`) holds every event, without internal notes: the view shows
    the applicant's own (`events_for_applicant`). Raises `Dossier.DoesNotExist` for anyone
    else's dossier (the view answers 404, not 403).
    """
    return (
        _detail_queryset(Dossier.objects.for_citizen(user))
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DossierEvent.objects.defer("internal_note").order_by("created_at", "id"),
                to_attr="history_events",
            ),
            Prefetch(
                "apology_letters",
                queryset=ApologyLetter.objects.filter(status=ApologyStatus.SIGNED),
                to_attr="signed_letters",
            ),
        )
        .get(pk=pk)
    )


def dossier_for_file_access(user, pk: int) -> Dossier:
    """A dossier whose files `user` may download: the applicant, staff of its agency, superusers.

    Raises `Dossier.DoesNotExist` otherwise.
    """
    return Dossier.objects.visible_to(user).select_related("procedure", "agency").get(pk=pk)


def dossier_for_slip(user, pk: int) -> Dossier:
    """A dossier with what its slips print (components, fees, supplement requests, officers).

    Same access rule as files. Raises `Dossier.DoesNotExist`.
    """
    return (
        _detail_queryset(Dossier.objects.visible_to(user))
        .select_related("applicant", "received_by")
        .prefetch_related("procedure__fees")
        .get(pk=pk)
    )


# --- Supplements ------------------------------------------------------------------------------

# Labels of the applicant details a supplement request may name (same words as the dossier form).
APPLICANT_FIELD_LABELS = {
    "applicant_name": _("Full name"),
    "organisation_name": _("Organisation name"),
    "citizen_id": _("Citizen ID number (CCCD)"),
    "tax_code": _("Tax code"),
    "phone": _("Phone"),
    "email": _("Email"),
    "address": _("Address"),
}


def info_field_labels(*, procedure, keys, language: str | None = None) -> list[str]:
    """Labels of requested information keys, in the request's order (uses prefetched fields),
    in `language` (an email's reader's) or else the active one."""
    with translation.override(language or translation.get_language()):
        declared = {f.key: localized(f, "label") for f in procedure.form_fields.all()}
        return [str(APPLICANT_FIELD_LABELS.get(key) or declared.get(key, key)) for key in keys]


def supplement_open(dossier: Dossier) -> SupplementRequest | None:
    """The request the applicant must answer now, from the prefetched requests (newest first)."""
    if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED:
        return None
    return next((r for r in dossier.supplement_requests.all() if r.answered_at is None), None)


def declared_value(field: FormField, value):
    """A declared answer as people read it: numbers grouped by thousands in the reader's language
    ("3.500.000.000" for a capital in đồng), dates day first; anything else as typed."""
    if value in (None, ""):
        return value
    try:
        if field.kind == FormFieldKind.NUMBER:
            return formats.number_format(Decimal(str(value)), force_grouping=True)
        if field.kind == FormFieldKind.DATE:
            return formats.date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except (ArithmeticError, ValueError):
        pass  # a value stored before the field changed kind: shown as it was typed
    return value


def _field_value(dossier: Dossier, key: str):
    if key in APPLICANT_FIELD_LABELS:
        return getattr(dossier, key) or ""
    return (dossier.data or {}).get(key, "")


@dataclass(frozen=True)
class ComponentChange:
    component: DossierComponent
    old: list[Attachment]
    new: list[Attachment]


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return str(self.old or "") != str(self.new or "")


@dataclass(frozen=True)
class SupplementReview:
    """What an answered supplement request changed, for staff to review."""

    request: SupplementRequest
    components: list[ComponentChange]
    fields: list[FieldChange]


def supplement_review(dossier: Dossier) -> SupplementReview | None:
    """The latest answered request of `dossier`, each requested component's files before the
    answer and those sent with it, and each requested field's old and current value.

    The files before are those current when the applicant first touched the answer (the
    request's `before` snapshot). A fixed number of queries, whatever the number of cycles.
    """
    request = (
        SupplementRequest.objects.filter(dossier=dossier, answered_at__isnull=False)
        .prefetch_related(
            Prefetch("components", queryset=DossierComponent.objects.order_by("order", "id"))
        )
        .order_by("-answered_at", "-id")
        .first()
    )
    if request is None:
        return None
    components = list(request.components.all())
    before = request.before or {}
    old_ids = {int(i) for ids in before.get("files", {}).values() for i in ids}
    attachments = (
        Attachment.objects.filter(dossier=dossier, component__in=components)
        .filter(models.Q(pk__in=old_ids) | models.Q(supplement_request=request))
        .order_by("version", "id")
    )
    by_component: dict[int, tuple[list[Attachment], list[Attachment]]] = {
        c.pk: ([], []) for c in components
    }
    for attachment in attachments:
        old, new = by_component[attachment.component_id]
        (new if attachment.supplement_request_id == request.pk else old).append(attachment)
    for _old, new in by_component.values():
        # Versions the applicant replaced while preparing the answer are not part of it; if a
        # later request has since superseded them all, the newest still shows what was sent.
        current = [a for a in new if a.is_current]
        new[:] = current or new[-1:]
    labels = info_field_labels(procedure=dossier.procedure, keys=request.fields)
    old_values = before.get("fields", {})
    declared = {f.key: f for f in dossier.procedure.form_fields.all()}

    def shown(key: str, value):
        return declared_value(declared[key], value) if key in declared else value

    return SupplementReview(
        request=request,
        components=[ComponentChange(c, *by_component[c.pk]) for c in components],
        fields=[
            FieldChange(
                key,
                label,
                shown(key, old_values.get(key, "")),
                shown(key, _field_value(dossier, key)),
            )
            for key, label in zip(request.fields, labels, strict=True)
        ],
    )


# --- Late and stop handling: apology letters, the stop notice, the control slip ----------------


def agency_leaders(agency_id: int) -> QuerySet[User]:
    """The active leaders of an agency (who sign its apology letters and stop notices)."""
    return User.objects.filter(
        is_active=True,
        unit_memberships__unit__agency_id=agency_id,
        unit_memberships__role=StaffRole.LEADER,
    ).distinct()


def apology_letters_signed(dossier: Dossier) -> list[ApologyLetter]:
    """The signed apology letters of `dossier`, oldest first (prefetched ones if any)."""
    return [x for x in dossier.apology_letters.all() if x.status == ApologyStatus.SIGNED]


def apology_letter_for_pdf(user, pk: int, letter_id: int, *, signed_only: bool) -> ApologyLetter:
    """An apology letter of a dossier `user` may see, with what its PDF prints. The applicant
    gets only signed letters (`signed_only`); staff also drafts. Raises
    `ApologyLetter.DoesNotExist`."""
    letters = ApologyLetter.objects.filter(
        dossier__in=Dossier.objects.visible_to(user), dossier_id=pk
    )
    if signed_only:
        letters = letters.filter(status=ApologyStatus.SIGNED)
    return letters.select_related(
        "dossier", "dossier__procedure", "dossier__agency", "unit", "drafted_by", "signed_by"
    ).get(pk=letter_id)


def apology_letters_for_staff(dossier: Dossier) -> list[ApologyLetter]:
    """Every apology letter of `dossier` (drafts, signed, cancelled), oldest first, for the
    dossier's admin page."""
    return list(
        ApologyLetter.objects.filter(dossier=dossier).select_related(
            "drafted_by", "signed_by", "unit"
        )
    )


def apology_letters_to_sign(user) -> QuerySet[ApologyLetter]:
    """The letters awaiting a signature in the agency where `user` leads, oldest first, for a
    leader's "To sign" queue (the services still ask the policy when one is signed)."""
    return (
        ApologyLetter.objects.filter(
            status=ApologyStatus.DRAFT,
            dossier__agency__units__memberships__user=user,
            dossier__agency__units__memberships__role=StaffRole.LEADER,
        )
        .select_related("dossier", "unit", "drafted_by")
        .distinct()
        .order_by("drafted_at", "id")
    )


def dossier_handovers(dossier: Dossier) -> list[HandOver]:
    """The lines of the processing-control slip of `dossier`, in order (one query)."""
    return list(
        HandOver.objects.filter(dossier=dossier)
        .select_related("from_user", "to_user", "from_unit", "to_unit")
        .order_by("created_at", "id")
    )
