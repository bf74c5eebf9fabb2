"""The back office's foundation: units with one desk per agency, and the internal process
(quy trình nội bộ) whose steps add up to the procedure's processing time."""

import json

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

import pytest

from accounts.models import User
from procedures.constants import DurationUnit, StaffRole, UnitKind
from procedures.models import Procedure, ProcessStep, Unit, UnitMembership, process_hours
from procedures.selectors import process_for

from .factories import AgencyFactory, ProcedureFactory, ProcessStepFactory, UnitFactory

pytestmark = pytest.mark.django_db
DAYS, HOURS = DurationUnit.WORKING_DAYS, DurationUnit.WORKING_HOURS


@pytest.fixture
def staff_client(client, django_user_model, settings):
    settings.STAFF_MFA_REQUIRED = False
    admin = django_user_model.objects.create_superuser(email="admin@example.gov.vn", password="x")
    client.force_login(admin)
    return client


def form_data(response) -> dict[str, object]:
    """What the browser would post back from an admin change page, unchanged."""
    data: dict[str, object] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        forms.append(management)
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = field.prepare_value(value)
    return data


def add_steps(data: dict[str, object], steps: list[tuple[int, str]]) -> None:
    """Append new process steps (duration, unit) to the posted inline."""
    prefix = "process_steps"
    start = int(data[f"{prefix}-TOTAL_FORMS"])  # type: ignore[call-overload]
    for i, (duration, unit) in enumerate(steps, start=start):
        data.update(
            {
                f"{prefix}-{i}-order": i,
                f"{prefix}-{i}-unit_kind": UnitKind.SPECIALIST,
                f"{prefix}-{i}-role": StaffRole.SPECIALIST,
                f"{prefix}-{i}-duration": duration,
                f"{prefix}-{i}-duration_unit": unit,
            }
        )
    data[f"{prefix}-TOTAL_FORMS"] = start + len(steps)


def test_admin_refuses_a_process_that_does_not_add_up_with_a_clear_message(staff_client):
    procedure = ProcedureFactory(processing_days=5)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    data = form_data(staff_client.get(url))
    add_steps(data, [(1, DAYS), (3, DAYS)])

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = staff_client.post(url, data)

    assert response.status_code == 200
    errors = [
        str(e)
        for inline in response.context["inline_admin_formsets"]
        for e in inline.formset.non_form_errors()
    ]
    assert errors == [
        "The steps of the internal process add up to 32 working hours, but the processing time "
        "is 5 working days (40 working hours). Change the durations so that they match."
    ]
    assert not ProcessStep.objects.filter(procedure=procedure).exists()


def test_admin_message_reads_in_vietnamese(staff_client):
    procedure = ProcedureFactory(processing_days=2)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    data = form_data(staff_client.get(url))
    add_steps(data, [(1, DAYS)])

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    response = staff_client.post(url, data)

    assert "Tổng thời gian các bước của quy trình nội bộ là 8 giờ làm việc" in (
        response.content.decode()
    )


def test_admin_accepts_steps_in_days_and_hours_that_add_up(staff_client):
    procedure = ProcedureFactory(processing_days=2)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    data = form_data(staff_client.get(url))
    add_steps(data, [(4, HOURS), (1, DAYS), (4, HOURS)])

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context and [
        inline.formset.non_form_errors() for inline in response.context["inline_admin_formsets"]
    ]
    steps = list(ProcessStep.objects.filter(procedure=procedure))
    assert [(s.duration, s.duration_unit) for s in steps] == [(4, HOURS), (1, DAYS), (4, HOURS)]
    assert process_hours(steps) == 16


def test_eight_working_hours_make_one_working_day():
    hours = ProcessStepFactory.build(duration=8, duration_unit=HOURS)
    day = ProcessStepFactory.build(duration=1, duration_unit=DAYS)
    half = ProcessStepFactory.build(duration=4, duration_unit=HOURS)

    assert hours.working_hours == day.working_hours == 8
    assert process_hours([day, half, half]) == 16


