"""The staff's work queues in admin (issue 17, item 5): who sees which dossiers, counts, order,
columns, the admin index block, and a query count that does not grow with the dossiers."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from procedures.constants import StaffRole, UnitKind
from tests.procedures.factories import AgencyFactory, ProcedureFactory, UnitFactory

from .factories import DossierFactory, dossier_at_step, unit_member

pytestmark = pytest.mark.django_db
S = DossierStatus
R = StaffRole
CHANGELIST = reverse("admin:dossiers_dossier_changelist")


@pytest.fixture
def office(staff_settings):
    """An agency's back office: a desk, two specialist units, the leadership, with people."""
    agency = AgencyFactory(code="SOTT", name="Sở Thử nghiệm")
    desk = UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    unit_a = UnitFactory(agency=agency, name="Phòng A", name_en="Division A")
    unit_b = UnitFactory(agency=agency, name="Phòng B", name_en="Division B")
    leaders = UnitFactory(agency=agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo Sở")
    people = {
        "clerk": unit_member(desk, R.DESK_OFFICER, full_name="Văn Thư"),
        "spec_a": unit_member(unit_a, R.SPECIALIST, full_name="Chuyên Viên A"),
        "spec_a2": unit_member(unit_a, R.SPECIALIST, full_name="Chuyên Viên A Hai"),
        "spec_b": unit_member(unit_b, R.SPECIALIST, full_name="Chuyên Viên B"),
        "head_a": unit_member(unit_a, R.UNIT_HEAD, full_name="Trưởng Phòng A"),
        "leader": unit_member(leaders, R.LEADER, full_name="Giám Đốc"),
    }
    return {
        "agency": agency,
        "procedure": ProcedureFactory(agency=agency),
        "desk": desk,
        "unit_a": unit_a,
        "unit_b": unit_b,
        "leaders": leaders,
        **people,
    }


def _codes(client, user, queue):
    client.force_login(user)
    response = client.get(CHANGELIST, {"queue": queue})
    assert response.status_code == 200
    return [d.code for d in response.context["cl"].result_list]


def test_each_queue_holds_what_its_role_waits_for(client, office):
    o = office
    now = timezone.now()
    mine = dossier_at_step(unit=o["unit_a"], assignee=o["spec_a"])
    pool_a = dossier_at_step(unit=o["unit_a"])
    other_s = dossier_at_step(unit=o["unit_a"], assignee=o["spec_a2"])
    pool_b = dossier_at_step(unit=o["unit_b"])
    review = dossier_at_step(unit=o["unit_a"], role=R.UNIT_HEAD)
    sign = dossier_at_step(unit=o["leaders"], role=R.LEADER, approves=True)
    to_return = dossier_at_step(unit=o["desk"], role=R.DESK_OFFICER, status=S.APPROVED)
    submitted = DossierFactory(procedure=o["procedure"], status=S.SUBMITTED, code="")
    supplemented_early = DossierFactory(procedure=o["procedure"], status=S.SUPPLEMENTED)
    # Supplemented after receipt: the processing unit continues it, the desk has nothing to do.
    DossierFactory(procedure=o["procedure"], status=S.SUPPLEMENTED, received_at=now)
    # A finished step is in nobody's queue.
    done = dossier_at_step(unit=o["unit_a"], assignee=o["spec_a"])
    done.current_step.finished_at = now
    done.current_step.save()
    # Another agency's dossier at a step of the same role is never shown.
    elsewhere = UnitFactory(name="Phòng khác")
    dossier_at_step(unit=elsewhere)

    assert set(_codes(client, o["spec_a"], "my_work")) == {mine.code, pool_a.code}
    assert set(_codes(client, o["spec_a2"], "my_work")) == {other_s.code, pool_a.code}
    assert set(_codes(client, o["spec_b"], "my_work")) == {pool_b.code}
    assert set(_codes(client, o["head_a"], "unit_work")) == {
        mine.code,
        pool_a.code,
        other_s.code,
        review.code,
    }
    assert _codes(client, o["leader"], "to_sign") == [sign.code]
    client.force_login(o["clerk"])
    received = client.get(CHANGELIST, {"queue": "to_receive"}).context["cl"].result_list
    assert {d.pk for d in received} == {submitted.pk, supplemented_early.pk}
    assert _codes(client, o["clerk"], "to_return") == [to_return.code]


def test_only_the_queues_of_the_person_s_roles_are_offered_with_their_counts(client, office):
    o = office
    dossier_at_step(unit=o["unit_a"], assignee=o["head_a"], role=R.UNIT_HEAD)
    dossier_at_step(unit=o["unit_a"])
    client.force_login(o["head_a"])
    response = client.get(CHANGELIST)
    queues = [(q.name, q.count) for q in response.context["queue_counts"]]
    assert queues == [("my_work", 1), ("unit_work", 2)]
    html = response.content.decode()
    assert 'href="?queue=unit_work"' in html
    assert "?queue=to_sign" not in html
    client.force_login(o["clerk"])
    names = [q.name for q in client.get(CHANGELIST).context["queue_counts"]]
    assert names == ["my_work", "to_receive", "to_return"]
    client.force_login(o["leader"])
    assert [q.name for q in client.get(CHANGELIST).context["queue_counts"]] == [
        "my_work",
        "to_sign",
    ]


def test_staff_without_a_unit_role_have_no_queue(client, office):
    from .factories import agency_staff

    officer = agency_staff(office["agency"])
    client.force_login(officer)
    response = client.get(CHANGELIST)
    assert response.context["queue_counts"] == []
    assert "queue-counts" not in response.content.decode()
    # A queue asked for in the address is not theirs: the plain list, unfiltered.
    dossier_at_step(unit=office["unit_a"])
    response = client.get(CHANGELIST, {"queue": "my_work"})
    assert len(response.context["cl"].result_list) == 1
    assert response.context["current_queue"] == ""


def test_a_queue_lists_overdue_then_due_soon_steps_first_with_the_step_columns(client, office):
    o = office
    now = timezone.now()
    later = dossier_at_step(unit=o["unit_a"], deadline=now + timedelta(days=20))
    late = dossier_at_step(unit=o["unit_a"], deadline=now - timedelta(hours=3))
    soon = dossier_at_step(
        unit=o["unit_a"], assignee=o["spec_a"], deadline=now + timedelta(minutes=30)
    )
    client.force_login(o["spec_a"])
    response = client.get(CHANGELIST, {"queue": "my_work"})
    assert [d.code for d in response.context["cl"].result_list] == [
        late.code,
        soon.code,
        later.code,
    ]
    html = response.content.decode()
    assert "Chuyên Viên A" in html  # the assignee
    assert "In the unit&#x27;s pool" in html
    assert "Division A — Specialist" in html
    assert html.count('class="overdue-flag"') == 1  # the late step only
    assert 'class="due-soon"' in html
    rows = html.split("<tbody>", 1)[1]
    assert rows.index(late.code) < rows.index(soon.code) < rows.index(later.code)
    assert "field-step_deadline" in html and "field-due" in html


def test_the_admin_index_offers_the_person_s_queues_first_one_first(client, office):
    dossier_at_step(unit=office["unit_a"], role=R.UNIT_HEAD)
    client.force_login(office["head_a"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "My work queues" in html
    first = html.index(f'href="{CHANGELIST}?queue=my_work" class="first-queue"')
    assert first < html.index(f'href="{CHANGELIST}?queue=unit_work"')
    assert 'unit_work">My unit&#x27;s work<span class="count">1</span>' in html


def test_the_queues_read_in_vietnamese(client, office):
    dossier_at_step(unit=office["leaders"], role=R.LEADER, approves=True)
    client.force_login(office["leader"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    html = client.get(reverse("admin:index")).content.decode()
    assert "Hàng đợi công việc của tôi" in html
    assert "Chờ ký duyệt" in html
    html = client.get(CHANGELIST, {"queue": "to_sign"}).content.decode()
    assert "Hạn bước xử lý" in html
    assert "Lãnh đạo Sở — Lãnh đạo" in html


@pytest.mark.parametrize("queue", ["my_work", "unit_work", "to_receive", "to_return"])
def test_a_queue_costs_the_same_queries_for_3_or_30_dossiers(
    client, office, queue, django_assert_num_queries
):
    o = office
    # One person with every role, so every queue has rows.
    person = o["head_a"]
    from procedures.models import UnitMembership

    UnitMembership.objects.create(user=person, unit=o["unit_a"], role=R.SPECIALIST)
    UnitMembership.objects.create(user=person, unit=o["desk"], role=R.DESK_OFFICER)
    UnitMembership.objects.create(user=person, unit=o["leaders"], role=R.LEADER)
    client.force_login(person)
    others = [o["spec_a"], o["spec_a2"], None]

    def fill(n):
        for i in range(n):
            dossier_at_step(
                unit=o["unit_a"],
                assignee=person if i % 2 else others[i % 3],
                deadline=timezone.now() + timedelta(hours=i - 5),
            )
            dossier_at_step(unit=o["desk"], role=R.DESK_OFFICER, status=S.APPROVED)
            DossierFactory(procedure=o["procedure"], status=S.SUBMITTED)

    def measure():
        cache.clear()  # the cost of building the page, not of the stored copy
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST, {"queue": queue})
        assert response.status_code == 200
        return len(queries), len(response.context["cl"].result_list)

    fill(3)
    few, rows_few = measure()
    fill(27)
    with django_assert_num_queries(few):
        cache.clear()
        response = client.get(CHANGELIST, {"queue": queue})
    assert len(response.context["cl"].result_list) > rows_few
    assert Dossier.objects.count() >= 90


def test_a_work_queue_is_built_afresh_while_the_plain_list_is_stored(client, office):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dossier_at_step(unit=office["unit_a"])
    client.force_login(office["spec_a"])
    client.get(reverse("admin:index"))  # the CSRF cookie a stored private page needs

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST, params).status_code == 200
        return len(captured)

    built = queries({"queue": "my_work"})
    assert queries({"queue": "my_work"}) == built
    plain = queries({})
    assert queries({}) < plain  # from the page cache: the session's queries only


def test_all_the_queue_counts_come_from_two_queries(office, django_assert_num_queries):
    """One for the queues of open steps, one for the dossiers the desk has to receive."""
    from dossiers.queues import queue_counts, staff_units
    from procedures.models import UnitMembership

    person = office["head_a"]
    UnitMembership.objects.create(user=person, unit=office["unit_a"], role=R.SPECIALIST)
    UnitMembership.objects.create(user=person, unit=office["desk"], role=R.DESK_OFFICER)
    UnitMembership.objects.create(user=person, unit=office["leaders"], role=R.LEADER)
    dossier_at_step(unit=office["unit_a"])
    dossier_at_step(unit=office["leaders"], role=R.LEADER, approves=True)
    dossier_at_step(unit=office["desk"], role=R.DESK_OFFICER, status=S.APPROVED)
    DossierFactory(procedure=office["procedure"], status=S.SUBMITTED)
    with django_assert_num_queries(1):
        units = staff_units(person)
    with django_assert_num_queries(2):
        counts = queue_counts(Dossier.objects.for_staff(person), units)
    assert {c.name: c.count for c in counts} == {
        "my_work": 1,
        "unit_work": 1,
        "to_sign": 1,
        "to_receive": 1,
        "to_return": 1,
    }
