"""The data migration that places dossiers already in flight at a step of their internal process
(dossiers 0012), run on the current models as the history test runs its migration."""

import importlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.utils import timezone

import pytest

from dossiers import calendar
from dossiers.constants import DossierStatus as S
from dossiers.models import CalendarDay, Dossier, DossierEvent, DossierStep, HandOver
from procedures.constants import DurationUnit, StaffRole, UnitKind
from procedures.models import UnitMembership
from tests.procedures.factories import FieldFactory, ProcessStepFactory, UnitFactory

from .factories import AgencyFactory, DossierFactory, ProcedureFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("dossiers.migrations.0012_place_dossiers_in_flight_at_a_step")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS, HOURS = DurationUnit.WORKING_DAYS, DurationUnit.WORKING_HOURS


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2027, agency time (Monday 8 March is a plain working day)."""
    return datetime(2027, 3, day, hour, minute, tzinfo=TZ)


class Office:
    """An agency with a desk, two specialist units (the second handles the procedure's field),
    the leadership, a person per role, and a default process of 5 working days."""

    def __init__(self):
        self.agency = AgencyFactory()
        self.field = FieldFactory()
        self.desk = UnitFactory(agency=self.agency, kind=UnitKind.DESK, name="Bộ phận Một cửa")
        self.other_unit = UnitFactory(agency=self.agency, name="Phòng A Tổng hợp")
        self.unit = UnitFactory(agency=self.agency, name="Phòng B Cấp phép")
        self.unit.fields.add(self.field)
        self.leadership = UnitFactory(
            agency=self.agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo Cục"
        )
        self.desk_officer = self.member(self.desk, StaffRole.DESK_OFFICER)
        self.specialist = self.member(self.unit, StaffRole.SPECIALIST)
        self.head = self.member(self.unit, StaffRole.UNIT_HEAD)
        self.leader = self.member(self.leadership, StaffRole.LEADER)
        self.outsider = StaffFactory()  # acted on dossiers, in no unit of the process
        self.procedure = ProcedureFactory(agency=self.agency, field=self.field, processing_days=5)
        self.process = [
            self.step(0, UnitKind.DESK, StaffRole.DESK_OFFICER, 4, HOURS),
            self.step(
                1,
                UnitKind.SPECIALIST,
                StaffRole.SPECIALIST,
                2,
                DAYS,
                drafts_result=True,
                may_request_supplement=True,
            ),
            self.step(2, UnitKind.SPECIALIST, StaffRole.UNIT_HEAD, 1, DAYS),
            self.step(3, UnitKind.LEADERSHIP, StaffRole.LEADER, 1, DAYS, approves=True),
            self.step(4, UnitKind.DESK, StaffRole.DESK_OFFICER, 4, HOURS),
        ]

    def member(self, unit, role):
        user = StaffFactory()
        UnitMembership.objects.create(user=user, unit=unit, role=role)
        return user

    def step(self, order, kind, role, duration, unit, **flags):
        return ProcessStepFactory(
            procedure=None,
            agency=self.agency,
            order=order,
            unit_kind=kind,
            role=role,
            duration=duration,
            duration_unit=unit,
            **flags,
        )

    def dossier(self, status, events=(), procedure=None, **fields):
        """A dossier received on Monday 8 March at 09:00 with these (time, action, from, to,
        actor) history events after its receipt."""
        applicant = UserFactory()
        fields.setdefault("received_at", at(8, 9))
        if fields["received_at"] is not None:
            fields.setdefault("code", f"{self.agency.code}-270308-{Dossier.objects.count():04d}")
            fields.setdefault("due_date", date(2027, 3, 15))
            fields.setdefault("received_by", self.desk_officer)
        dossier = DossierFactory(
            procedure=procedure or self.procedure, applicant=applicant, status=status, **fields
        )
        history = [(fields["received_at"], "receive", S.SUBMITTED, S.RECEIVED, self.desk_officer)]
        if fields["received_at"] is None:
            history = []
        for moment, action, frm, to, actor in [*history, *events]:
            event = DossierEvent.objects.create(
                dossier=dossier,
                action=action,
                from_status=frm,
                to_status=to,
                actor=applicant if actor == "applicant" else actor,
            )
            DossierEvent.objects.filter(pk=event.pk).update(created_at=moment)
        return dossier


@pytest.fixture
def office():
    return Office()


def place() -> int:
    return migration.place_dossiers_in_flight(apps, None)


def steps_of(dossier) -> list[DossierStep]:
    return list(DossierStep.objects.filter(dossier=dossier).order_by("order", "id"))


def slip(dossier) -> list[tuple]:
    return list(
        HandOver.objects.filter(dossier=dossier)
        .order_by("created_at", "id")
        .values_list("kind", "from_unit", "to_unit", "from_user", "to_user", "outcome")
    )


def test_a_received_dossier_waits_in_the_pool_of_the_unit_handling_its_field(office):
    dossier = office.dossier(S.RECEIVED, submitted_at=at(5, 16))
    assert place() == 1
    dossier.refresh_from_db()
    desk_step, current = steps_of(dossier)
    assert dossier.current_step == current
    # Submitted on Friday at 16:00 and received on Monday at 09:00, within the desk's 4 office
    # hours (deadline Monday 11:00), as the receipt records the desk's step.
    assert (desk_step.started_at, desk_step.finished_at) == (at(5, 16), at(8, 9))
    assert desk_step.deadline == at(8, 11) and desk_step.order == 1
    assert desk_step.assignee == office.desk_officer and desk_step.outcome == "on_time"
    assert desk_step.process_step == office.process[0] and desk_step.hours == 4
    # Two working days of the specialist from Monday 09:00: Wednesday 09:00.
    assert current.order == 2 and current.unit == office.unit and current.assignee is None
    assert current.role == StaffRole.SPECIALIST and current.drafts_result
    assert current.may_request_supplement and not current.approves
    assert current.started_at == at(8, 9) and current.deadline == at(10, 9)
    assert current.finished_at is None and current.outcome == "" and current.paused_at is None
    handover = HandOver.objects.get(dossier=dossier)
    assert (handover.kind, handover.from_step, handover.to_step) == ("forward", desk_step, current)
    assert handover.created_at == at(8, 9) and handover.step_deadline == at(8, 11)
    assert slip(dossier) == [
        ("forward", office.desk.pk, office.unit.pk, office.desk_officer.pk, None, "on_time")
    ]


def test_a_dossier_in_processing_stays_with_its_officer_when_they_are_a_specialist_of_the_unit(
    office,
):
    started = [(at(8, 10), "start_processing", S.RECEIVED, S.PROCESSING, office.specialist)]
    own = office.dossier(S.PROCESSING, started)
    by_outsider = office.dossier(
        S.PROCESSING,
        [(at(8, 10), "start_processing", S.RECEIVED, S.PROCESSING, office.outsider)],
    )
    assert place() == 2
    current = Dossier.objects.get(pk=own.pk).current_step
    assert current.order == 2 and current.assignee == office.specialist
    assert slip(own) == [
        ("forward", office.desk.pk, office.unit.pk, office.desk_officer.pk, None, "on_time"),
        ("take", office.unit.pk, office.unit.pk, office.specialist.pk, office.specialist.pk, ""),
    ]
    take = HandOver.objects.get(dossier=own, kind="take")
    assert take.created_at == at(8, 10) and take.from_step == take.to_step == current
    assert take.step_deadline == current.deadline
    # Someone outside the unit acted last: the step waits in the unit's pool.
    pooled = Dossier.objects.get(pk=by_outsider.pk).current_step
    assert pooled.unit == office.unit and pooled.assignee is None
    assert not HandOver.objects.filter(dossier=by_outsider, kind="take").exists()


def _asked(office, *more):
    """Processing started on Monday 10:00, a supplement asked on Tuesday 10:00, then `more`."""
    return [
        (at(8, 10), "start_processing", S.RECEIVED, S.PROCESSING, office.specialist),
        (at(9, 10), "request_supplement", S.PROCESSING, S.SUPPLEMENT_REQUESTED, office.specialist),
        *more,
    ]


def test_a_dossier_waiting_on_the_applicant_has_its_step_paused(office):
    waiting = office.dossier(S.SUPPLEMENT_REQUESTED, _asked(office))
    # Answered, but staff have not continued: the clock still stands, as in the services.
    answered = office.dossier(
        S.SUPPLEMENTED,
        _asked(
            office, (at(11, 10), "supplement", S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED, "applicant")
        ),
    )
    fee = office.dossier(
        S.AWAITING_PAYMENT,
        [
            (at(8, 10), "start_processing", S.RECEIVED, S.PROCESSING, office.specialist),
            (at(9, 15), "request_payment", S.PROCESSING, S.AWAITING_PAYMENT, office.specialist),
        ],
    )
    assert place() == 3
    for dossier, paused in ((waiting, at(9, 10)), (answered, at(9, 10)), (fee, at(9, 15))):
        step = Dossier.objects.get(pk=dossier.pk).current_step
        assert step.paused_at == paused and step.assignee == office.specialist
        # The deadline moves only when the clock resumes.
        assert step.deadline == at(10, 9)


def test_processing_resumed_after_a_supplement_gets_the_office_hours_that_were_left(office):
    dossier = office.dossier(
        S.PROCESSING,
        _asked(
            office,
            (at(11, 10), "supplement", S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED, "applicant"),
            (at(11, 11), "continue_processing", S.SUPPLEMENTED, S.PROCESSING, office.specialist),
        ),
    )
    place()
    step = Dossier.objects.get(pk=dossier.pk).current_step
    # 7 office hours were left at the request (Tuesday 10:00 to Wednesday 09:00); processing
    # resumed on Thursday at 11:00: Friday 10:00.
    assert step.paused_at is None and step.deadline == at(12, 10)
    assert step.assignee == office.specialist


def test_an_approved_dossier_waits_at_the_desks_return_step_after_the_finished_steps(office):
    dossier = office.dossier(
        S.APPROVED,
        [
            (at(8, 10), "start_processing", S.RECEIVED, S.PROCESSING, office.specialist),
            (at(12, 10), "approve", S.PROCESSING, S.APPROVED, office.leader),
        ],
        completed_at=at(12, 10),
    )
    assert place() == 1
    dossier.refresh_from_db()
    rows = steps_of(dossier)
    assert [s.order for s in rows] == [1, 2, 3, 4, 5]
    desk, specialist, head, leader, back = rows
    assert dossier.current_step == back
    assert [s.finished_at is None for s in rows] == [False] * 4 + [True]
    # 33 office hours from receipt to approval, shared 16:8:8 by the steps in between.
    assert (specialist.started_at, specialist.finished_at) == (at(8, 9), at(10, 9, 30))
    assert specialist.deadline == at(10, 9) and specialist.outcome == "late"
    assert specialist.assignee == office.specialist and specialist.unit == office.unit
    assert (head.started_at, head.finished_at) == (at(10, 9, 30), at(11, 9, 45))
    # An hour more than the 32 the steps have: each step is a little late.
    assert head.deadline == at(11, 9, 30) and head.outcome == "late"
    assert head.assignee is None and head.unit == office.unit
    assert (leader.finished_at, leader.deadline) == (at(12, 10), at(12, 9, 45))
    assert leader.outcome == "late" and leader.unit == office.leadership
    assert back.unit == office.desk and back.assignee is None
    assert back.started_at == at(12, 10) and back.deadline == at(12, 15)
    # The steps in a pool were handed on by whoever acted: the leader approved.
    assert slip(dossier) == [
        ("forward", office.desk.pk, office.unit.pk, office.desk_officer.pk, None, "on_time"),
        ("take", office.unit.pk, office.unit.pk, office.specialist.pk, office.specialist.pk, ""),
        ("forward", office.unit.pk, office.unit.pk, office.specialist.pk, None, "late"),
        ("forward", office.unit.pk, office.leadership.pk, None, None, "late"),
        ("forward", office.leadership.pk, office.desk.pk, office.leader.pk, None, "late"),
    ]
    forwards = HandOver.objects.filter(dossier=dossier, kind="forward").order_by("created_at")
    assert [h.step_deadline for h in forwards] == [s.deadline for s in rows[:4]]
    assert [(h.from_step, h.to_step) for h in forwards] == list(zip(rows, rows[1:], strict=False))


def test_steps_finished_a_day_before_their_deadline_are_early(office):
    dossier = office.dossier(
        S.APPROVED,
        [(at(8, 11), "approve", S.PROCESSING, S.APPROVED, office.leader)],
        completed_at=at(8, 11),
    )
    place()
    desk, specialist, head, leader, back = steps_of(dossier)
    # Two office hours shared 16:8:8: Monday 10:00, 10:30 and 11:00.
    assert [s.finished_at for s in (specialist, head, leader)] == [
        at(8, 10),
        at(8, 10, 30),
        at(8, 11),
    ]
    assert [s.outcome for s in (desk, specialist, head, leader)] == ["on_time", *["early"] * 3]
    assert back.outcome == "" and back.started_at == at(8, 11)


def test_a_procedures_own_process_comes_before_the_agencys_default(office):
    procedure = ProcedureFactory(agency=office.agency, field=office.field, processing_days=3)
    own = [
        ProcessStepFactory(
            procedure=procedure, order=0, unit_kind=UnitKind.DESK, role=StaffRole.DESK_OFFICER,
            duration=4, duration_unit=HOURS,
        ),
        ProcessStepFactory(
            procedure=procedure, order=1, unit_kind=UnitKind.SPECIALIST, unit=office.other_unit,
            role=StaffRole.UNIT_HEAD, duration=4, duration_unit=HOURS,
        ),
        ProcessStepFactory(
            procedure=procedure, order=2, unit_kind=UnitKind.SPECIALIST,
            role=StaffRole.SPECIALIST, duration=12, duration_unit=HOURS, drafts_result=True,
        ),
        ProcessStepFactory(
            procedure=procedure, order=3, unit_kind=UnitKind.LEADERSHIP, role=StaffRole.LEADER,
            duration=4, duration_unit=HOURS, approves=True,
        ),
    ]  # fmt: skip
    received = office.dossier(S.RECEIVED, procedure=procedure)
    processing = office.dossier(
        S.PROCESSING,
        [(at(9, 8), "start_processing", S.RECEIVED, S.PROCESSING, office.specialist)],
        procedure=procedure,
    )
    # No desk step after the leader's: an approved dossier has nowhere to wait.
    approved = office.dossier(S.APPROVED, procedure=procedure, completed_at=at(10, 9))
    assert place() == 2
    first = Dossier.objects.get(pk=received.pk).current_step
    # The first specialist-unit step, in the unit the process names.
    assert first.process_step == own[1] and first.unit == office.other_unit
    assert first.role == StaffRole.UNIT_HEAD
    at_draft = Dossier.objects.get(pk=processing.pk).current_step
    assert at_draft.process_step == own[2] and at_draft.unit == office.unit
    # The unit head's step ended when processing started.
    review = DossierStep.objects.get(dossier=processing, order=2)
    assert (review.started_at, review.finished_at) == (at(8, 9), at(9, 8))
    assert review.deadline == at(8, 14) and review.outcome == "late"
    assert at_draft.started_at == at(9, 8) and at_draft.assignee == office.specialist
    assert not DossierStep.objects.filter(dossier=approved).exists()


def test_dossiers_out_of_flight_or_without_a_back_office_are_left_alone(office):
    untouched = [
        office.dossier(S.DRAFT, received_at=None),
        office.dossier(S.SUBMITTED, received_at=None),
        # A supplement asked before receipt: not received yet.
        office.dossier(S.SUPPLEMENT_REQUESTED, received_at=None),
        office.dossier(S.RETURNED, completed_at=at(12, 9)),
        office.dossier(S.REJECTED, completed_at=at(12, 9)),
        office.dossier(S.WITHDRAWN),
        office.dossier(S.STOPPED),
    ]
    # An agency with a process but no desk, and one with a desk but no process.
    no_desk = AgencyFactory()
    ProcessStepFactory(procedure=None, agency=no_desk, unit_kind=UnitKind.SPECIALIST)
    no_process = AgencyFactory()
    UnitFactory(agency=no_process, kind=UnitKind.DESK)
    for agency in (no_desk, no_process):
        untouched.append(
            DossierFactory(
                procedure=ProcedureFactory(agency=agency),
                status=S.PROCESSING,
                received_at=at(8, 9),
                code=f"{agency.code}-270308-0001",
            )
        )
    assert place() == 0
    assert not DossierStep.objects.exists() and not HandOver.objects.exists()
    assert not Dossier.objects.filter(current_step__isnull=False).exists()


def test_history_due_dates_and_statuses_are_kept_and_a_second_run_changes_nothing(office):
    dossiers = [
        office.dossier(S.RECEIVED),
        office.dossier(
            S.APPROVED,
            [(at(12, 10), "approve", S.PROCESSING, S.APPROVED, office.leader)],
            completed_at=at(12, 10),
        ),
    ]
    fields = ("status", "due_date", "received_at", "completed_at", "updated_at", "code")
    before = list(Dossier.objects.order_by("pk").values(*fields))
    history = list(DossierEvent.objects.order_by("pk").values())
    assert place() == 2
    assert list(Dossier.objects.order_by("pk").values(*fields)) == before
    assert list(DossierEvent.objects.order_by("pk").values()) == history
    counts = (DossierStep.objects.count(), HandOver.objects.count())
    assert place() == 0
    assert (DossierStep.objects.count(), HandOver.objects.count()) == counts
    assert all(Dossier.objects.get(pk=d.pk).current_step is not None for d in dossiers)


def test_the_migrations_calendar_counts_office_hours_as_the_portal_does():
    # Tết 2027 (the holiday week around 6 February), an extra day off and a make-up Saturday.
    CalendarDay.objects.create(date=date(2027, 2, 12), kind="day_off")
    CalendarDay.objects.create(date=date(2027, 2, 20), kind="working_day")
    ours = migration.Calendar(apps.get_model("dossiers", "CalendarDay"))
    start = datetime(2027, 2, 1, 7, 30, tzinfo=TZ)
    for offset in range(0, 24 * 26, 7):
        moment = start + timedelta(hours=offset)
        for hours in (0, 1, 4, 7.5, 8, 40):
            assert ours.add_hours(moment, hours) == calendar.add_working_hours(moment, hours)
        later = moment + timedelta(hours=53)
        assert ours.hours_between(moment, later) == calendar.working_hours_between(moment, later)


def test_placed_dossiers_go_on_through_the_back_office_services():
    from dossiers.services import (
        dossier_approve,
        dossier_result_draft,
        dossier_return_result,
        dossier_start_processing,
        dossier_step_assign,
        dossier_step_forward,
    )

    from .factories import BackOffice, upload

    office = BackOffice(ProcedureFactory(processing_days=5))
    received_at = timezone.now() - timedelta(days=2)
    processing = DossierFactory(
        procedure=office.procedure,
        status=S.PROCESSING,
        code=f"{office.agency.code}-000000-0001",
        received_at=received_at,
        received_by=office.desk1,
    )
    event = DossierEvent.objects.create(
        dossier=processing,
        action="start_processing",
        from_status=S.RECEIVED,
        to_status=S.PROCESSING,
        actor=office.specialist1,
    )
    DossierEvent.objects.filter(pk=event.pk).update(created_at=received_at + timedelta(hours=1))
    received = DossierFactory(
        procedure=office.procedure,
        status=S.RECEIVED,
        code=f"{office.agency.code}-000000-0002",
        received_at=received_at,
        received_by=office.desk1,
    )
    assert migration.place_dossiers_in_flight(apps, None) == 2

    # The specialist who was processing it drafts the result from the step they now hold.
    step = Dossier.objects.get(pk=processing.pk).current_step
    assert step.assignee == office.specialist1 and step.unit == office.unit
    dossier_result_draft(
        dossier_id=processing.pk,
        actor=office.specialist1,
        draft_file=upload("ket-qua.pdf"),
        expected_step=step.pk,
    )
    dossier_step_forward(dossier_id=processing.pk, actor=office.head)
    dossier_approve(dossier_id=processing.pk, actor=office.leader1, result_file=None)
    dossier_return_result(dossier_id=processing.pk, actor=office.desk2)
    processing.refresh_from_db()
    assert processing.status == S.RETURNED and processing.current_step is None
    assert list(DossierStep.objects.filter(dossier=processing).values_list("order", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert list(HandOver.objects.filter(dossier=processing).values_list("kind", flat=True)) == [
        "forward",  # the desk to the specialist unit (placed)
        "take",  # the specialist who was processing it (placed)
        "forward",  # the draft to the unit head
        "forward",  # the unit head to the leader
        "forward",  # approved: to the desk
        "finish",
    ]
    # The received one waits in the pool, where the unit head assigns it.
    pooled = Dossier.objects.get(pk=received.pk).current_step
    dossier_step_assign(
        dossier_id=received.pk,
        actor=office.head,
        assignee=office.specialist2,
        expected_step=pooled.pk,
    )
    dossier_start_processing(dossier_id=received.pk, actor=office.specialist2)
    assert Dossier.objects.get(pk=received.pk).current_step.assignee == office.specialist2
