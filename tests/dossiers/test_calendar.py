"""Due dates in working days (DESIGN §4): weekends, Tết, extra days off, make-up working days."""

from datetime import date

import pytest

from dossiers.calendar import add_working_days, is_working_day, working_days_between
from dossiers.constants import CalendarDayKind

from .factories import CalendarDayFactory

pytestmark = pytest.mark.django_db


def test_counting_starts_the_day_after_and_skips_the_weekend():
    friday = date(2027, 3, 12)
    assert add_working_days(friday, 1) == date(2027, 3, 15)  # Monday
    assert add_working_days(friday, 5) == date(2027, 3, 19)
    # Received on a Saturday: still counted from the next working day.
    assert add_working_days(date(2027, 3, 13), 1) == date(2027, 3, 15)
    assert add_working_days(friday, 0) == friday


def test_tet_2027_does_not_count():
    # Tết Nguyên Đán 2027: Thursday 4 to Wednesday 10 February are public holidays.
    assert not is_working_day(date(2027, 2, 4))
    assert not is_working_day(date(2027, 2, 10))
    received = date(2027, 2, 3)  # Wednesday before Tết
    assert add_working_days(received, 1) == date(2027, 2, 11)
    assert add_working_days(received, 3) == date(2027, 2, 15)  # Thu 11, Fri 12, Mon 15


def test_a_make_up_working_day_counts():
    CalendarDayFactory(date=date(2027, 2, 13), kind=CalendarDayKind.WORKING_DAY, note="Làm bù Tết")
    assert is_working_day(date(2027, 2, 13))
    assert add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 13)  # Thu, Fri, Sat


def test_an_extra_day_off_does_not_count():
    CalendarDayFactory(date=date(2027, 3, 15), kind=CalendarDayKind.DAY_OFF)
    assert add_working_days(date(2027, 3, 12), 1) == date(2027, 3, 16)


def test_other_public_holidays_do_not_count():
    # 30/4 and 1/5 2027 (Fri, Sat) with the 1/5 holiday observed on Monday 3 May.
    assert add_working_days(date(2027, 4, 29), 1) == date(2027, 5, 4)


def test_long_periods_cross_years_and_many_exceptions():
    due = add_working_days(date(2026, 12, 30), 40)
    assert working_days_between(date(2026, 12, 30), due) == 40
    assert is_working_day(due)


def test_working_days_between():
    assert working_days_between(date(2027, 3, 12), date(2027, 3, 15)) == 1
    assert working_days_between(date(2027, 3, 15), date(2027, 3, 12)) == 0
    assert working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3


def test_the_office_clock_counts_as_working_hours_between_does():
    """The statistics' clock reads the calendar once and answers each pair from a table: the
    same hours across Tết, an extra day off, a make-up Saturday, nights and lunch."""
    import random
    from datetime import datetime as dt
    from datetime import timedelta as td
    from zoneinfo import ZoneInfo

    from dossiers.calendar import OfficeClock, working_hours_between

    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    CalendarDayFactory(date=date(2026, 3, 9), kind=CalendarDayKind.DAY_OFF)
    CalendarDayFactory(date=date(2026, 3, 7), kind=CalendarDayKind.WORKING_DAY)
    clock = OfficeClock(date(2026, 1, 1), date(2026, 6, 30))
    pick = random.Random(17)  # noqa: S311 (test data)
    for _ in range(200):
        start = dt(2026, 1, 1, tzinfo=hcm) + td(minutes=pick.randrange(0, 60 * 24 * 150))
        end = start + td(minutes=pick.randrange(0, 60 * 24 * 20))
        assert abs(clock.hours_between(start, end) - working_hours_between(start, end)) < 1e-6
    friday = dt(2026, 3, 6, 8, tzinfo=hcm)
    assert clock.signed_hours(friday, dt(2026, 3, 10, 9, tzinfo=hcm)) == 17.0
    assert clock.signed_hours(dt(2026, 3, 10, 9, tzinfo=hcm), friday) == -17.0
    # Outside the window it still answers, from the calendar.
    assert clock.hours_between(dt(2025, 12, 31, 8, tzinfo=hcm), friday) > 0