def test_admin_saves_a_procedure_without_its_own_process(staff_client):
    """An empty process is allowed: the agency's default applies."""
    procedure = ProcedureFactory(processing_days=5)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])

    response = staff_client.post(url, form_data(staff_client.get(url)))

    assert response.status_code == 302
    assert not ProcessStep.objects.filter(procedure=procedure).exists()


def test_a_procedure_without_its_own_process_uses_its_agency_default(
    django_assert_num_queries,
):
    agency = AgencyFactory()
    procedure = ProcedureFactory(agency=agency, processing_days=1)
    default = [
        ProcessStepFactory(procedure=None, agency=agency, order=i, duration=4, duration_unit=HOURS)
        for i in range(2)
    ]
    other_agency_step = ProcessStepFactory(procedure=None, agency=AgencyFactory())
    with django_assert_num_queries(1):
        assert process_for(procedure) == default

    own = ProcessStepFactory(procedure=procedure, order=0, duration=1, duration_unit=DAYS)
    assert process_for(procedure) == [own]
    assert other_agency_step not in process_for(procedure)


def test_a_step_belongs_to_a_procedure_or_an_agency_never_both():
    procedure = ProcedureFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStepFactory(procedure=procedure, agency=procedure.agency)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStepFactory(procedure=None, agency=None)


def test_the_shipped_catalogue_gives_every_procedure_a_process_that_adds_up():
    call_command("load_catalogue", verbosity=0)
    call_command("load_catalogue", verbosity=0)  # idempotent: no duplicated steps

    procedures = list(Procedure.objects.select_related("agency"))
    assert procedures
    for procedure in procedures:
        steps = process_for(procedure)
        assert process_hours(steps) == procedure.processing_days * 8, procedure.national_code
        assert [s.unit_kind for s in steps] == [
            UnitKind.DESK,
            UnitKind.SPECIALIST,
            UnitKind.SPECIALIST,
            UnitKind.LEADERSHIP,
            UnitKind.DESK,
        ]
        assert all(s.is_sample for s in steps)
        assert [s.approves for s in steps] == [False, False, False, True, False]
        assert [s.drafts_result for s in steps] == [False, True, False, False, False]
    # Every agency has a default process, and it serves some procedures without their own.
    assert ProcessStep.objects.filter(procedure=None).values("agency").distinct().count() == len(
        {p.agency_id for p in procedures}
    )
    assert any(not p.process_steps.exists() for p in procedures)


def test_a_process_given_in_the_catalogue_file_must_add_up(tmp_path):
    from django.core.management.base import CommandError

    from procedures.management.commands.load_catalogue import DEFAULT_PATH

    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["procedures"] = data["procedures"][:1]
    data["procedures"][0]["process"] = [
        {"unit_kind": "desk", "role": "desk_officer", "duration": 1}
    ]
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CommandError, match="adds up to 8 working hours"):
        call_command("load_catalogue", str(path), verbosity=0)


