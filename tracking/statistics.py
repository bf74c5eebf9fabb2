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
  "received"; the months are not split by channel.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation

from dossiers.constants import CLOCK_STOPPED, COMPLETED, Channel, DossierStatus
from dossiers.models import Dossier
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
    # Widths (0–100) of the bars in the charts.
    bar_received: float = 0.0
    bar_completed: float = 0.0

    def add(self, other: "Row") -> None:
        for name in (*COUNTED, *CHANNEL_FIGURES):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rating_sum += other.rating_sum

    @property
    def received_in_person(self) -> int:
        """Received dossiers the desk registered: brought in person or sent by post."""
        return self.received_counter + self.received_post

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.completed, 1) if self.completed else None

    @property
    def satisfaction(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def is_empty(self) -> bool:
        return not (self.received or self.completed or self.overdue)


@dataclass
class Statistics:
    period: Period
    today: date
    total: Row
    agencies: list[Row] = field(default_factory=list)
    fields: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)


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
        **{name: values.get(name) or 0 for name in CHANNEL_FIGURES},
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


def statistics_compute(*, period: Period, today: date) -> Statistics:
    """The figures of `period` as of `today`. Exactly four queries."""
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
    return Statistics(
        period=period, today=today, total=total, agencies=agencies, fields=fields, months=month_rows
    )


def statistics_for_period(*, period: Period, today: date | None = None) -> Statistics:
    """`statistics_compute`, cached for a few minutes per period, day and language."""
    today = today or timezone.localdate()
    key = "tracking:statistics:v2:{lang}:{first:%Y-%m}:{last:%Y-%m}:{today:%Y-%m-%d}".format(
        lang=translation.get_language() or "", first=period.first, last=period.last, today=today
    )
    stats = cache.get(key)
    if stats is None:
        stats = statistics_compute(period=period, today=today)
        cache.set(key, stats, CACHE_SECONDS)
    return stats
