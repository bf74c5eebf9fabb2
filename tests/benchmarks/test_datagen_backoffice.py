"""The benchmark data generator's office clock gives the deadlines the back office services
give (dossiers.calendar), and its outcomes are theirs, so generated steps read like real ones."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from benchmarks.datagen.backoffice import OfficeClock, outcome
from dossiers.calendar import add_working_hours, working_hours_between
from dossiers.constants import CalendarDayKind
from dossiers.models import CalendarDay
from dossiers.services import step_outcome

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_office_clock_counts_office_hours_as_the_calendar_does_across_tet():
    # Tết 2027 (around 6 February), an extra day off and a make-up Saturday.
    CalendarDay.objects.create(date=date(2027, 2, 12), kind=CalendarDayKind.DAY_OFF)
    CalendarDay.objects.create(date=date(2027, 2, 20), kind=CalendarDayKind.WORKING_DAY)
    clock = OfficeClock(date(2027, 1, 1), date(2027, 6, 30))
    rng = random.Random(17)
    start = datetime(2027, 1, 25, tzinfo=VN)
    for _ in range(400):
        moment = start + timedelta(minutes=rng.randrange(60 * 24 * 45))
        hours = rng.choice([0.5, 1, 4, 7.5, 8, 16, 40, 72])
        assert clock.add(moment, hours) == add_working_hours(moment, hours)
        later = moment + timedelta(hours=rng.uniform(0, 400))
        assert clock.between(moment, later) == pytest.approx(working_hours_between(moment, later))


def test_generated_outcomes_are_the_services():
    deadline = datetime(2027, 3, 10, 9, 0, tzinfo=VN)
    for finished in (
        deadline - timedelta(days=1),
        deadline - timedelta(minutes=30),
        deadline,
        deadline + timedelta(minutes=1),
    ):
        assert outcome(finished, deadline) == step_outcome(finished_at=finished, deadline=deadline)