def test_an_agency_has_exactly_one_desk():
    agency = AgencyFactory()
    UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    UnitFactory(agency=agency, kind=UnitKind.SPECIALIST)
    UnitFactory(agency=agency, kind=UnitKind.SPECIALIST)
    UnitFactory(kind=UnitKind.DESK)  # another agency's desk

    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa thứ hai")

    second = Unit(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa thứ hai")
    with translation.override("en"), pytest.raises(Exception, match="already has a one-stop desk"):
        second.full_clean()


def test_agency_admin_refuses_a_second_desk_inline(staff_client):
    agency = AgencyFactory()
    url = reverse("admin:procedures_agency_change", args=[agency.pk])
    data = form_data(staff_client.get(url))
    data.update(
        {
            "units-TOTAL_FORMS": 2,
            "units-0-name": "Bộ phận một cửa A",
            "units-0-kind": UnitKind.DESK,
            "units-1-name": "Bộ phận một cửa B",
            "units-1-kind": UnitKind.DESK,
        }
    )

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "An agency has exactly one one-stop desk." in response.content.decode()
    assert not Unit.objects.filter(agency=agency).exists()


def test_a_member_must_work_for_the_units_agency(django_user_model):
    from .factories import StaffMembershipFactory

    unit = UnitFactory()
    outsider = django_user_model.objects.create_user(email="x@example.gov.vn", password="x")
    StaffMembershipFactory(user=outsider)
    membership = UnitMembership(user=outsider, unit=unit, role=StaffRole.SPECIALIST)
    with translation.override("en"), pytest.raises(Exception, match="not a staff member"):
        membership.full_clean()

    outsider.staff_membership.agency = unit.agency
    outsider.staff_membership.save()
    membership.full_clean()


def test_seed_demo_creates_a_back_office_with_two_people_per_role(capsys):
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent

    agency = User.objects.get(email="canbo@demo.gov.vn").staff_membership.agency
    units = Unit.objects.filter(agency=agency)
    assert sorted(units.values_list("kind", flat=True)) == [
        UnitKind.DESK,
        UnitKind.LEADERSHIP,
        UnitKind.SPECIALIST,
        UnitKind.SPECIALIST,
    ]
    memberships = UnitMembership.objects.filter(unit__agency=agency).select_related("user")
    for role in StaffRole:
        people = {m.user for m in memberships if m.role == role}
        assert len(people) >= 2, role
        for person in people:
            assert person.is_staff and person.check_password("demo-Portal-2026")
            assert person.staff_membership.agency == agency
            assert person.authenticator_set.filter(type="totp").count() == 1
    output = capsys.readouterr().out
    for membership in memberships:
        assert membership.user.email in output


def test_a_step_s_unit_must_be_of_its_kind_and_of_the_procedure_s_agency():
    procedure = ProcedureFactory()
    desk = UnitFactory(agency=procedure.agency, kind=UnitKind.DESK)
    elsewhere = UnitFactory(kind=UnitKind.SPECIALIST)
    step = ProcessStepFactory.build(procedure=procedure, unit_kind=UnitKind.SPECIALIST, unit=desk)

    with translation.override("en"), pytest.raises(Exception, match="not of the step's unit kind"):
        step.full_clean()
    step.unit = elsewhere
    with translation.override("en"), pytest.raises(Exception, match="belongs to another agency"):
        step.full_clean()
    step.unit = UnitFactory(agency=procedure.agency, kind=UnitKind.SPECIALIST)
    step.full_clean()


def test_unit_autocomplete_costs_the_same_for_many_units(
    staff_client, django_assert_max_num_queries
):
    agency = AgencyFactory()
    for i in range(15):
        UnitFactory(agency=agency, name=f"Phòng {i}")
    url = reverse("admin:autocomplete")
    params = {
        "app_label": "procedures",
        "model_name": "processstep",
        "field_name": "unit",
        "term": "Phòng",
    }

    with django_assert_max_num_queries(8):
        response = staff_client.get(url, params)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 15


def test_admin_refuses_a_processing_time_the_agency_default_does_not_add_up_to(staff_client):
    procedure = ProcedureFactory(processing_days=2)
    for i in range(2):
        ProcessStepFactory(
            procedure=None, agency=procedure.agency, order=i, duration=8, duration_unit=HOURS
        )
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    data = form_data(staff_client.get(url))
    data["processing_days"] = 3
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "default process adds up to 16 working hours" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.processing_days == 2


def test_admin_refuses_a_default_process_its_procedures_do_not_take(staff_client):
    procedure = ProcedureFactory(processing_days=2)
    agency = procedure.agency
    url = reverse("admin:procedures_agency_change", args=[agency.pk])
    data = form_data(staff_client.get(url))
    prefix = "default_process_steps"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": 1,
            f"{prefix}-0-order": 0,
            f"{prefix}-0-unit_kind": UnitKind.SPECIALIST,
            f"{prefix}-0-role": StaffRole.SPECIALIST,
            f"{prefix}-0-duration": 3,
            f"{prefix}-0-duration_unit": DAYS,
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "default process adds up to 24 working hours" in text and procedure.name in text
    assert not ProcessStep.objects.filter(agency=agency).exists()
