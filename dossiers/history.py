"""The texts of a dossier's history and notifications, composed when read (accounts.messages).

A `DossierEvent` keeps a message id and its parameters (dates, amounts, the handling agency's
id), never a sentence in the actor's language; what a person typed (a reason, a note to the
applicant) stays in its own fields, which the public lookup never reads (DESIGN §9).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.messages import Visibility, message_get, messages_render, register_kind
from accounts.messages import register_message as message
from procedures.models import Agency, Procedure, Unit

from .models import Dossier, DossierEvent


def _load_agencies(ids: set) -> dict:
    return Agency.objects.only("id", "name", "name_en").in_bulk(ids)


def _load_procedures(ids: set) -> dict:
    return Procedure.objects.only("id", "name", "name_en").in_bulk(ids)


def _load_units(ids: set) -> dict:
    return Unit.objects.only("id", "name", "name_en").in_bulk(ids)


# Catalogue names in the reader's language (Vietnamese when not translated).
register_kind("agency", format=lambda a: str(a.display_name), load=_load_agencies)
register_kind("unit", format=lambda u: str(u.display_name), load=_load_units)
register_kind(
    "procedure", format=lambda p: Truncator(p.display_name).chars(80), load=_load_procedures
)

PUBLIC, APPLICANT, STAFF = Visibility.PUBLIC, Visibility.APPLICANT, Visibility.STAFF


class Msg:
    """Message ids of the dossier's history (the public lookup shows only public ones)."""

    SUBMITTED = message("dossier.submitted", _("The dossier was sent to the agency.")).id
    RECEIVED = message(
        "dossier.received", _("Dossier received; due date %(due_date)s."), due_date="date"
    ).id
    # Older steps whose due date at the time is no longer known (converted rows).
    RECEIVED_NO_DATE = message("dossier.received.no_date", _("Dossier received.")).id
    PROCESSING_CONTINUED_NO_DATE = message(
        "dossier.processing_continued.no_date", _("Processing continues after the supplement.")
    ).id
    PROCESSING_STARTED = message("dossier.processing_started", _("Processing started.")).id
    PROCESSING_CONTINUED = message(
        "dossier.processing_continued",
        _("Processing continues after the supplement; new due date %(due_date)s."),
        due_date="date",
    ).id
    SUPPLEMENT_REQUESTED = message(
        "dossier.supplement_requested", _("Supplement due by %(date)s."), date="date"
    ).id
    SUPPLEMENTED = message("dossier.supplemented", _("The applicant sent the supplement.")).id
    SUPPLEMENT_OVERDUE = message(
        "dossier.supplement_overdue",
        _("The supplement deadline (%(date)s) passed without an answer."),
        visibility=STAFF,
        date="date",
    ).id
    PAYMENT_REQUESTED = message("dossier.payment_requested", _("A fee is to be paid.")).id
    PAYMENT_SETTLED = message("dossier.payment_settled", _("The fee was paid.")).id
    APPROVED = message("dossier.approved", _("The result is ready.")).id
    REJECTED = message("dossier.rejected", _("The dossier was rejected.")).id
    RETURNED = message("dossier.returned", _("The result was handed over.")).id
    WITHDRAWN = message("dossier.withdrawn", _("The applicant withdrew the dossier.")).id
    # Late and stop handling (dossiers.services.letters): the public reads the new date and the
    # stop, never the reason.
    APOLOGY_DRAFTED = message(
        "dossier.apology_drafted",
        _("An apology letter with the new date %(date)s awaits a leader's signature."),
        visibility=STAFF,
        date="date",
    ).id
    APOLOGY_CANCELLED = message(
        "dossier.apology_cancelled",
        _("The apology letter with the new date %(date)s was cancelled."),
        visibility=STAFF,
        date="date",
    ).id
    APOLOGY_SIGNED = message(
        "dossier.apology_signed",
        _("The agency apologises for the delay; the result is now expected on %(date)s."),
        date="date",
    ).id
    STOPPED = message("dossier.stopped", _("Processing of the dossier was stopped.")).id
    # The internal process (DESIGN §10): the public reads which unit has the dossier and until
    # when, never who in it.
    STEP_FORWARD = message(
        "dossier.step_forward",
        _("Handed over to %(unit)s; expected by %(date)s."),
        unit="unit",
        date="date",
    ).id
    STEP_BACK = message(
        "dossier.step_back", _("Sent back to %(unit)s."), visibility=STAFF, unit="unit"
    ).id
    STEP_ASSIGN = message(
        "dossier.step_assign",
        _("Assigned to a specialist of %(unit)s."),
        visibility=STAFF,
        unit="unit",
    ).id
    STEP_TAKE = message(
        "dossier.step_take",
        _("Taken by a specialist of %(unit)s."),
        visibility=STAFF,
        unit="unit",
    ).id


