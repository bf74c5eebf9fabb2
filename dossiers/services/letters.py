"""Late and stop handling: the apology letter and new appointment (Phiếu xin lỗi và hẹn lại ngày
trả kết quả), and stopping processing (dừng giải quyết) with its notice.

The unit handling a dossier that will miss its date drafts a letter with the reason and a new
date; a leader of the agency signs it, and only then is the applicant told (email and personal
page) and the new date shown as the expected date (`Dossier.appointment_date`). The due date
stays the original one: statistics count a result after it as late, whatever the new date.
A leader stops processing with a reason: the current step closes with a STOP hand-over and the
applicant gets the stop notice.

Every service is `@audited` like the other step services (`processing`): the access policy
(`policy.apology_draft_refusal`, `apology_sign_refusal`, `apology_cancel_refusal`,
`stop_refusal`) is asked under the dossier's row lock, and the attempt, done or refused, goes to
the staff audit log.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import policy
from ..calendar import is_working_day
from ..constants import APOLOGY_STATUSES, ApologyStatus, DossierStatus, HandOverKind, Role
from ..history import Msg
from ..models import ApologyLetter, Dossier, DossierEvent
from ..selectors import agency_leaders
from .events import dossier_history_add
from .notify import dossier_notify, officer_notify
from .processing import agency_today
from .steps import audited
from .transitions import (
    DossierError,
    StepForbidden,
    TransitionRefused,
    TransitionResult,
    dossier_transition,
)
from .workflow import process_close

S = DossierStatus
REASON_MAX = 2000


def _reason(text: str, message: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DossierError(message)
    if len(reason) > REASON_MAX:
        raise DossierError(
            _("The reason is too long (at most %(n)s characters).") % {"n": REASON_MAX}
        )
    return reason


def _ensure(refusal: policy.Refusal | None) -> None:
    if refusal is not None:
        raise StepForbidden(refusal.message, audit=refusal.audit)


def _locked(dossier_id: int, expected_status: str | None) -> Dossier:
    """The dossier, row locked (its own row only), still in the status the officer saw."""
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency", "current_step")
        .get(pk=dossier_id)
    )
    if expected_status is not None and dossier.status != expected_status:
        raise TransitionRefused(
            _(
                "The dossier is now “%(now)s”, no longer “%(was)s”: someone else acted on it. "
                "Reload the page to see its current state."
            )
            % {"now": S(dossier.status).label, "was": S(expected_status).label}
        )
    return dossier


def _open_for_apology(dossier: Dossier) -> None:
    if dossier.status not in APOLOGY_STATUSES:
        raise TransitionRefused(
            _("An apology letter is written only while the agency is processing the dossier.")
        )


def new_date_problem(dossier: Dossier, new_date: date, today: date | None = None) -> str:
    """Why `new_date` cannot be the dossier's new appointment, or "" when it can: a working day
    after today and after the date promised now (the due date, or the last signed letter's)."""
    today = today or agency_today()
    if new_date <= today:
        return _("The new date must be after today.")
    promised = dossier.expected_date
    if promised is not None and new_date <= promised:
        return _("The new date must be after the date promised now, %(date)s.") % {
            "date": date_format(promised, "SHORT_DATE_FORMAT")
        }
    if not is_working_day(new_date):
        return _("The new date must be a working day.")
    return ""


def letter_urls(dossier: Dossier, letter: ApologyLetter | None = None) -> dict[str, str]:
    """Absolute links to the letters the applicant downloads from their dossier page."""
    base = settings.SITE_URL
    if letter is not None:
        return {"letter_url": base + reverse("dossiers:apology", args=[dossier.pk, letter.pk])}
    return {"notice_url": base + reverse("dossiers:stop_notice", args=[dossier.pk])}


@audited("apology_draft")
def dossier_apology_draft(
    *,
    dossier_id: int,
    actor,
    reason: str,
    new_date: date | None,
    expected_status: str | None = None,
    request=None,
) -> ApologyLetter:
    """Draft an apology letter and new appointment for a dossier being processed (received or
    processing) that will miss its date.

    The drafter is a specialist or the unit head of the unit at the dossier's current step
    (`policy.apology_draft_refusal`). `new_date` must be a working day after today and after
    the date promised now (`new_date_problem`). Side effects: the letter, awaiting a leader's
    signature; the agency's leaders notified (email and notification) after commit; a history
    entry for staff (the applicant hears nothing before the signature).
    Raises `DossierError` (no reason, a bad date, a letter already awaiting its signature),
    `TransitionRefused` (the dossier is not being processed, or changed meanwhile) or
    `StepForbidden`.
    """
    reason = _reason(reason, _("Give the reason for the delay: the applicant will read it."))
    if new_date is None:
        raise DossierError(_("Give the new date for the result."))
    with transaction.atomic():
        dossier = _locked(dossier_id, expected_status)
        _open_for_apology(dossier)
        _ensure(policy.apology_draft_refusal(actor, dossier))
        if dossier.apology_letters.filter(status=ApologyStatus.DRAFT).exists():
            raise DossierError(
                _("An apology letter already awaits a leader's signature: sign or cancel it first.")
            )
        problem = new_date_problem(dossier, new_date)
        if problem:
            raise DossierError(problem)
        step = dossier.current_step
        letter = ApologyLetter.objects.create(
            dossier=dossier,
            reason=reason,
            previous_date=dossier.expected_date or new_date,
            new_date=new_date,
            unit=step.unit if step is not None else None,
            drafted_by=actor,
        )
        # The leaders are told there is a letter to sign (notification and email, each in their
        # own language); the drafter, should they be one, is not.
        for leader in agency_leaders(dossier.agency_id).exclude(pk=actor.pk):
            officer_notify(
                officer=leader,
                dossier=dossier,
                template="dossier_apology_to_sign",
                context={"letter": letter},
            )
        dossier_history_add(
            dossier=dossier,
            actor=actor,
            action="apology_draft",
            message=Msg.APOLOGY_DRAFTED,
            params={"date": new_date.isoformat()},
            internal_note=reason,
            is_public=False,
        )
    return letter


def _draft_letter(dossier: Dossier, letter_id: int) -> ApologyLetter:
    letter = ApologyLetter.objects.select_for_update().filter(pk=letter_id, dossier=dossier).first()
    if letter is None:
        raise DossierError(_("No such apology letter for this dossier."))
    letter.dossier = dossier
    if letter.status != ApologyStatus.DRAFT:
        raise DossierError(
            _("This apology letter is no longer awaiting a signature: it is “%(status)s”.")
            % {"status": letter.get_status_display()}
        )
    return letter


@audited("apology_sign")
def dossier_apology_sign(
    *, dossier_id: int, actor, letter_id: int, expected_status: str | None = None, request=None
) -> ApologyLetter:
    """A leader signs the apology letter `letter_id` of the dossier: the new date becomes the
    date the applicant and the public see (`Dossier.appointment_date`; `due_date` is kept).

    The signer is a leader of the agency, not the letter's drafter while the agency keeps the
    separation of duties (`policy.apology_sign_refusal`); the new date is checked again (a day
    may have passed since the draft). Side effects: the letter signed; a public history entry
    with the new date (the reason is a note for the applicant, never public); the applicant is
    notified (email in their language with the letter's link, and on their personal page)
    after commit. Raises `DossierError`, `TransitionRefused` or `StepForbidden`.
    """
    with transaction.atomic():
        dossier = _locked(dossier_id, expected_status)
        letter = _draft_letter(dossier, letter_id)
        _open_for_apology(dossier)
        _ensure(policy.apology_sign_refusal(actor, letter))
        problem = new_date_problem(dossier, letter.new_date)
        if problem:
            raise DossierError(
                _("%(problem)s Cancel this letter and draft a new one.") % {"problem": problem}
            )
        now = timezone.now()
        letter.previous_date = dossier.expected_date or letter.previous_date
        letter.status = ApologyStatus.SIGNED
        letter.signed_by = actor
        letter.signed_at = now
        letter.save(update_fields=["previous_date", "status", "signed_by", "signed_at"])
        dossier.appointment_date = letter.new_date
        dossier.save(update_fields=["appointment_date", "updated_at"])
        dossier_history_add(
            dossier=dossier,
            actor=actor,
            action="apology_sign",
            message=Msg.APOLOGY_SIGNED,
            params={"date": letter.new_date.isoformat()},
            note=letter.reason,
            is_public=True,
        )
        dossier_notify(
            dossier=dossier,
            template="dossier_apology",
            context={"letter": letter, **letter_urls(dossier, letter)},
        )
    return letter


@audited("apology_cancel")
def dossier_apology_cancel(
    *, dossier_id: int, actor, letter_id: int, reason: str = "", request=None
) -> ApologyLetter:
    """Cancel an apology letter not signed yet (the leader will not sign it, or the unit made a
    mistake): whoever may draft or sign it (`policy.apology_cancel_refusal`). Side effects: the
    letter cancelled; a history entry for staff. Raises `DossierError` or `StepForbidden`."""
    with transaction.atomic():
        dossier = _locked(dossier_id, None)
        letter = _draft_letter(dossier, letter_id)
        _ensure(policy.apology_cancel_refusal(actor, letter))
        letter.status = ApologyStatus.CANCELLED
        letter.cancelled_at = timezone.now()
        letter.save(update_fields=["status", "cancelled_at"])
        dossier_history_add(
            dossier=dossier,
            actor=actor,
            action="apology_cancel",
            message=Msg.APOLOGY_CANCELLED,
            params={"date": letter.new_date.isoformat()},
            internal_note=(reason or "").strip(),
            is_public=False,
        )
    return letter


@audited("stop")
def dossier_stop(
    *, dossier_id: int, actor, reason: str, expected_status: str | None = None, request=None
) -> TransitionResult:
    """Stop processing a dossier (dừng giải quyết: received, processing or supplement
    requested → stopped), on the handling unit's proposal, by a leader who signs the notice
    (`policy.stop_refusal`).

    Side effects, in one transaction: the reason and the signer kept on the dossier
    (`completed_at` is the stop's time); the current step ends (outcome against its deadline)
    with a STOP hand-over on the processing-control slip, which the history event links; a
    letter awaiting its signature is cancelled; a public history event ("processing stopped",
    the reason only for the applicant and staff); the applicant is notified (email and personal
    page, with the link to the stop notice) after commit.
    Raises `DossierError` without a reason, `TransitionRefused` when the status does not allow
    it, `StepForbidden` for anyone but a leader of the agency.
    """
    reason = _reason(reason, _("Give the reason for stopping: the applicant will read it."))
    with transaction.atomic():

        def stop(dossier: Dossier) -> None:
            _ensure(policy.stop_refusal(actor, dossier))
            dossier.stop_reason = reason
            dossier.stopped_by = actor
            dossier.completed_at = timezone.now()
            dossier.apology_letters.filter(status=ApologyStatus.DRAFT).update(
                status=ApologyStatus.CANCELLED, cancelled_at=dossier.completed_at
            )

        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.STOPPED,
            role=Role.STAFF,
            actor=actor,
            action="stop",
            message=Msg.STOPPED,
            note=reason,
            expected_status=expected_status,
            apply=stop,
            ask_policy=True,
        )
        dossier = result.dossier
        # The open step ends with a STOP line on the processing-control slip (its own history
        # entry links to it); the stop's event links to it too.
        handover = process_close(
            dossier,
            actor=actor,
            now=dossier.completed_at or timezone.now(),
            kind=HandOverKind.STOP,
            reason=reason,
        )
        if handover is not None:
            DossierEvent.objects.filter(pk=result.event.pk).update(handover=handover)
        dossier_notify(dossier=dossier, template="dossier_stopped", context=letter_urls(dossier))
    return result


__all__ = [
    "dossier_apology_cancel",
    "dossier_apology_draft",
    "dossier_apology_sign",
    "dossier_stop",
    "new_date_problem",
]
