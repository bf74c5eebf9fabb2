"""Public service statistics (DESIGN §4): received, completed, on time, overdue, satisfaction.

Four aggregate queries whatever the number of dossiers — per agency, per field, received per
month, completed per month — cached briefly. Definitions, for a period [start, end):

- received: `received_at` in the period;
- completed: a result (status in `COMPLETED`) with `completed_at` in the period;
- completed on time: completed, and the local date of `completed_at` <= `due_date` (the due
  date is recomputed after a supplement, so that is the date compared; an apology letter's new
  date, `appointment_date`, never is: a result after the original due date is late);
- overdue: completed late in the period, plus open dossiers whose clock runs (status not in
  `CLOCK_STOPPED`) and whose due date fell in the period and has passed;
- on-time rate: completed on time / completed;
- satisfaction: the mean rating score of the dossiers completed in the period;
- received by channel: the received ones submitted online, and those the desk registered
  (brought in person or sent by post: `received_in_person` is both together). They add up to
  "received"; the months are not split by channel. Completed and on time are split by channel
  the same way (`completed_online`, `on_time_online`, …), adding up to the totals.

The dossier's on-time figures always compare with `due_date`, the date set at receipt (or after a
supplement): a later appointment the agency gives with an apology letter never makes a late
dossier count as on time.

The internal process (issue 17, item 10), from the steps of the dossiers (`DossierStep`), in one
more query for the steps and one for the calendar:

- per unit and per step of the process (unit kind and acting role): the steps finished in the
  period, early / on time / late against their own deadlines, and the on-time rate (early and on
  time together over finished);
- where dossiers wait: the office hours each finished step took, average and longest (the time
  the clock stood still while the applicant was asked for something is not counted: the
  deadline moved by it), and the steps open now, how many are late, and the age of the oldest.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation

from dossiers.calendar import OfficeClock
from dossiers.constants import CLOCK_STOPPED, COMPLETED, Channel, DossierStatus, StepOutcome
from dossiers.models import Dossier, DossierStep
from procedures.constants import StaffRole, UnitKind
from procedures.i18n import localized

from .models import Rating

CACHE_SECONDS = 300
MAX_MONTHS = 60
MONTH_COMPLETED = ("completed", "on_time", "late", "rating_count", "rating_sum")
# The received dossiers by how they reached the agency (DESIGN §10), counted per agency/field.
CHANNEL_FIGURES = {
    "received_online": Channel.ONLINE,
    "received_counter": Channel.COUNTER,
    "received_post": Channel.POST,
}
# The completed ones, and those on time, by channel (filter: completed, on time).
COMPLETED_CHANNEL_FIGURES = {
    f"{figure}_{name}": (figure, channel)
    for name, channel in (
        ("online", Channel.ONLINE),
        ("counter", Channel.COUNTER),
        ("post", Channel.POST),
    )
    for figure in ("completed", "on_time")
}
COUNTED = ("received", "completed", "on_time", "late", "overdue", "rating_count")
CLOCK_RUNNING = [status for status in DossierStatus.values if status not in CLOCK_STOPPED]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Number of months from `first` to `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Period:
    """Whole months from `first` to `last` (first days of months), both included."""

    first: date
    last: date

    @classmethod
    def last_12_months(cls, today: date) -> "Period":
        this_month = month_start(today)
        return cls(add_months(this_month, -11), this_month)

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(add_months(self.last, 1), time.min))

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, i) for i in range(months_between(self.first, self.last))]


@dataclass
class Row:
    """Figures of one group (an agency, a field, a month, or the total)."""

    key: object
    name: str
    received: int = 0
    completed: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    rating_count: int = 0
    rating_sum: float = 0.0
    received_online: int = 0
    received_counter: int = 0
    received_post: int = 0
    completed_online: int = 0
    completed_counter: int = 0
    completed_post: int = 0
    on_time_online: int = 0
    on_time_counter: int = 0
    on_time_post: int = 0
    # Widths (0–100) of the bars in the charts.
    bar_received: float = 0.0
    bar_completed: float = 0.0

    def add(self, other: "Row") -> None:
        for name in (*COUNTED, *CHANNEL_FIGURES, *COMPLETED_CHANNEL_FIGURES):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rating_sum += other.rating_sum

    @property
    def received_in_person(self) -> int:
        """Received dossiers the desk registered: brought in person or sent by post."""
        return self.received_counter + self.received_post

    @property
    def completed_in_person(self) -> int:
        return self.completed_counter + self.completed_post

    @property
    def on_time_in_person(self) -> int:
        return self.on_time_counter + self.on_time_post

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.completed)

    @property
    def on_time_rate_online(self) -> float | None:
        return _rate(self.on_time_online, self.completed_online)

    @property
    def on_time_rate_in_person(self) -> float | None:
        return _rate(self.on_time_in_person, self.completed_in_person)

    @property
    def on_time_rate_counter(self) -> float | None:
        return _rate(self.on_time_counter, self.completed_counter)

    @property
    def on_time_rate_post(self) -> float | None:
        return _rate(self.on_time_post, self.completed_post)

    @property
    def satisfaction(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def is_empty(self) -> bool:
        return not (self.received or self.completed or self.overdue)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class StepRow:
    """The steps of one unit, or of one kind of step (unit kind and acting role): how the
    finished ones ended against their deadlines and how long they took, and the open ones."""

    key: object
    name: object
    # The agency of a unit (None for a kind of step, which spans agencies).
    agency: object = None
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    hours_sum: float = 0.0
    hours_max: float = 0.0
    open: int = 0
    open_late: int = 0
    open_age_max: float = 0.0

    def add_finished(self, outcome: str, hours: float) -> None:
        self.finished += 1
        if outcome == StepOutcome.EARLY:
            self.early += 1
        elif outcome == StepOutcome.LATE:
            self.late += 1
        else:
            self.on_time += 1
        self.hours_sum += hours
        self.hours_max = max(self.hours_max, hours)

    def add_finished_group(
        self, *, early: int, on_time: int, late: int, hours_sum: float, hours_max: float
    ) -> None:
        """Steps counted in the database (their stored office hours)."""
        self.finished += early + on_time + late
        self.early += early
        self.on_time += on_time
        self.late += late
        self.hours_sum += hours_sum
        self.hours_max = max(self.hours_max, hours_max)

    def add_open(self, *, late: bool, age: float) -> None:
        self.open += 1
        self.open_late += int(late)
        self.open_age_max = max(self.open_age_max, age)

    @property
    def on_time_rate(self) -> float | None:
        """Finished early or on time, over finished (percent)."""
        return _rate(self.early + self.on_time, self.finished)

    @property
    def hours_average(self) -> float | None:
        return round(self.hours_sum / self.finished, 1) if self.finished else None


@dataclass
class Statistics:
    period: Period
    today: date
    total: Row
    agencies: list[Row] = field(default_factory=list)
    fields: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)
    # The internal process: per unit (by agency and name), per kind of step (longest first).
    units: list[StepRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)


def _conditions(period: Period, today: date) -> dict[str, Q]:
    received = Q(received_at__gte=period.start, received_at__lt=period.end)
    completed = Q(status__in=COMPLETED, completed_at__gte=period.start, completed_at__lt=period.end)
    late = completed & Q(completed_at__date__gt=F("due_date"))
    open_overdue = Q(
        status__in=CLOCK_RUNNING,
        due_date__gte=period.first,
        due_date__lt=min(today, add_months(period.last, 1)),
    )
    return {
        "received": received,
        "completed": completed,
        "on_time": completed & Q(completed_at__date__lte=F("due_date")),
        "late": late,
        "overdue": late | open_overdue,
        "rated": completed & Q(rating__isnull=False),
    }


def _aggregates(cond: dict[str, Q], *, only: tuple[str, ...] | None = None) -> dict:
    aggregates = {
        "received": Count("id", filter=cond["received"]),
        "completed": Count("id", filter=cond["completed"]),
        "on_time": Count("id", filter=cond["on_time"]),
        "late": Count("id", filter=cond["late"]),
        "overdue": Count("id", filter=cond["overdue"]),
        "rating_count": Count("id", filter=cond["rated"]),
        "rating_sum": Sum(Rating.score_expression("rating__"), filter=cond["rated"]),
        **{
            name: Count("id", filter=cond["received"] & Q(channel=channel))
            for name, channel in CHANNEL_FIGURES.items()
        },
        **{
            name: Count("id", filter=cond[figure] & Q(channel=channel))
            for name, (figure, channel) in COMPLETED_CHANNEL_FIGURES.items()
        },
    }
    return {name: agg for name, agg in aggregates.items() if only is None or name in only}


def _row(key, name: str, values: dict) -> Row:
    return Row(
        key=key,
        name=name,
        received=values.get("received") or 0,
        completed=values.get("completed") or 0,
        on_time=values.get("on_time") or 0,
        late=values.get("late") or 0,
        overdue=values.get("overdue") or 0,
        rating_count=values.get("rating_count") or 0,
        rating_sum=float(values.get("rating_sum") or 0),
        **{name: values.get(name) or 0 for name in (*CHANNEL_FIGURES, *COMPLETED_CHANNEL_FIGURES)},
    )


def _grouped(base, cond, key: str, name: str) -> list[Row]:
    """Rows per `key`, named by the catalogue text `name` in the reader's language."""
    rows = base.values(key, name, f"{name}_en").annotate(**_aggregates(cond)).order_by(name, key)
    result = [_row(r[key], localized(r, name), r) for r in rows]
    return [row for row in result if not row.is_empty]


