"""Reads of the public lookup (Tra cứu hồ sơ): only what DESIGN §9 allows the public to see.

The selectors return small dataclasses, never model instances, so a template cannot reach the
applicant's contact data, files or internal notes by accident.
"""

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from dossiers.constants import (
    CLOCK_STOPPED,
    COMPLETED,
    STATUS_CSS,
    TRANSITIONS,
    WAITING_FOR_CITIZEN,
    Role,
)
from dossiers.constants import DossierStatus as S
from dossiers.history import events_render
from dossiers.models import DossierEvent
from procedures.cache import catalogue_version
from procedures.i18n import localized
from procedures.models import Agency
from procedures.selectors import catalogue_names

from .constants import Timeliness

# Dossier codes are <AGENCY>-<YYMMDD>-<NNNN> (DESIGN §4); accept anything code-shaped so a change
# of pattern does not break the lookup, and reject the rest without touching the database.
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
# The lookup form's example: a real agency's code with a sample receipt date and sequence.
EXAMPLE_CODE_TAIL = "-251120-0001"


# The example code by catalogue version, in this process (a few entries in its lifetime).
_EXAMPLE_CODES: dict[str, str] = {}


def lookup_example_code(request: HttpRequest | None = None) -> str:
    """A dossier code in the shape the portal issues, for the lookup form's hint: the first
    catalogue agency's code. Every lookup page shows it and it changes only with the
    catalogue, so each process keeps it by catalogue version (procedures/cache.py); given the
    request, the version its page cache already read is used (no Redis round trip)."""
    version = catalogue_version(request)
    example = _EXAMPLE_CODES.get(version)
    if example is None:
        agency_code = Agency.objects.order_by("pk").values_list("code", flat=True).first()
        example = f"{(agency_code or 'VBC').upper()}{EXAMPLE_CODE_TAIL}"
        if len(_EXAMPLE_CODES) >= 100:  # never grows without bound
            _EXAMPLE_CODES.clear()
        _EXAMPLE_CODES[version] = example
    return example


_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"))
_WHITESPACE = re.compile(r"\s+")
_CANONICAL = re.compile(r"^[A-Z0-9-]+-\d{6}-\d{4,}$")
# Agency codes are letters: the date starts after the last letter.
_UNHYPHENATED = re.compile(r"^([A-Z0-9]*[A-Z])(\d{6})(\d{4,})$")


def normalise_code(raw: str | None) -> str:
    """A typed or pasted code in canonical form: no whitespace at all, upper case.

    "  cbc-261125-0001 ", "CBC - 261125 - 0001" and "cbc–261125–0001" (typographic dashes) all
    become "CBC-261125-0001". Full-width characters are folded (NFKC). When hyphens are missing
    ("CBC 261125 0001", "cbc2611250001"), they are put back around the six-digit date.
    """
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw[:200]).translate(_DASHES)
    code = _WHITESPACE.sub("", text).upper()
    if _CANONICAL.match(code):
        return code
    parts = _UNHYPHENATED.match(code.replace("-", ""))
    return "-".join(parts.groups()) if parts else code


def normalise_secret(raw: str | None) -> str:
    """The lookup secret as typed, compared without whitespace and case."""
    if not raw:
        return ""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", raw[:64])).upper()[:32]


def _mask_word(word: str) -> str:
    # Count letters, not code points: a decomposed "ă" (a + combining breve) is one letter.
    hidden = sum(1 for char in word[1:] if not unicodedata.combining(char))
    return word[0] + "*" * hidden


