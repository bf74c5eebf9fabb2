"""Dossier statuses and the one transition table (DESIGN §3): the only way a status changes."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DossierStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("dossier status", "Draft")
    SUBMITTED = "submitted", _("Awaiting receipt")
    RECEIVED = "received", pgettext_lazy("dossier status", "Received")
    PROCESSING = "processing", _("Processing")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    SUPPLEMENTED = "supplemented", pgettext_lazy("dossier status", "Supplemented")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting fee payment")
    APPROVED = "approved", _("Result ready")
    RETURNED = "returned", _("Result returned")
    REJECTED = "rejected", pgettext_lazy("dossier status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("dossier status", "Withdrawn")
    # Processing stopped by the agency (dừng giải quyết), with a reason and a notice slip.
    STOPPED = "stopped", pgettext_lazy("dossier status", "Processing stopped")


class StepOutcome(models.TextChoices):
    """How a step of the internal process ended against its deadline: before the deadline's
    day (early), on that day in time (on time), or after the deadline (late)."""

    EARLY = "early", pgettext_lazy("step outcome", "Early")
    ON_TIME = "on_time", pgettext_lazy("step outcome", "On time")
    LATE = "late", pgettext_lazy("step outcome", "Late")


class HandOverKind(models.TextChoices):
    """A record of the processing-control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    FORWARD = "forward", pgettext_lazy("hand-over", "Handed over to the next step")
    BACK = "back", pgettext_lazy("hand-over", "Sent back to the previous step")
    ASSIGN = "assign", pgettext_lazy("hand-over", "Assigned to a specialist")
    TAKE = "take", pgettext_lazy("hand-over", "Taken from the unit's pool")
    FINISH = "finish", pgettext_lazy("hand-over", "Result handed to the applicant")
    STOP = "stop", pgettext_lazy("hand-over", "Processing stopped")


class ApologyStatus(models.TextChoices):
    """An apology letter and new appointment (Phiếu xin lỗi và hẹn lại ngày trả kết quả): drafted
    by the unit handling the dossier, signed by a leader (then the applicant is told), or
    cancelled before it is signed."""

    DRAFT = "draft", pgettext_lazy("apology letter", "Draft, awaiting signature")
    SIGNED = "signed", pgettext_lazy("apology letter", "Signed and sent")
    CANCELLED = "cancelled", pgettext_lazy("apology letter", "Cancelled")


# An apology letter is drafted while the agency's clock runs on the dossier.
APOLOGY_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING)


