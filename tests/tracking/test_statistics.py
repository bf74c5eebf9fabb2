import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

import pytest

from dossiers.constants import Channel
from dossiers.constants import DossierStatus as S
from dossiers.models import Dossier
from tests.accounts.factories import UserFactory
from tests.procedures.factories import AgencyFactory, FieldFactory, ProcedureFactory
from tracking.statistics import Period, statistics_compute, statistics_for_period

from .factories import DossierFactory, RatingFactory

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db

STATISTICS = reverse("tracking:statistics")
TODAY = date(2026, 7, 15)
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 1))


@pytest.fixture(autouse=True)
def _vietnamese(settings):
    """Names are checked in the portal's default language (Vietnamese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "vi"
    translation.activate("vi")


def at(y, m, d, hour=10, minute=0) -> datetime:
    """A Hanoi local time (the portal's time zone)."""
    return datetime(y, m, d, hour, minute, tzinfo=HANOI)


@pytest.fixture
def known():
    """A small data set whose figures are worked out by hand in the tests below."""
    agency_a = AgencyFactory(code="AAA", name="Cục A", name_en="Authority A")
    agency_b = AgencyFactory(code="BBB", name="Cục B", name_en="Authority B")
    field_1 = FieldFactory(name="Bưu chính", name_en="Postal services")
    field_2 = FieldFactory(name="Viễn thông", name_en="Telecommunications")
    a1 = ProcedureFactory(agency=agency_a, field=field_1)
    a2 = ProcedureFactory(agency=agency_a, field=field_2)
    b1 = ProcedureFactory(agency=agency_b, field=field_1)
    b2 = ProcedureFactory(agency=agency_b, field=field_2)
    user = UserFactory()

    def make(procedure, status, received, due, completed=None, **extra):
        return DossierFactory(
            procedure=procedure,
            applicant=user,
            status=status,
            received_at=received,
            due_date=due,
            completed_at=completed,
            **extra,
        )

    # Completed exactly on its due date, late in the evening: on time.
    d1 = make(a1, S.RETURNED, at(2026, 2, 2), date(2026, 2, 9), at(2026, 2, 9, 23, 30))
    # A supplement moved the due date from 9 to 20 March; completed on the 18th: on time.
    d2 = make(a1, S.APPROVED, at(2026, 3, 2), date(2026, 3, 20), at(2026, 3, 18))
    # Completed two days late.
    make(a2, S.RETURNED, at(2026, 4, 1), date(2026, 4, 8), at(2026, 4, 10))
    # Open, its clock running, due date passed in the period: overdue.
    make(b2, S.PROCESSING, at(2026, 5, 4), date(2026, 5, 11))
    # Waiting for the applicant's supplement: the clock is stopped, never overdue.
    make(b2, S.SUPPLEMENT_REQUESTED, at(2026, 6, 1), date(2026, 6, 8))
    # Received before the period; completed at 00:30 Hanoi time on 1 February (still
    # 31 January in UTC), a day after its due date: completed late, in February.
    make(b1, S.RETURNED, at(2025, 12, 15), date(2026, 1, 31), at(2026, 2, 1, 0, 30))
    # Received in the period, due after today: received only.
    make(b1, S.PROCESSING, at(2026, 6, 20), date(2026, 7, 20))
    # Refused: received, never completed, never overdue.
    make(b2, S.REJECTED, at(2026, 2, 10), date(2026, 2, 1))
    # Outside the period altogether.
    make(a1, S.RETURNED, at(2025, 6, 1), date(2025, 6, 5), at(2025, 6, 5))
    make(a1, S.PROCESSING, at(2025, 11, 1), date(2025, 11, 10))
    # A draft: no code, no dates.
    DossierFactory(procedure=a1, applicant=user, draft=True)
    RatingFactory(dossier=d1, attitude=5, timeliness=5, guidance=5, overall=5)
    RatingFactory(dossier=d2, attitude=3, timeliness=2, guidance=4, overall=3)
    return agency_a, agency_b, field_1, field_2


def figures(row):
    return (
        row.received,
        row.completed,
        row.on_time,
        row.overdue,
        row.on_time_rate,
        row.satisfaction,
    )


def test_statistics_for_a_known_data_set(known):
    agency_a, agency_b, field_1, field_2 = known
    stats = statistics_compute(period=PERIOD, today=TODAY)

    by_agency = {row.key: row for row in stats.agencies}
    assert figures(by_agency[agency_a.pk]) == (3, 3, 2, 1, 66.7, 4.0)
    assert figures(by_agency[agency_b.pk]) == (4, 1, 0, 2, 0.0, None)
    assert [row.name for row in stats.agencies] == ["Cục A", "Cục B"]
    assert figures(stats.total) == (7, 4, 2, 3, 50.0, 4.0)

    by_field = {row.key: row for row in stats.fields}
    assert figures(by_field[field_1.pk]) == (3, 3, 2, 1, 66.7, 4.0)
    assert figures(by_field[field_2.pk]) == (4, 1, 0, 2, 0.0, None)

    months = {row.key: (row.received, row.completed, row.on_time, row.late) for row in stats.months}
    assert months == {
        date(2026, 1, 1): (0, 0, 0, 0),
        date(2026, 2, 1): (2, 2, 1, 1),
        date(2026, 3, 1): (1, 1, 1, 0),
        date(2026, 4, 1): (1, 1, 0, 1),
        date(2026, 5, 1): (1, 0, 0, 0),
        date(2026, 6, 1): (2, 0, 0, 0),
    }
    assert [row.satisfaction for row in stats.months][1:3] == [5.0, 3.0]


def channels(row):
    return (row.received, row.received_online, row.received_in_person, row.received_counter)


def test_statistics_count_received_dossiers_by_channel(known):
    agency_a, agency_b, _field_1, _field_2 = known
    by_agency_b = Dossier.objects.filter(agency=agency_b)
    by_agency_b.filter(status=S.PROCESSING).update(channel=Channel.COUNTER)
    by_agency_b.filter(status=S.REJECTED).update(channel=Channel.POST)
    # Received before the period: in no figure of it.
    Dossier.objects.filter(received_at__year=2025, agency=agency_a).update(channel=Channel.POST)

    stats = statistics_compute(period=PERIOD, today=TODAY)

    by_agency = {row.key: row for row in stats.agencies}
    assert channels(by_agency[agency_a.pk]) == (3, 3, 0, 0)
    assert channels(by_agency[agency_b.pk]) == (4, 1, 3, 2)
    assert by_agency[agency_b.pk].received_post == 1
    assert channels(stats.total) == (7, 4, 3, 2)
    # The other figures keep their meaning, whatever the channel.
    assert figures(stats.total) == (7, 4, 2, 3, 50.0, 4.0)


def test_the_statistics_page_shows_the_channels_translated(client, known):
    Dossier.objects.filter(status=S.REJECTED).update(channel=Channel.COUNTER)

    response = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"})

    html = response.content.decode()
    assert "Tiếp nhận theo hình thức nộp" in html
    assert "Trực tuyến" in html and "Trực tiếp hoặc qua bưu chính" in html
    assert response.context["stats"].total.received_in_person == 1


def test_open_overdue_is_judged_against_today(known):
    # On 10 May the dossier due on 11 May is not overdue yet.
    stats = statistics_compute(period=PERIOD, today=date(2026, 5, 10))
    assert stats.total.overdue == 2


def test_agency_names_follow_the_language(known):
    with translation.override("en"):
        stats = statistics_for_period(period=PERIOD, today=TODAY)
    assert [row.name for row in stats.agencies] == ["Authority A", "Authority B"]
    with translation.override("vi"):
        stats = statistics_for_period(period=PERIOD, today=TODAY)
    assert [row.name for row in stats.agencies] == ["Cục A", "Cục B"]


def test_the_english_page_marks_an_untranslated_field_name_as_vietnamese(client, known, settings):
    from procedures.models import Field

    Field.objects.filter(name="Viễn thông").update(name_en="")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"}).content.decode()

    assert '<th scope="row">Authority A</th>' in html
    assert '<th scope="row"><span lang="vi">Viễn thông</span></th>' in html


def test_statistics_are_cached_briefly(known, django_assert_num_queries):
    # Four for the dossiers' figures, two for the steps of the internal process (none here).
    with django_assert_num_queries(6):
        first = statistics_for_period(period=PERIOD, today=TODAY)
    with django_assert_num_queries(0):
        again = statistics_for_period(period=PERIOD, today=TODAY)
    assert figures(again.total) == figures(first.total)


def _bulk_dossiers(n: int, start: int = 0) -> None:
    """n dossiers over a few agencies, fields and months, written in one bulk insert."""
    user = UserFactory()
    procedures = [ProcedureFactory() for _ in range(4)]
    today = timezone.localdate()
    rows = []
    for i in range(start, start + n):
        procedure = procedures[i % 4]
        received = timezone.now() - timedelta(days=i % 300, hours=i % 7)
        due = timezone.localtime(received).date() + timedelta(days=7)
        status = (S.RETURNED, S.APPROVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED)[i % 4]
        completed = (
            received + timedelta(days=i % 11) if status in (S.RETURNED, S.APPROVED) else None
        )
        rows.append(
            Dossier(
                procedure=procedure,
                agency_id=procedure.agency_id,
                applicant=user,
                status=status,
                code=f"BLK-{i:08d}",
                applicant_name="Nguyễn Văn An",
                received_at=received,
                due_date=min(due, today + timedelta(days=30)),
                completed_at=completed,
            )
        )
    Dossier.objects.bulk_create(rows, batch_size=500)


def _queries(client, received: int | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(STATISTICS)
    assert response.status_code == 200
    if received is not None:
        assert response.context["stats"].total.received == received
    return len(ctx.captured_queries)


def test_statistics_page_makes_a_constant_number_of_queries(client):
    """10 or 1,000 dossiers: the same queries (the 100,000 case is in the benchmark)."""
    _bulk_dossiers(10)
    small = _queries(client, received=10)
    from django.core.cache import cache

    cache.clear()
    _bulk_dossiers(990, start=10)
    assert Dossier.objects.count() == 1000
    large = _queries(client, received=1000)
    assert small == large <= 6
    assert _queries(client) == 0  # cached


def test_the_channel_figures_add_no_query(client, known, django_assert_max_num_queries):
    """The channels are counted in the agency and field queries: the page's queries stay as
    they were (four figures queries, two for the steps of the internal process, the rest of
    the page's own)."""
    Dossier.objects.filter(status=S.PROCESSING).update(channel=Channel.POST)
    with django_assert_max_num_queries(7):
        response = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"})
    assert response.context["stats"].total.received_post == 2


def test_statistics_page_renders_tables_and_charts(client, known):
    response = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cục A" in html and "Viễn thông" in html
    # Agency, field, month, the received dossiers by channel, the steps by unit and by kind.
    assert html.count("<caption>") == 6
    assert 'scope="col"' in html and 'scope="row"' in html
    # Bars are SVG rectangles sized by attributes: no inline styles under the CSP.
    assert "style=" not in html
    assert '<rect class="bar-rate" width="66.7"' in html
    assert '<rect class="bar-received" y="0" width="100.0"' in html
    assert "66,7 %" in html  # Vietnamese decimal comma in the text


def test_statistics_default_period_is_the_last_12_months(client):
    response = client.get(STATISTICS)
    period = response.context["period"]
    this_month = timezone.localdate().replace(day=1)
    assert period.last == this_month
    assert len(period.months) == 12
    assert 'aria-current="true"' in response.content.decode()


def test_statistics_reject_a_reversed_period(client):
    response = client.get(STATISTICS, {"from": "2026-06", "to": "2026-01"})
    assert response.status_code == 200
    assert gettext("The start month must not be after the end month.") in response.content.decode()
    assert len(response.context["period"].months) == 12


def test_statistics_preset_links_carry_from_and_to(client):
    html = client.get(STATISTICS).content.decode()
    assert re.search(r'href="\?from=\d{4}-\d{2}&amp;to=\d{4}-\d{2}"', html)


# --- The internal process: per unit, per kind of step, where dossiers wait (issue 17) --------

MARCH = Period(date(2026, 3, 1), date(2026, 3, 1))


@pytest.fixture
def steps():
    """Steps with hand-worked office hours in the week of Monday 2 March 2026 (no holiday):
    office hours 08:00–12:00 and 13:00–17:00."""
    from dossiers.constants import StepOutcome
    from procedures.constants import StaffRole, UnitKind
    from tests.dossiers.factories import DossierStepFactory
    from tests.procedures.factories import UnitFactory

    agency = AgencyFactory(code="QTNB", name="Sở Quy trình", name_en="Process Department")
    unit = UnitFactory(agency=agency, name="Phòng Cấp phép", name_en="Licensing Division")
    leaders = UnitFactory(agency=agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo Sở")
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency), status=S.PROCESSING, code="QTNB-1"
    )

    def step(unit, role, hours, started, deadline, finished=None, outcome="", **extra):
        return DossierStepFactory(
            dossier=dossier,
            unit=unit,
            unit_kind=unit.kind,
            role=role,
            hours=hours,
            started_at=started,
            deadline=deadline,
            finished_at=finished,
            outcome=outcome,
            **extra,
        )

    # Used 6 office hours (Mon 08–12, 13–15) of 16: early.
    step(unit, StaffRole.SPECIALIST, 16, at(2026, 3, 2, 8), at(2026, 3, 3, 17),
         at(2026, 3, 2, 15), StepOutcome.EARLY)  # fmt: skip
    # Used 10 of 8 (all Tuesday, Wednesday 08–10): late.
    step(unit, StaffRole.SPECIALIST, 8, at(2026, 3, 3, 8), at(2026, 3, 3, 17),
         at(2026, 3, 4, 10), StepOutcome.LATE)  # fmt: skip
    # The unit head's review: 3 of 4 hours, on time.
    step(unit, StaffRole.UNIT_HEAD, 4, at(2026, 3, 4, 8), at(2026, 3, 4, 12),
         at(2026, 3, 4, 11), StepOutcome.ON_TIME)  # fmt: skip
    # Open at 14:00 on Thursday: waiting for the applicant since 10:00 (2 hours used, not late).
    step(unit, StaffRole.SPECIALIST, 8, at(2026, 3, 5, 8), at(2026, 3, 5, 17),
         paused_at=at(2026, 3, 5, 10))  # fmt: skip
    # Open at the leaders since 08:00, due at 12:00: 5 hours used, late.
    step(leaders, StaffRole.LEADER, 4, at(2026, 3, 5, 8), at(2026, 3, 5, 12), approves=True)
    # Finished in February: outside the period.
    step(unit, StaffRole.SPECIALIST, 8, at(2026, 2, 25, 8), at(2026, 2, 25, 17),
         at(2026, 2, 25, 16), StepOutcome.ON_TIME)  # fmt: skip
    return unit, leaders


def step_figures(row):
    return (
        row.finished,
        row.early,
        row.on_time,
        row.late,
        row.on_time_rate,
        row.hours_average,
        row.hours_max,
        row.open,
        row.open_late,
        row.open_age_max,
    )


def test_steps_on_time_and_waiting_per_unit_and_per_kind_of_step(steps):
    unit, leaders = steps
    stats = statistics_compute(period=MARCH, today=date(2026, 3, 5), now=at(2026, 3, 5, 14))

    by_unit = {row.key: row for row in stats.units}
    assert step_figures(by_unit[unit.pk]) == (3, 1, 1, 1, 66.7, 6.3, 10.0, 1, 0, 2.0)
    assert step_figures(by_unit[leaders.pk]) == (0, 0, 0, 0, None, None, 0.0, 1, 1, 5.0)
    assert str(by_unit[unit.pk].name) == "Phòng Cấp phép"
    assert str(by_unit[unit.pk].agency) == "Sở Quy trình"

    # The kinds of step, the longest average first.
    assert [(row.name, step_figures(row)) for row in stats.steps] == [
        ("Phòng chuyên môn — Chuyên viên", (2, 1, 0, 1, 50.0, 8.0, 10.0, 1, 0, 2.0)),
        ("Phòng chuyên môn — Trưởng phòng", (1, 0, 1, 0, 100.0, 3.0, 3.0, 0, 0, 0.0)),
        ("Lãnh đạo cơ quan — Lãnh đạo", (0, 0, 0, 0, None, None, 0.0, 1, 1, 5.0)),
    ]


def test_step_office_hours_skip_a_holiday_and_count_a_make_up_saturday(steps):
    from dossiers.constants import CalendarDayKind, StepOutcome
    from dossiers.models import DossierStep
    from procedures.constants import StaffRole
    from tests.dossiers.factories import CalendarDayFactory, DossierStepFactory

    unit, _leaders = steps
    DossierStep.objects.all().delete()
    CalendarDayFactory(date=date(2026, 3, 9), kind=CalendarDayKind.DAY_OFF)
    CalendarDayFactory(date=date(2026, 3, 7), kind=CalendarDayKind.WORKING_DAY)
    # Friday 6 March 08:00 to Tuesday 10 March 09:00: Friday 8, Saturday 8, Monday off, 1.
    DossierStepFactory(
        dossier=DossierFactory(procedure=ProcedureFactory(agency=unit.agency), status=S.RETURNED),
        unit=unit,
        role=StaffRole.SPECIALIST,
        hours=16,
        started_at=at(2026, 3, 6, 8),
        deadline=at(2026, 3, 7, 17),
        finished_at=at(2026, 3, 10, 9),
        outcome=StepOutcome.LATE,
    )
    stats = statistics_compute(period=MARCH, today=date(2026, 3, 31))
    [row] = stats.units
    assert (row.finished, row.late, row.hours_average) == (1, 1, 17.0)


def test_the_step_figures_cost_the_same_queries_for_3_or_30_dossiers(
    client, django_assert_num_queries
):
    from dossiers.constants import StepOutcome
    from tests.dossiers.factories import DossierStepFactory
    from tests.procedures.factories import UnitFactory

    unit = UnitFactory()
    procedure = ProcedureFactory(agency=unit.agency)
    now = timezone.now()

    def fill(n):
        for i in range(n):
            dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
            DossierStepFactory(
                dossier=dossier,
                unit=unit,
                started_at=now - timedelta(days=3),
                deadline=now - timedelta(days=2 - i % 3),
                finished_at=now - timedelta(days=1),
                outcome=(StepOutcome.EARLY, StepOutcome.ON_TIME, StepOutcome.LATE)[i % 3],
                # Stored when the step finished, or (older rows) computed from the calendar.
                hours_used=8.0 if i % 2 else None,
            )
            DossierStepFactory(dossier=dossier, unit=unit, started_at=now - timedelta(hours=i))

    period = Period.last_12_months(timezone.localdate())
    fill(3)
    with django_assert_num_queries(7):
        few = statistics_compute(period=period, today=timezone.localdate())
    fill(27)
    with django_assert_num_queries(7):
        many = statistics_compute(period=period, today=timezone.localdate())
    assert (few.units[0].finished, few.units[0].open) == (3, 3)
    assert (many.units[0].finished, many.units[0].open) == (30, 30)
    assert many.units[0].early == many.units[0].on_time == many.units[0].late == 10


def test_completed_and_on_time_are_counted_by_channel_and_together(known):
    Dossier.objects.filter(status=S.APPROVED).update(channel=Channel.COUNTER)
    Dossier.objects.filter(completed_at__date=date(2026, 4, 10)).update(channel=Channel.POST)

    stats = statistics_compute(period=PERIOD, today=TODAY)
    total = stats.total

    # Four completed: two online (one on time), one at the counter (on time), one by post (late).
    assert (total.completed_online, total.on_time_online) == (2, 1)
    assert (total.completed_counter, total.on_time_counter) == (1, 1)
    assert (total.completed_post, total.on_time_post) == (1, 0)
    assert (total.completed_in_person, total.on_time_in_person) == (2, 1)
    assert (total.on_time_rate_online, total.on_time_rate_in_person) == (50.0, 50.0)
    # Together, as before.
    assert (total.completed, total.on_time, total.on_time_rate) == (4, 2, 50.0)


def test_a_dossier_is_late_against_its_original_due_date(known):
    """The dossier's on-time figure compares the completion with the due date set at receipt
    (or after a supplement); an apology letter's new appointment never changes it. A dossier
    completed two days after its due date stays late."""
    agency_a = known[0]
    late = Dossier.objects.get(agency=agency_a, completed_at__date=date(2026, 4, 10))
    # The leader signed an apology letter with a new appointment after the completion day.
    Dossier.objects.filter(pk=late.pk).update(appointment_date=date(2026, 4, 15))
    stats = statistics_compute(period=PERIOD, today=TODAY)
    row = {r.key: r for r in stats.agencies}[agency_a.pk]
    assert late.due_date == date(2026, 4, 8)
    assert (row.completed, row.on_time, row.late) == (3, 2, 1)


def test_the_statistics_page_shows_the_steps_by_unit_and_kind_in_both_languages(
    client, steps, settings
):
    response = client.get(STATISTICS, {"from": "2026-03", "to": "2026-03"})
    html = response.content.decode()
    assert "Theo đơn vị của cơ quan" in html
    assert "Hồ sơ chờ lâu nhất ở bước nào" in html
    assert '<th scope="row">Phòng Cấp phép</th>' in html
    assert "Phòng chuyên môn — Chuyên viên" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(STATISTICS, {"from": "2026-03", "to": "2026-03"}).content.decode()
    assert "Where dossiers wait longest" in html
    assert '<th scope="row">Licensing Division</th>' in html
    assert "Specialist unit — Specialist" in html
    assert "Officer" not in html and "Chuyên Viên" not in html  # never a person's name


def test_finished_steps_are_added_up_from_their_stored_hours(django_assert_num_queries):
    """Steps that stored their office hours when they finished are counted in the database:
    no calendar is read for them."""
    from dossiers.constants import StepOutcome
    from tests.dossiers.factories import DossierStepFactory
    from tests.procedures.factories import UnitFactory

    unit = UnitFactory()
    procedure = ProcedureFactory(agency=unit.agency)
    now = timezone.now()
    for hours, outcome in ((4.0, StepOutcome.EARLY), (10.0, StepOutcome.LATE)):
        DossierStepFactory(
            dossier=DossierFactory(procedure=procedure, status=S.PROCESSING),
            unit=unit,
            started_at=now - timedelta(days=3),
            deadline=now - timedelta(days=2),
            finished_at=now - timedelta(days=1),
            outcome=outcome,
            hours_used=hours,
        )
    period = Period.last_12_months(timezone.localdate())
    with django_assert_num_queries(6):
        stats = statistics_compute(period=period, today=timezone.localdate())
    row = stats.units[0]
    assert (row.finished, row.early, row.late, row.on_time_rate) == (2, 1, 1, 50.0)
    assert (row.hours_average, row.hours_max) == (7.0, 10.0)