# Notification titles: one per email template (the same words as the email's subject), and a
# variant for a dossier that has no code yet.
for template, with_code, without_code in (
    ("dossier_received", _("Dossier received: %(code)s"), None),
    (
        "dossier_supplement_requested",
        _("Please supplement your dossier %(code)s"),
        _("Please supplement your dossier"),
    ),
    (
        "dossier_supplement_answered",
        _("Dossier %(code)s has been supplemented"),
        _("A dossier has been supplemented"),
    ),
    ("dossier_approved", _("The result of your dossier %(code)s is ready"), None),
    ("dossier_returned", _("The result of your dossier %(code)s was handed over"), None),
    ("dossier_rejected", _("Your dossier %(code)s was rejected"), _("Your dossier was rejected")),
    ("dossier_stopped", _("Processing of your dossier %(code)s was stopped"), None),
):
    message(template, with_code, visibility=APPLICANT, code="text")
    if without_code is not None:
        message(f"{template}.no_code", without_code, visibility=APPLICANT)
message("dossier_submitted", _("Dossier sent: %(procedure)s"), procedure="procedure")
# The staff's notices about the internal process (services/staff_notify.py).
message(
    "staff_step_assigned", _("Dossier %(code)s is assigned to you"), visibility=STAFF, code="text"
)
message(
    "staff_step_pool",
    _("Dossier %(code)s is waiting in the pool of %(unit)s"),
    visibility=STAFF,
    code="text",
    unit="unit",
)
message(
    "staff_step_returned", _("Dossier %(code)s was sent back to you"), visibility=STAFF, code="text"
)
message(
    "staff_step_to_sign",
    _("Dossier %(code)s is waiting for your signature"),
    visibility=STAFF,
    code="text",
)
message(
    "staff_step_due_soon",
    _("Dossier %(code)s: the step is due by %(deadline)s"),
    visibility=STAFF,
    code="text",
    deadline="datetime",
)
message(
    "dossier_apology_to_sign",
    _("Apology letter to sign: dossier %(code)s, new date %(date)s"),
    visibility=APPLICANT,
    code="text",
    date="date",
)
message(
    "dossier_apology",
    _("Apology: the result of your dossier %(code)s is now expected on %(date)s"),
    visibility=APPLICANT,
    code="text",
    date="date",
)
message(
    "dossier_supplement_reminder",
    _("Reminder: supplement your dossier by %(date)s"),
    visibility=APPLICANT,
    date="date",
)


def notification_message(template: str, dossier: Dossier, context: Mapping) -> tuple[str, dict]:
    """The message id and parameters of the notification sent with `template` about `dossier`."""
    params: dict = {"dossier": dossier.pk, "procedure": dossier.procedure_id}
    if dossier.code:
        params["code"] = dossier.code
    elif message_get(f"{template}.no_code"):
        template = f"{template}.no_code"
    supplement = context.get("supplement")
    if supplement is not None:
        params["date"] = supplement.deadline.isoformat()
    step = context.get("step")
    if step is not None:
        # A step of the internal process: its unit and its deadline (staff notices).
        params["unit"] = step.unit_id
        params["deadline"] = step.deadline.isoformat()
    letter = context.get("letter")
    if letter is not None:
        params["date"] = letter.new_date.isoformat()
    return template, params


@dataclass(frozen=True)
class RenderedEvent:
    """An event as one reader sees it: the composed text and the handling unit's name."""

    event: DossierEvent
    text: str
    unit: str


def events_render(
    events: Iterable[DossierEvent],
    *,
    public: bool,
    agency: Agency | None = None,
    known: Mapping[str, Mapping] | None = None,
) -> list[RenderedEvent]:
    """Compose the history texts and unit names of `events` in the active language.

    `public`: for the public lookup, where only messages meant for the public are written out
    (others leave the text empty). Agencies are loaded in one query for all the events, none
    when `agency` (the dossier's, already loaded) is the only one they name; `known` supplies
    agencies and units already at hand by kind (procedures.selectors.catalogue_names), then
    not queried. Free text (`note`, `internal_note`) is not touched here: the caller decides
    who may read it.
    """
    rows = list(events)
    known = dict(known or {})
    if agency is not None:
        known["agency"] = {**known.get("agency", {}), agency.pk: agency}
    pairs = []
    for event in rows:
        composed = message_get(event.message)
        shown = composed is not None and (composed.is_public or not public)
        pairs.append((event.message if shown else "", event.params))
    # The unit column goes through the same loader: a one-parameter message for the name.
    units = [("dossier.unit", {"agency": (e.params or {}).get("agency")}) for e in rows]
    texts = messages_render([*pairs, *units], known=known)
    return [
        RenderedEvent(event, text, unit or event.handling_unit)
        for event, text, unit in zip(rows, texts[: len(rows)], texts[len(rows) :], strict=True)
    ]


def events_for_applicant(events: Iterable[DossierEvent], *, agency: Agency) -> list[RenderedEvent]:
    """The history as the applicant reads it on their dossier page, with the notes people
    wrote to them: the public steps, and the others whose message is meant for the applicant
    (a payment step); steps only staff need (an internal flag) are left out. `agency`: the
    dossier's, already loaded (no query for it)."""
    shown = []
    for item in events_render(events, public=False, agency=agency):
        composed = message_get(item.event.message)
        if item.event.is_public or (composed is not None and composed.visibility != STAFF):
            shown.append(item)
    return shown


# The handling unit's name alone, for the unit column (public, like the status).
message("dossier.unit", "%(agency)s", agency="agency")