def _month_key(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return month_start(value)


def _set_bars(rows: list[Row]) -> None:
    top = max((max(row.received, row.completed) for row in rows), default=0)
    for row in rows:
        row.bar_received = round(100 * row.received / top, 1) if top else 0.0
        row.bar_completed = round(100 * row.completed / top, 1) if top else 0.0


STEP_COLUMNS = (
    "unit_id",
    "unit__name",
    "unit__name_en",
    "unit__agency__name",
    "unit__agency__name_en",
    "unit_kind",
    "role",
    "hours",
    "started_at",
    "deadline",
    "paused_at",
    "finished_at",
    "outcome",
)


def _step_used_hours(clock: OfficeClock, step: dict, until: datetime) -> float:
    """The office hours a step has used up to `until` (its end, or now): its duration less the
    office hours still left before its deadline, or plus those past it. The deadline moved by
    the time the clock stood still (waiting on the applicant), so that time is not counted."""
    used = step["hours"] + clock.signed_hours(step["deadline"], until)
    return round(max(used, 0.0), 1)


def _kind_name(unit_kind: str, role: str) -> str:
    kind = UnitKind(unit_kind).label if unit_kind in UnitKind.values else unit_kind
    acting = StaffRole(role).label if role in StaffRole.values else role
    return f"{kind} — {acting}"


def _outcome_counts() -> dict:
    return {
        name: Count("id", filter=Q(outcome=value))
        for name, value in (
            ("early", StepOutcome.EARLY),
            ("on_time", StepOutcome.ON_TIME),
            ("late", StepOutcome.LATE),
        )
    }


def step_statistics(*, period: Period, now: datetime) -> tuple[list[StepRow], list[StepRow]]:
    """The internal process's figures per unit and per kind of step: the steps finished in
    `period` and those open at `now`.

    Finished steps are counted in the database by unit and by kind, from the office hours each
    stored when it finished (one grouped query); only the open steps, and finished ones from
    before those hours were stored, are read row by row, with the calendar of their dates. At
    most three queries, one when there are no steps."""
    finished_in_period = Q(finished_at__gte=period.start, finished_at__lt=period.end)
    open_now = Q(finished_at__isnull=True, started_at__lte=now)
    grouped = (
        DossierStep.objects.filter(finished_in_period, hours_used__isnull=False)
        .order_by()
        .values(
            "unit_id",
            "unit__name",
            "unit__name_en",
            "unit__agency__name",
            "unit__agency__name_en",
            "unit_kind",
            "role",
        )
        .annotate(**_outcome_counts(), hours_sum=Sum("hours_used"), hours_max=Max("hours_used"))
    )
    # The outcome counts come from **_outcome_counts(): the row types cannot name them.
    groups = cast(list[dict[str, Any]], list(grouped))
    rows = list(
        DossierStep.objects.filter(open_now | (finished_in_period & Q(hours_used__isnull=True)))
        .order_by()
        .values(*STEP_COLUMNS)
    )
    if not rows and not groups:
        return [], []
    units: dict[int, StepRow] = {}
    kinds: dict[tuple[str, str], StepRow] = {}

    def rows_of(step: dict) -> tuple[StepRow, StepRow]:
        unit = units.get(step["unit_id"])
        if unit is None:
            unit = units[step["unit_id"]] = StepRow(
                key=step["unit_id"],
                name=localized(step, "unit__name"),
                agency=localized(step, "unit__agency__name"),
            )
        kind_key = (step["unit_kind"], step["role"])
        kind = kinds.get(kind_key)
        if kind is None:
            kind = kinds[kind_key] = StepRow(key=kind_key, name=_kind_name(*kind_key))
        return unit, kind

    for group in groups:
        for row in rows_of(group):
            row.add_finished_group(
                early=group["early"],
                on_time=group["on_time"],
                late=group["late"],
                hours_sum=group["hours_sum"] or 0.0,
                hours_max=group["hours_max"] or 0.0,
            )
    if rows:
        moments = [m for r in rows for m in (r["started_at"], r["deadline"], r["finished_at"]) if m]
        first, last = min([*moments, now]), max([*moments, now])
        clock = OfficeClock(timezone.localtime(first).date(), timezone.localtime(last).date())
    for step in rows:
        unit, kind = rows_of(step)
        if step["finished_at"] is not None:
            hours = _step_used_hours(clock, step, step["finished_at"])
            for row in (unit, kind):
                row.add_finished(step["outcome"], hours)
        else:
            late = step["paused_at"] is None and step["deadline"] < now
            age = _step_used_hours(clock, step, step["paused_at"] or now)
            for row in (unit, kind):
                row.add_open(late=late, age=age)
    unit_rows = sorted(units.values(), key=lambda r: (str(r.agency), str(r.name), r.key))
    kind_rows = sorted(
        kinds.values(), key=lambda r: (-(r.hours_average or 0.0), -r.open_age_max, r.name)
    )
    return unit_rows, kind_rows


def statistics_compute(*, period: Period, today: date, now: datetime | None = None) -> Statistics:
    """The figures of `period` as of `today` (the open steps as of `now`, default: the end of
    `today` or now, whichever is first). Six queries, and one for the calendar when there are
    steps of an internal process to read one by one (`step_statistics`)."""
    cond = _conditions(period, today)
    base = Dossier.objects.filter(cond["received"] | cond["completed"] | cond["overdue"])
    agencies = _grouped(base, cond, "agency_id", "agency__name")
    fields = _grouped(base, cond, "procedure__field_id", "procedure__field__name")

    months = {month: Row(key=month, name="") for month in period.months}
    received = (
        Dossier.objects.filter(cond["received"])
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(received=Count("id"))
        .order_by("month")
    )
    for values in received:
        row = months.get(_month_key(values["month"]))
        if row is not None:
            row.received = values["received"]
    completed = (
        Dossier.objects.filter(cond["completed"])
        .annotate(month=TruncMonth("completed_at"))
        .values("month")
        .annotate(**_aggregates(cond, only=MONTH_COMPLETED))
        .order_by("month")
    )
    for figures in completed:
        row = months.get(_month_key(figures["month"]))
        if row is not None:
            for name in MONTH_COMPLETED:
                setattr(row, name, figures[name] or 0)  # type: ignore[literal-required]

    total = Row(key=None, name="")
    for row in agencies:
        total.add(row)
    month_rows = list(months.values())
    for rows in (agencies, fields, month_rows):
        _set_bars(rows)
    if now is None:
        end_of_today = timezone.make_aware(datetime.combine(today, time.max))
        now = min(timezone.now(), end_of_today)
    units, steps = step_statistics(period=period, now=now)
    return Statistics(
        period=period,
        today=today,
        total=total,
        agencies=agencies,
        fields=fields,
        months=month_rows,
        units=units,
        steps=steps,
    )


def statistics_for_period(*, period: Period, today: date | None = None) -> Statistics:
    """`statistics_compute`, cached for a few minutes per period, day and language."""
    today = today or timezone.localdate()
    key = "tracking:statistics:v3:{lang}:{first:%Y-%m}:{last:%Y-%m}:{today:%Y-%m-%d}".format(
        lang=translation.get_language() or "", first=period.first, last=period.last, today=today
    )
    stats = cache.get(key)
    if stats is None:
        stats = statistics_compute(period=period, today=today)
        cache.set(key, stats, CACHE_SECONDS)
    return stats
