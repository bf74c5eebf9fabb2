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
    with django_assert_num_queries(4):
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
    assert small == large <= 5
    assert _queries(client) == 0  # cached


def test_the_channel_figures_add_no_query(client, known, django_assert_max_num_queries):
    """The channels are counted in the agency and field queries: the page's queries stay as
    they were (four figures queries, the rest of the page's own)."""
    Dossier.objects.filter(status=S.PROCESSING).update(channel=Channel.POST)
    with django_assert_max_num_queries(5):
        response = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"})
    assert response.context["stats"].total.received_post == 2


def test_statistics_page_renders_tables_and_charts(client, known):
    response = client.get(STATISTICS, {"from": "2026-01", "to": "2026-06"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cục A" in html and "Viễn thông" in html
    # Agency, field, month, and the received dossiers by channel.
    assert html.count("<caption>") == 4
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
