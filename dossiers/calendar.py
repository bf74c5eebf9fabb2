"""Working days (DESIGN §4): no Saturdays, Sundays or Vietnamese public holidays, plus the
extra days off and make-up working days staff enter in admin."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .constants import CalendarDayKind


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def _exceptions(start: date, end: date) -> tuple[set[date], set[date]]:
    from .models import CalendarDay

    days_off: set[date] = set()
    working: set[date] = set()
    for day, kind in CalendarDay.objects.filter(date__range=(start, end)).values_list(
        "date", "kind"
    ):
        (days_off if kind == CalendarDayKind.DAY_OFF else working).add(day)
    return days_off, working


def is_working_day(
    day: date, days_off: set[date] | None = None, working: set[date] | None = None
) -> bool:
    if days_off is None or working is None:
        days_off, working = _exceptions(day, day)
    if day in working:
        return True
    if day in days_off or day in _public_holidays(day.year):
        return False
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`, counted from the day after it.

    One query for the calendar exceptions in the whole window.
    """
    # Generous window: Tết can close ~9 consecutive days; weekends take 2 of every 7.
    horizon = start + timedelta(days=days * 2 + 30)
    days_off, working = _exceptions(start, horizon)
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        if current > horizon:
            horizon = current + timedelta(days=60)
            extra_off, extra_work = _exceptions(current, horizon)
            days_off |= extra_off
            working |= extra_work
        if is_working_day(current, days_off, working):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    days_off, working = _exceptions(start, end)
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, days_off, working):
            count += 1
    return count


# The office hours of a working day (agency time): 8 working hours, the unit of the internal
# process's step durations (procedures.constants.WORKING_HOURS_PER_DAY).
AGENCY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_HOURS = ((time(8, 0), time(12, 0)), (time(13, 0), time(17, 0)))


def _periods(day: date) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, start, AGENCY_TZ), datetime.combine(day, end, AGENCY_TZ))
        for start, end in OFFICE_HOURS
    ]


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` office hours after `start` (DESIGN §10: step deadlines).

    Time outside office hours, weekends, public holidays and extra days off does not count; a
    make-up working day does. A step started after hours starts counting the next working
    morning. One query for the calendar exceptions in the window."""
    current = start.astimezone(AGENCY_TZ)
    left = timedelta(hours=hours)
    horizon = current.date() + timedelta(days=int(hours // 8) * 2 + 30)
    days_off, working = _exceptions(current.date(), horizon)
    day = current.date()
    while True:
        if day > horizon:
            horizon = day + timedelta(days=60)
            extra_off, extra_work = _exceptions(day, horizon)
            days_off |= extra_off
            working |= extra_work
        if is_working_day(day, days_off, working):
            for begin, end in _periods(day):
                begin = max(begin, current)
                if begin >= end:
                    continue
                if end - begin >= left:
                    return begin + left
                left -= end - begin
        day += timedelta(days=1)


def working_hours_between(start: datetime, end: datetime) -> float:
    """The office hours between two moments (0 when `end` is not after `start`)."""
    if end <= start:
        return 0.0
    first, last = start.astimezone(AGENCY_TZ), end.astimezone(AGENCY_TZ)
    days_off, working = _exceptions(first.date(), last.date())
    total = timedelta()
    day = first.date()
    while day <= last.date():
        if is_working_day(day, days_off, working):
            for begin, finish in _periods(day):
                begin, finish = max(begin, first), min(finish, last)
                if finish > begin:
                    total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600


class OfficeClock:
    """Office hours between moments, for many pairs at once (statistics over thousands of
    steps): the calendar exceptions of the window `first`–`last` (agency dates) are read in one
    query, and each moment becomes the office hours elapsed since the window began, so a pair
    costs two lookups. A moment outside the window is counted by `working_hours_between`."""

    def __init__(self, first: date, last: date):
        days_off, working = _exceptions(first, last)
        # The office hours elapsed at midnight of each day of the window, and its working days.
        self._midnight: dict[date, float] = {}
        self._working: set[date] = set()
        elapsed, day = 0.0, first
        while day <= last:
            self._midnight[day] = elapsed
            if is_working_day(day, days_off, working):
                self._working.add(day)
                elapsed += sum((end.hour - start.hour) for start, end in OFFICE_HOURS)
            day += timedelta(days=1)

    def _elapsed(self, moment: datetime) -> float | None:
        local = moment.astimezone(AGENCY_TZ)
        day = local.date()
        midnight = self._midnight.get(day)
        if midnight is None or day not in self._working:
            return midnight
        hour = local.hour + local.minute / 60 + local.second / 3600
        within = sum(
            min(max(hour, start.hour), end.hour) - start.hour for start, end in OFFICE_HOURS
        )
        return midnight + within

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Like `working_hours_between` (0 when `end` is not after `start`)."""
        if end <= start:
            return 0.0
        first, last = self._elapsed(start), self._elapsed(end)
        if first is None or last is None:
            return working_hours_between(start, end)
        return last - first

    def signed_hours(self, start: datetime, end: datetime) -> float:
        """Office hours from `start` to `end`, negative when `end` comes first."""
        if end >= start:
            return self.hours_between(start, end)
        return -self.hours_between(end, start)
