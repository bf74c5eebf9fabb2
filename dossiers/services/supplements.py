"""The supplement cycle (bổ sung hồ sơ) after staff ask for one: the applicant's answer, and the
deadline sweep that reminds the applicant and flags overdue requests for staff.

Staff ask with `processing.dossier_request_supplement`. While a request is open (the dossier is
"supplement requested" and the request has no `answered_at`), the applicant may change only what
the request names: the listed information fields, and new versions of the listed components'
files. Each write runs with the dossier row (and the request row) locked; the first one records
the `before` snapshot that staff compare the answer with.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import DossierComponent

from ..calendar import add_working_days
from ..constants import DossierStatus, Role
from ..history import Msg
from ..models import Attachment, Dossier, DossierEvent, SupplementRequest
from ..selectors import APPLICANT_FIELD_LABELS, info_field_labels
from .drafts import (
    attachment_add,
    attachment_remove,
    dossier_lock_for_applicant,
    dossier_missing_components,
)
from .notify import applicant_language, dossier_notify, officer_notify
from .processing import AGENCY_TZ, agency_today
from .transitions import DossierError, TransitionResult, dossier_transition

S = DossierStatus
# Applicant details a request may name (the applicant type is not corrected on its own).
SUPPLEMENT_APPLICANT_FIELDS = tuple(APPLICANT_FIELD_LABELS)
# The applicant is reminded once, when the deadline is this many working days away or fewer.
REMINDER_WORKING_DAYS = 2


class SupplementNotOpen(DossierError):
    """The dossier is not waiting for a supplement; `already_sent` when it was just answered."""

    def __init__(self, message: str, *, already_sent: bool = False):
        super().__init__(message)
        self.already_sent = already_sent


def supplement_not_open(dossier: Dossier) -> SupplementNotOpen:
    """The refusal to show for a dossier that has no open supplement request."""
    if dossier.status == S.SUPPLEMENTED:
        return SupplementNotOpen(
            _("Your supplement has already been sent. The agency is reviewing it."),
            already_sent=True,
        )
    return SupplementNotOpen(_("This dossier is not waiting for a supplement."))


def dossier_lock_for_supplement(*, user, dossier_id: int) -> tuple[Dossier, SupplementRequest]:
    """The applicant's dossier and its open supplement request, both row-locked.

    Precondition: inside `transaction.atomic()`. Raises `Dossier.DoesNotExist` for another
    user's dossier and `SupplementNotOpen` when the dossier is not waiting for a supplement
    (with `already_sent` when the answer was already sent: a resent form or a second click).
    """
    dossier = dossier_lock_for_applicant(user=user, dossier_id=dossier_id)
    request = None
    if dossier.status == S.SUPPLEMENT_REQUESTED:
        request = (
            SupplementRequest.objects.select_for_update()
            .filter(dossier=dossier, answered_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
    if request is None:
        raise supplement_not_open(dossier)
    return dossier, request


def _current_value(dossier: Dossier, key: str):
    if key in SUPPLEMENT_APPLICANT_FIELDS:
        return getattr(dossier, key) or ""
    return (dossier.data or {}).get(key, "")


def _snapshot_before(dossier: Dossier, request: SupplementRequest) -> None:
    """Remember, once, the requested values and current files as they were before the answer."""
    if request.before:
        return
    component_ids = list(request.components.values_list("pk", flat=True))
    files: dict[str, list[int]] = {}
    current = Attachment.objects.filter(
        dossier=dossier, component_id__in=component_ids, is_current=True
    ).order_by("component_id", "version", "id")
    for component_id, attachment_id in current.values_list("component_id", "id"):
        files.setdefault(str(component_id), []).append(attachment_id)
    request.before = {
        "fields": {key: _current_value(dossier, key) for key in request.fields},
        "files": files,
        "taken_at": timezone.now().isoformat(),
    }
    request.save(update_fields=["before"])


def supplement_values_save(
    *, dossier: Dossier, request: SupplementRequest, values: dict
) -> list[str]:
    """Store the applicant's corrected values of the fields the request names.

    Preconditions: `dossier` and `request` are locked (`dossier_lock_for_supplement`); values
    are validated by the form. Keys the request does not name are ignored, so a crafted post
    cannot change anything else. Side effect: the `before` snapshot on the first write.
    Returns the keys whose value changed.
    """
    _snapshot_before(dossier, request)
    allowed = set(request.fields)
    data = dict(dossier.data or {})
    changed: list[str] = []
    for key, value in values.items():
        if key not in allowed:
            continue
        value = "" if value is None else value
        if key in SUPPLEMENT_APPLICANT_FIELDS:
            if getattr(dossier, key) != value:
                setattr(dossier, key, value)
                changed.append(key)
        elif data.get(key, "") != value:
            data[key] = value
            changed.append(key)
    if changed:
        dossier.data = data
        applicant_changed = [k for k in changed if k in SUPPLEMENT_APPLICANT_FIELDS]
        dossier.save(update_fields=[*applicant_changed, "data", "updated_at"])
    return changed


def _requested_component(request: SupplementRequest, component: DossierComponent) -> None:
    if not request.components.filter(pk=component.pk).exists():
        raise DossierError(
            _("This file was not asked for: only the files named in the request can change.")
        )


def supplement_attachment_add(
    *,
    dossier: Dossier,
    request: SupplementRequest,
    component: DossierComponent,
    file,
    user,
) -> Attachment:
    """Store an uploaded file as a new version of a component the request names.

    Preconditions: `dossier` and `request` are locked (`dossier_lock_for_supplement`).
    The earlier versions stay (the newest is current for a single-file component); the new one
    is linked to `request`. Side effect: the `before` snapshot on the first write.
    Raises `DossierError` for a component the request does not name, `UploadRejected` for a
    file refused by its content, type or size.
    """
    _requested_component(request, component)
    _snapshot_before(dossier, request)
    return attachment_add(
        dossier=dossier, component=component, file=file, user=user, supplement_request=request
    )


def supplement_attachment_remove(
    *, dossier: Dossier, request: SupplementRequest, attachment_id: int
) -> bool:
    """Take a current file of a requested component out of the dossier (the version is kept).

    Preconditions: both locked. Returns False, changing nothing, for a file that is not a
    current file of a component the request names.
    """
    requested = request.components.values_list("pk", flat=True)
    if not Attachment.objects.filter(
        dossier=dossier, pk=attachment_id, is_current=True, component_id__in=requested
    ).exists():
        return False
    _snapshot_before(dossier, request)
    return attachment_remove(dossier=dossier, attachment_id=attachment_id)


def supplement_missing_components(
    *, dossier: Dossier, request: SupplementRequest
) -> list[DossierComponent]:
    """What keeps the answer from being sent: required components the request names with no
    new current file, and any required component left with no current file at all."""
    new = set(
        Attachment.objects.filter(
            dossier=dossier, supplement_request=request, is_current=True
        ).values_list("component_id", flat=True)
    )
    missing = [c for c in request.components.all() if c.required and c.pk not in new]
    missing += [c for c in dossier_missing_components(dossier=dossier) if c not in missing]
    return missing


def _answer_changes(dossier: Dossier, request: SupplementRequest) -> tuple[list[str], list[str]]:
    """What the answer changed: the names of the components with new files, the keys of the
    information fields whose values differ from the `before` snapshot."""
    new_files = (
        Attachment.objects.filter(dossier=dossier, supplement_request=request, is_current=True)
        .select_related("component")
        .order_by("component__order", "id")
    )
    names = list(dict.fromkeys(a.component.name for a in new_files))
    before = request.before.get("fields", {})
    changed = [k for k in request.fields if before.get(k, "") != _current_value(dossier, k)]
    return names, changed


def _answer_summary(names: list[str], changed: list[str]) -> str:
    """Staff's note on the answer event: which files have new versions, which fields changed."""
    parts = []
    if names:
        parts.append(_("New files: %(names)s.") % {"names": "; ".join(names)})
    if changed:
        parts.append(_("Corrected information: %(keys)s.") % {"keys": ", ".join(changed)})
    return " ".join(parts)