class Channel(models.TextChoices):
    """How a dossier reached the agency: submitted online, or registered by the desk for an
    applicant who came in person (counter) or sent it by post."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")


class ResultDelivery(models.TextChoices):
    """How the applicant receives the result, chosen at submission; the desk records how it was
    actually delivered when it returns the result."""

    DESK = "desk", _("At the agency's desk")
    POST = "post", _("By post")
    ONLINE = "online", _("Online (download from the portal)")


# The result delivery choice kept on each dossier, saved with the draft.
DELIVERY_FIELDS = ("result_delivery", "delivery_address")


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Applicant")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


S = DossierStatus

# (from, to) -> the role allowed to make the move.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): Role.CITIZEN,
    (S.SUBMITTED, S.RECEIVED): Role.STAFF,
    (S.SUBMITTED, S.SUPPLEMENT_REQUESTED): Role.STAFF,
    (S.SUBMITTED, S.REJECTED): Role.STAFF,
    (S.RECEIVED, S.PROCESSING): Role.STAFF,
    # A gap found right after receipt: the clock stops until the complete dossier is back.
    (S.RECEIVED, S.SUPPLEMENT_REQUESTED): Role.STAFF,
    (S.PROCESSING, S.SUPPLEMENT_REQUESTED): Role.STAFF,
    (S.PROCESSING, S.AWAITING_PAYMENT): Role.STAFF,
    (S.PROCESSING, S.APPROVED): Role.STAFF,
    (S.PROCESSING, S.REJECTED): Role.STAFF,
    (S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED): Role.CITIZEN,
    (S.SUPPLEMENTED, S.RECEIVED): Role.STAFF,
    (S.SUPPLEMENTED, S.PROCESSING): Role.STAFF,
    # Confirmed by staff (receipt checked) or by the payment gateway (system).
    (S.AWAITING_PAYMENT, S.PROCESSING): Role.SYSTEM,
    (S.APPROVED, S.RETURNED): Role.STAFF,
    # Stop processing (dừng giải quyết), with a reason and a notice the leader signs.
    (S.RECEIVED, S.STOPPED): Role.STAFF,
    (S.PROCESSING, S.STOPPED): Role.STAFF,
    (S.SUPPLEMENT_REQUESTED, S.STOPPED): Role.STAFF,
    # A citizen may withdraw any dossier that has no result yet.
    **{
        (status, S.WITHDRAWN): Role.CITIZEN
        for status in (
            S.SUBMITTED,
            S.RECEIVED,
            S.PROCESSING,
            S.SUPPLEMENT_REQUESTED,
            S.SUPPLEMENTED,
            S.AWAITING_PAYMENT,
        )
    },
}

# Staff may also make the moves the system makes (e.g. confirm an offline payment).
ROLE_CAN_ACT_AS: dict[str, set[str]] = {
    Role.STAFF: {Role.STAFF, Role.SYSTEM},
    Role.SYSTEM: {Role.SYSTEM},
    Role.CITIZEN: {Role.CITIZEN},
}

# The citizen has to act: shown with a clear mark in the transaction list.
WAITING_FOR_CITIZEN = (S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT)
# The longest supplement deadline staff may give, in working days.
SUPPLEMENT_MAX_DAYS = 60
# No further move is possible.
FINAL = (S.RETURNED, S.REJECTED, S.WITHDRAWN, S.STOPPED)
# The dossier has a result (counts as completed in statistics).
COMPLETED = (S.APPROVED, S.RETURNED)
# While waiting on the citizen the processing clock stops: never flagged overdue.
CLOCK_STOPPED = (S.DRAFT, S.SUBMITTED, *WAITING_FOR_CITIZEN, S.SUPPLEMENTED, *FINAL, S.APPROVED)

STATUS_CSS: dict[str, str] = {
    S.SUPPLEMENT_REQUESTED: "status-waiting",
    S.AWAITING_PAYMENT: "status-waiting",
    S.APPROVED: "status-done",
    S.RETURNED: "status-done",
    S.REJECTED: "status-bad",
    S.WITHDRAWN: "status-bad",
    S.STOPPED: "status-bad",
}


def allowed_targets(status: str, role: str) -> list[str]:
    """Statuses reachable from `status` by someone acting in `role`."""
    roles = ROLE_CAN_ACT_AS[role]
    return [to for (frm, to), who in TRANSITIONS.items() if frm == status and who in roles]


# History actions (`DossierEvent.action`) as staff read them. A status change with no named action
# is stored under its target status and reads as that status. An app that writes its own history
# entries adds its actions here from its `AppConfig.ready()` (payments does).
EVENT_ACTION_LABELS: dict[str, Promise] = {
    S.SUBMITTED: pgettext_lazy("history action", "Submitted by the applicant"),
    S.WITHDRAWN: pgettext_lazy("history action", "Withdrawn by the applicant"),
    "receive": pgettext_lazy("history action", "Received"),
    "start_processing": pgettext_lazy("history action", "Processing started"),
    "continue_processing": pgettext_lazy(
        "history action", "Processing continued after the supplement"
    ),
    "request_supplement": pgettext_lazy("history action", "Supplement requested"),
    "supplement": pgettext_lazy("history action", "Supplement sent by the applicant"),
    "supplement_overdue": pgettext_lazy("history action", "Supplement deadline passed"),
    "request_payment": pgettext_lazy("history action", "Fee requested"),
    "payment_settled": pgettext_lazy("history action", "Fee paid: processing resumes"),
    "approve": pgettext_lazy("history action", "Approved with the result"),
    "reject": pgettext_lazy("history action", "Rejected"),
    "return_result": pgettext_lazy("history action", "Result returned"),
    # Every hand-over of the internal process is recorded as "step_<kind>" (services/workflow).
    **{f"step_{kind.value}": kind.label for kind in HandOverKind},
    "draft_result": pgettext_lazy("history action", "Result drafted"),
    "apology_draft": pgettext_lazy("history action", "Apology letter drafted"),
    "apology_sign": pgettext_lazy("history action", "Apology letter signed: new date"),
    "apology_cancel": pgettext_lazy("history action", "Apology letter cancelled"),
    "stop": pgettext_lazy("history action", "Processing stopped"),
}


def event_action_label(action: str) -> str:
    """The history action in the reader's language; an unknown code shows as it is stored."""
    label = EVENT_ACTION_LABELS.get(action)
    if label is None and action in DossierStatus.values:
        label = DossierStatus(action).label
    return str(label) if label is not None else action


class CalendarDayKind(models.TextChoices):
    DAY_OFF = "day_off", _("Extra day off")
    WORKING_DAY = "working_day", _("Make-up working day")


# Applicant details kept on each dossier (pre-filled from the profile, editable per dossier), in
# the order the dossier form shows them.
APPLICANT_FIELDS = (
    "applicant_type",
    "applicant_name",
    "organisation_name",
    "citizen_id",
    "tax_code",
    "phone",
    "email",
    "address",
)