def mask_name(name: str) -> str:
    """A name as the public lookup shows it: "Nguyễn Văn An" → "Nguyễn V** A*".

    The first word (the family name of a Vietnamese name, the first word of an organisation's
    name) is kept; every other word keeps its first letter and the rest becomes asterisks, one
    per letter. A single word is masked after its first letter too ("Madonna" → "M******"): kept
    whole, it would be the entire name.
    """
    words = unicodedata.normalize("NFC", name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return _mask_word(words[0])
    return " ".join([words[0], *(_mask_word(word) for word in words[1:])])


def local_date(value: datetime | None) -> date | None:
    return timezone.localdate(value) if value is not None else None


def dossier_timeliness(
    *, status: str, due_date: date | None, completed_at: datetime | None, today: date
) -> str:
    """How a dossier stands against its due date, or "" when the question does not apply.

    Completed (a result) on or before the due date is on time; otherwise late. An open dossier
    whose clock runs (not in `CLOCK_STOPPED`) is overdue once its due date has passed. While the
    dossier waits for the applicant the clock is stopped. Refused or withdrawn dossiers and
    dossiers without a due date have no timeliness.
    """
    if due_date is None:
        return ""
    if status in COMPLETED:
        finished = local_date(completed_at)
        if finished is None:
            return ""
        return Timeliness.COMPLETED_ON_TIME if finished <= due_date else Timeliness.COMPLETED_LATE
    if status in WAITING_FOR_CITIZEN or status == S.SUPPLEMENTED:
        return Timeliness.WAITING_FOR_APPLICANT
    if status in CLOCK_STOPPED:
        return ""
    return Timeliness.OVERDUE if due_date < today else Timeliness.ON_SCHEDULE


TIMELINESS_CSS: dict[str, str] = {
    Timeliness.ON_SCHEDULE: "",
    Timeliness.COMPLETED_ON_TIME: "status-done",
    Timeliness.OVERDUE: "status-bad",
    Timeliness.COMPLETED_LATE: "status-bad",
    Timeliness.WAITING_FOR_APPLICANT: "status-waiting",
}


@dataclass(frozen=True)
class PublicDossier:
    """What anyone holding a dossier's code may see."""

    pk: int
    code: str
    procedure: str
    agency: str
    applicant: str
    received_at: datetime | None
    due_date: date | None
    # A signed apology letter's new date (the public expects the result then); the due date
    # stays the original one, against which the timeliness is judged.
    appointment_date: date | None
    status: str
    secret_required: bool
    timeliness: str
    _secret: str
    # The internal process (DESIGN §10): which unit has the dossier now, and the date its step
    # is expected to end; never who in it.
    current_unit: str = ""
    current_step_date: date | None = None

    @property
    def status_label(self) -> str:
        return str(S(self.status).label)

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(S(self.status), "")

    @property
    def timeliness_label(self) -> str:
        return str(Timeliness(self.timeliness).label) if self.timeliness else ""

    @property
    def timeliness_css(self) -> str:
        return TIMELINESS_CSS.get(self.timeliness, "")

    def secret_matches(self, given: str | None) -> bool:
        """Constant-time check of the lookup secret; never true when the dossier has none."""
        expected = normalise_secret(self._secret)
        if not expected:
            return False
        return hmac.compare_digest(normalise_secret(given).encode(), expected.encode())

    def history_allowed(self, given_secret: str | None) -> bool:
        return not self.secret_required or self.secret_matches(given_secret)

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"PublicDossier({self.code!r})"


# The columns `dossier_public_lookup` reads, named as `.values()` would name them.
_LOOKUP_COLUMNS = (
    "id",
    "code",
    "status",
    "current_step__deadline",
    "current_step__unit__name",
    "current_step__unit__name_en",
    "lookup_secret",
    "applicant_name",
    "applicant_type",
    "organisation_name",
    "received_at",
    "due_date",
    "appointment_date",
    "completed_at",
    "procedure__name",
    "procedure__name_en",
    "agency__name",
    "agency__name_en",
    "agency__require_lookup_secret",
)
# The dossier by its code (a unique index), never a draft, with the names the page shows. Table
# names are quoted as the ORM quotes them (tests/portal/test_page_tags.py finds them so).
_LOOKUP_SQL = """
SELECT d.id, d.code, d.status, s.deadline, u.name, u.name_en, d.lookup_secret,
       d.applicant_name, d.applicant_type, d.organisation_name, d.received_at, d.due_date,
       d.appointment_date, d.completed_at, p.name, p.name_en, a.name, a.name_en,
       a.require_lookup_secret
FROM "dossiers_dossier" d
JOIN "procedures_procedure" p ON p.id = d.procedure_id
JOIN "procedures_agency" a ON a.id = d.agency_id
LEFT JOIN "dossiers_dossierstep" s ON s.id = d.current_step_id
LEFT JOIN "procedures_unit" u ON u.id = s.unit_id
WHERE d.code = %s AND d.status <> %s
"""


def _aware(value: datetime | None) -> datetime | None:
    """A datetime read by hand-written SQL as the ORM would give it: SQLite's driver returns
    naive UTC values (PostgreSQL's, aware ones)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def dossier_public_lookup(*, code: str, today: date | None = None) -> PublicDossier | None:
    """The dossier with this (already normalised) code, or None. One query.

    Drafts never have a code; a malformed code is answered without a query.
    """
    if not CODE_RE.match(code or ""):
        return None
    # The busiest read of the portal (every lookup and history page): one hand-written query
    # (Django's "Executing custom SQL directly"), since building the equivalent `.values()`
    # queryset cost 0.5 ms of CPU per request, six times more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [code, S.DRAFT.value])
        found = cursor.fetchone()
    if found is None:
        return None
    row = dict(zip(_LOOKUP_COLUMNS, found, strict=True))
    for name in ("current_step__deadline", "received_at", "completed_at"):
        row[name] = _aware(row[name])
    if row["applicant_type"] == "organisation" and row["organisation_name"]:
        shown_name = row["organisation_name"]
    else:
        shown_name = row["applicant_name"]
    return PublicDossier(
        pk=row["id"],
        code=row["code"] or "",
        procedure=localized(row, "procedure__name"),
        agency=localized(row, "agency__name"),
        applicant=mask_name(shown_name),
        received_at=row["received_at"],
        due_date=row["due_date"],
        appointment_date=row["appointment_date"],
        status=row["status"],
        secret_required=row["agency__require_lookup_secret"],
        timeliness=dossier_timeliness(
            status=row["status"],
            due_date=row["due_date"],
            completed_at=row["completed_at"],
            today=today or timezone.localdate(),
        ),
        _secret=row["lookup_secret"],
        current_unit=(
            str(localized(row, "current_step__unit__name"))
            if row["current_step__unit__name"]
            else ""
        ),
        current_step_date=local_date(row["current_step__deadline"]),
    )


# Every status value, once (`DossierStatus.values` builds its list again on each read).
_STATUSES = frozenset(S.values)


@dataclass(frozen=True)
class PublicEvent:
    """One step of the processing history (quá trình xử lý) as the public sees it: only what
    the portal composes (time, unit, status, a public message), never what a person typed."""

    created_at: datetime
    handling_unit: str
    status: str
    text: str

    @property
    def status_label(self) -> str:
        return str(S(self.status).label) if self.status in _STATUSES else ""

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(S(self.status), "") if self.status in _STATUSES else ""


# The public events of one dossier (index on the dossier), oldest first; no free-text column.
_PUBLIC_EVENTS_SQL = """
SELECT id, created_at, handling_unit, from_status, to_status, message, params
FROM "dossiers_dossierevent"
WHERE dossier_id = %s AND is_public
ORDER BY created_at, id
"""


def dossier_public_events(
    *, dossier_id: int, request: HttpRequest | None = None
) -> list[PublicEvent]:
    """The public events of a dossier, oldest first: time, unit, status and the public message,
    composed in the active language. One query: the agencies and units the events name come
    from the process's copy for the current catalogue version (`request`: the page's, whose
    page cache already read that version).

    Free text (the note to the applicant, internal notes), actors, files and non-public events
    are never read: a reason or a note can hold personal data (DESIGN §9).
    """
    # Hand-written (a raw queryset still gives model instances): building the equivalent
    # filtered, ordered `.only()` queryset cost three times more CPU than this whole read.
    rows = DossierEvent.objects.raw(_PUBLIC_EVENTS_SQL, [dossier_id])
    events = []
    for shown in events_render(rows, public=True, known=catalogue_names(request)):
        event, unit = shown.event, shown.unit
        if not unit and TRANSITIONS.get((event.from_status, event.to_status)) == Role.CITIZEN:
            # Moves only the applicant can make carry no agency unit.
            unit = str(Role.CITIZEN.label)
        events.append(PublicEvent(event.created_at, unit, event.to_status, shown.text))
    return events