def _notify_requester(
    dossier: Dossier, request: SupplementRequest, names: list[str], changed: list[str]
) -> None:
    """Tell the officer who asked that the answer is in."""
    officer = request.created_by
    officer_notify(
        officer=officer,
        dossier=dossier,
        template="dossier_supplement_answered",
        context={
            "supplement": request,
            "new_files": names,
            "field_labels": info_field_labels(
                procedure=dossier.procedure, keys=changed, language=officer.language
            ),
        },
    )


def dossier_supplement_submit(
    *, dossier_id: int, user, expected_status: str | None = None
) -> TransitionResult | None:
    """Send the applicant's answer (supplement requested → supplemented). Idempotent.

    Preconditions: `user` is the applicant; each required component the request names has a
    new current file, and every required component still has a file.
    Side effects: the `before` snapshot (if no draft took it), the request's `answered_at`, and
    one history event; staff find the dossier in the "supplemented" queue, and the officer who
    asked gets a notification and an email (after commit). The applicant gets no email (the
    page confirms it).
    Returns the transition, or None when the answer was already sent (a resent form or a second
    click: nothing changes, no second event). Raises `SupplementNotOpen` when the dossier is not
    waiting for a supplement, `DossierError` listing the missing files,
    `Dossier.DoesNotExist` for another user's dossier.
    """
    with transaction.atomic():
        try:
            dossier, request = dossier_lock_for_supplement(user=user, dossier_id=dossier_id)
        except SupplementNotOpen as exc:
            if exc.already_sent:
                return None
            raise
        missing = supplement_missing_components(dossier=dossier, request=request)
        if missing:
            raise DossierError(
                _("Attach a new file for: %(names)s.")
                % {"names": "; ".join(c.name for c in missing)}
            )
        _snapshot_before(dossier, request)
        request.answered_at = timezone.now()
        request.save(update_fields=["answered_at"])
        names, changed = _answer_changes(dossier, request)
        result = dossier_transition(
            dossier_id=dossier.pk,
            to_status=S.SUPPLEMENTED,
            role=Role.CITIZEN,
            actor=user,
            action="supplement",
            message=Msg.SUPPLEMENTED,
            internal_note=_answer_summary(names, changed),
            expected_status=expected_status,
        )
        _notify_requester(result.dossier, request, names, changed)
        return result


# --- Deadlines (beat) ------------------------------------------------------------------------


def _open_requests():
    return SupplementRequest.objects.filter(
        answered_at__isnull=True, dossier__status=S.SUPPLEMENT_REQUESTED
    )


def _lock_open_request(request_id: int) -> SupplementRequest | None:
    """The request row locked, with what its email needs; None once it is no longer open."""
    request = (
        SupplementRequest.objects.select_for_update(of=("self",))
        .select_related("dossier__applicant", "dossier__agency", "dossier__procedure")
        .get(pk=request_id)
    )
    if request.answered_at is not None or request.dossier.status != S.SUPPLEMENT_REQUESTED:
        return None
    return request


def supplement_request_remind(*, request_id: int) -> bool:
    """Remind the applicant, once, that the supplement deadline is near (email and notification).

    Locked and idempotent: the request row is locked and `reminder_sent_at` stamped in the same
    transaction as the outbox email, so a second run (or a concurrent one) sends nothing.
    Returns True when a reminder was queued; False when already sent or no longer open.
    """
    with transaction.atomic():
        request = _lock_open_request(request_id)
        if request is None or request.reminder_sent_at is not None:
            return False
        request.reminder_sent_at = timezone.now()
        request.save(update_fields=["reminder_sent_at"])
        dossier_notify(
            dossier=request.dossier,
            template="dossier_supplement_reminder",
            context={
                "supplement": request,
                "components": list(request.components.all()),
                "field_labels": info_field_labels(
                    procedure=request.dossier.procedure,
                    keys=request.fields,
                    language=applicant_language(request.dossier),
                ),
            },
        )
    return True


def supplement_request_flag_overdue(*, request_id: int, today: date | None = None) -> bool:
    """Flag an unanswered request whose deadline has passed, for staff. Deletes nothing.

    Locked and idempotent: `overdue_flagged_at` is stamped once, with one internal (non-public)
    history event. Returns True when flagged now.
    """
    today = today or agency_today()
    with transaction.atomic():
        request = _lock_open_request(request_id)
        if request is None or request.overdue_flagged_at is not None or request.deadline >= today:
            return False
        request.overdue_flagged_at = timezone.now()
        request.save(update_fields=["overdue_flagged_at"])
        DossierEvent.objects.create(
            dossier=request.dossier,
            action="supplement_overdue",
            message=Msg.SUPPLEMENT_OVERDUE,
            params={"date": request.deadline.isoformat()},
            is_public=False,
        )
    return True


def supplement_deadline_sweep(*, today: date | None = None) -> dict[str, int]:
    """Periodic: remind applicants whose deadline is within two working days, flag overdue ones.

    A request asked today is not reminded today (the request email has just gone). Each request
    is handled in its own transaction; running the sweep again changes nothing more.
    Returns how many reminders were queued and requests flagged.
    """
    today = today or agency_today()
    start_of_today = datetime.combine(today, time.min, tzinfo=AGENCY_TZ)
    remind = _open_requests().filter(
        reminder_sent_at__isnull=True,
        deadline__gte=today,
        deadline__lte=add_working_days(today, REMINDER_WORKING_DAYS),
        created_at__lt=start_of_today,
    )
    overdue = _open_requests().filter(overdue_flagged_at__isnull=True, deadline__lt=today)
    reminded = sum(
        supplement_request_remind(request_id=pk) for pk in remind.values_list("pk", flat=True)
    )
    flagged = sum(
        supplement_request_flag_overdue(request_id=pk, today=today)
        for pk in overdue.values_list("pk", flat=True)
    )
    return {"reminded": reminded, "flagged": flagged}
