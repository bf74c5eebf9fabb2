"""The internal process (DESIGN §10): every step move, every refusal, the hand-over records,
step deadlines in office hours across Tết and a make-up Saturday."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone, translation

import pytest

from accounts.models import AuditEntry
from dossiers.calendar import add_working_hours, working_hours_between
from dossiers.constants import CalendarDayKind, DossierStatus, HandOverKind, Role, StepOutcome
from dossiers.models import Dossier, DossierEvent, DossierStep, HandOver
from dossiers.services import (
    StepForbidden,
    TransitionRefused,
    dossier_approve,
    dossier_receive,
    dossier_reject,
    dossier_request_supplement,
    dossier_result_draft,
    dossier_return_result,
    dossier_start_processing,
    dossier_step_assign,
    dossier_step_back,
    dossier_step_forward,
    dossier_step_take,
    dossier_transition,
    step_outcome,
)
from dossiers.services.transitions import DossierError
from procedures.constants import StaffRole
from procedures.models import UnitMembership
from tracking.selectors import dossier_public_events

from .factories import BackOffice, CalendarDayFactory, DossierFactory, ProcedureFactory, upload

S = DossierStatus
VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return BackOffice(ProcedureFactory(processing_days=5))


def submitted(office) -> Dossier:
    return DossierFactory(
        procedure=office.procedure, status=S.SUBMITTED, submitted_at=timezone.now()
    )


def at(dossier) -> DossierStep:
    return Dossier.objects.get(pk=dossier.pk).current_step


def kinds(dossier) -> list[str]:
    return list(HandOver.objects.filter(dossier=dossier).values_list("kind", flat=True))


def received_and_assigned(office) -> Dossier:
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    dossier_step_assign(dossier_id=dossier.pk, actor=office.head, assignee=office.specialist1)
    return dossier


def drafted(office) -> Dossier:
    dossier = received_and_assigned(office)
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    dossier_result_draft(
        dossier_id=dossier.pk, actor=office.specialist1, draft_file=upload("ket-qua.pdf")
    )
    return dossier


def at_leader(office) -> Dossier:
    dossier = drafted(office)
    dossier_step_forward(dossier_id=dossier.pk, actor=office.head)
    return dossier


# --- The whole way -------------------------------------------------------------------------------


def test_a_dossier_goes_through_every_step_of_its_process(office):
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    step = at(dossier)
    # The desk's step is recorded and the dossier sits in the specialist unit's pool.
    assert (step.unit, step.role, step.assignee) == (office.unit, StaffRole.SPECIALIST, None)
    assert kinds(dossier) == [HandOverKind.FORWARD]
    desk_step = DossierStep.objects.get(dossier=dossier, order=1)
    assert desk_step.unit == office.desk and desk_step.finished_at is not None
    assert desk_step.outcome in (StepOutcome.EARLY, StepOutcome.ON_TIME)

    dossier_step_assign(dossier_id=dossier.pk, actor=office.head, assignee=office.specialist1)
    assert at(dossier).assignee == office.specialist1
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    dossier_result_draft(
        dossier_id=dossier.pk,
        actor=office.specialist1,
        draft_file=upload("ket-qua.pdf"),
        note="Đủ điều kiện cấp phép.",
    )
    assert (at(dossier).role, at(dossier).unit) == (StaffRole.UNIT_HEAD, office.unit)
    # The unit head sends the draft back once: the specialist has it again.
    dossier_step_back(dossier_id=dossier.pk, actor=office.head, reason="Sửa số giấy phép.")
    again = at(dossier)
    assert (again.role, again.assignee) == (StaffRole.SPECIALIST, office.specialist1)
    dossier_result_draft(
        dossier_id=dossier.pk, actor=office.specialist1, draft_file=upload("ket-qua-2.pdf")
    )
    dossier_step_forward(dossier_id=dossier.pk, actor=office.head)
    assert at(dossier).unit == office.leadership
    dossier_approve(dossier_id=dossier.pk, actor=office.leader1, result_file=None)
    dossier.refresh_from_db()
    assert dossier.status == S.APPROVED
    assert dossier.result_name == "ket-qua-2.pdf" and dossier.result_sha256 == dossier.draft_sha256
    assert at(dossier).unit == office.desk
    dossier_return_result(dossier_id=dossier.pk, actor=office.desk2)
    dossier.refresh_from_db()
    assert dossier.status == S.RETURNED and dossier.current_step is None

    assert kinds(dossier) == [
        HandOverKind.FORWARD,  # desk → unit pool
        HandOverKind.ASSIGN,
        HandOverKind.FORWARD,  # draft → unit head
        HandOverKind.BACK,
        HandOverKind.FORWARD,  # second draft → unit head
        HandOverKind.FORWARD,  # → leader
        HandOverKind.FORWARD,  # approved → desk
        HandOverKind.FINISH,
    ]
    back = HandOver.objects.get(dossier=dossier, kind=HandOverKind.BACK)
    assert (back.from_user, back.to_user, back.reason) == (
        office.head,
        office.specialist1,
        "Sửa số giấy phép.",
    )
    # Each hand-over that ends a step keeps its deadline and how it ended; the history links it.
    for handover in HandOver.objects.filter(dossier=dossier).exclude(
        kind__in=[HandOverKind.ASSIGN, HandOverKind.TAKE]
    ):
        assert handover.step_deadline is not None
        assert handover.outcome in StepOutcome.values
        assert DossierEvent.objects.filter(handover=handover).count() == 1
    # Each finished step stored the office hours it took (for the statistics).
    assert not DossierStep.objects.filter(dossier=dossier, hours_used=None).exists()
    # Seven steps: desk, specialist, head, specialist again, head again, leader, desk.
    assert DossierStep.objects.filter(dossier=dossier).count() == 7
    assert not DossierStep.objects.filter(dossier=dossier, finished_at=None).exists()


def test_the_public_reads_the_unit_and_date_never_an_officer(office):
    dossier = received_and_assigned(office)
    with translation.override("vi"):
        events = dossier_public_events(dossier_id=dossier.pk)
    texts = " ".join(e.text for e in events)
    step = at(dossier)
    expected = timezone.localtime(step.deadline, VN).date().strftime("%d/%m/%Y")
    assert "Phòng Bưu chính" in texts and expected in texts
    for person in (office.head, office.specialist1, office.desk1):
        assert person.full_name not in texts
    # The assignment is staff-only.
    assert not any("chuyên viên" in e.text.lower() for e in events)


def test_a_renamed_unit_shows_at_once_in_the_public_history(office):
    """The history's unit names are kept per catalogue version in each process: a unit's edit
    moves the version, so the next history reads the new name."""
    dossier = received_and_assigned(office)
    with translation.override("vi"):
        before = " ".join(e.text for e in dossier_public_events(dossier_id=dossier.pk))
        unit = at(dossier).unit
        unit.name = "Phòng Quản lý bưu chính"
        unit.save()
        after = " ".join(e.text for e in dossier_public_events(dossier_id=dossier.pk))
    assert "Phòng Bưu chính" in before and "Phòng Quản lý bưu chính" not in before
    assert "Phòng Quản lý bưu chính" in after


def test_a_specialist_takes_a_pool_dossier_and_a_colleague_is_told(office):
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    dossier_step_take(dossier_id=dossier.pk, actor=office.specialist1)
    with pytest.raises(StepForbidden, match="already taken"):
        dossier_step_take(dossier_id=dossier.pk, actor=office.specialist2)
    assert at(dossier).assignee == office.specialist1
    assert kinds(dossier) == [HandOverKind.FORWARD, HandOverKind.TAKE]


@pytest.mark.django_db(transaction=True)
def test_two_specialists_taking_at_once_one_wins(postgres):
    from django.db import connection

    office = BackOffice(ProcedureFactory(processing_days=5))
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    step_id = at(dossier).pk
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take(person, name):
        try:
            barrier.wait(timeout=10)
            dossier_step_take(dossier_id=dossier.pk, actor=person, expected_step=step_id)
            outcomes[name] = "won"
        except StepForbidden as refused:
            outcomes[name] = str(refused)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=take, args=(office.specialist1, "one")),
        threading.Thread(target=take, args=(office.specialist2, "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values())[-1] == "won"
    assert list(outcomes.values()).count("won") == 1
    loser = next(v for v in outcomes.values() if v != "won")
    assert "already taken" in loser
    assert HandOver.objects.filter(dossier=dossier, kind=HandOverKind.TAKE).count() == 1


# --- Refusals ------------------------------------------------------------------------------------


def _refused(call, dossier, match: str) -> None:
    before = (HandOver.objects.count(), DossierStep.objects.count(), DossierEvent.objects.count())
    status = Dossier.objects.get(pk=dossier.pk).status
    audited = AuditEntry.objects.filter(succeeded=False).count()
    with pytest.raises((StepForbidden, TransitionRefused, DossierError), match=match):
        call()
    after = (HandOver.objects.count(), DossierStep.objects.count(), DossierEvent.objects.count())
    assert after == before
    assert Dossier.objects.get(pk=dossier.pk).status == status
    # Every refusal is on record in the audit log, written by the service.
    assert AuditEntry.objects.filter(succeeded=False).count() == audited + 1


def test_only_the_desk_receives(office):
    dossier = submitted(office)
    for person in (office.specialist1, office.head, office.leader1):
        _refused(lambda p=person: dossier_receive(dossier_id=dossier.pk, actor=p), dossier, "desk")


def test_assigning_is_the_unit_head_s_and_only_to_a_specialist_of_the_unit(office):
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    cases = [
        (office.specialist1, office.specialist2, "head of the unit"),
        (office.other_head, office.specialist2, "head of the unit"),
        (office.leader1, office.specialist2, "head of the unit"),
        (office.head, office.outsider, "not a specialist of this unit"),
        (office.head, office.head, "not a specialist of this unit"),
        (office.head, office.desk1, "not a specialist of this unit"),
    ]
    for actor, assignee, match in cases:
        _refused(
            lambda a=actor, b=assignee: dossier_step_assign(
                dossier_id=dossier.pk, actor=a, assignee=b
            ),
            dossier,
            match,
        )
    assert at(dossier).assignee is None


def test_only_the_assigned_specialist_works_the_step(office):
    dossier = received_and_assigned(office)
    for person, match in (
        (office.specialist2, "assigned to another officer"),
        (office.outsider, "assigned to another officer"),
        (office.head, "assigned to another officer"),
    ):
        _refused(
            lambda p=person: dossier_start_processing(dossier_id=dossier.pk, actor=p),
            dossier,
            match,
        )
    _refused(
        lambda: dossier_step_take(dossier_id=dossier.pk, actor=office.outsider),
        dossier,
        "specialist of the unit",
    )


def test_a_pool_step_is_taken_before_it_is_worked(office):
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    _refused(
        lambda: dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1),
        dossier,
        "pool first",
    )


def test_only_a_specialist_step_is_taken_from_a_pool(office):
    dossier = drafted(office)  # at the unit head's review, in the unit's pool
    _refused(
        lambda: dossier_step_take(dossier_id=dossier.pk, actor=office.head),
        dossier,
        "specialist of the unit",
    )
    assert at(dossier).assignee is None


def test_what_the_step_may_not_do_is_refused(office):
    dossier = drafted(office)  # at the unit head's review: it may not ask for a supplement
    _refused(
        lambda: dossier_request_supplement(
            dossier_id=dossier.pk, actor=office.head, message="Thiếu bản sao."
        ),
        dossier,
        "may not do that",
    )
    _refused(
        lambda: dossier_approve(dossier_id=dossier.pk, actor=office.head, result_file=None),
        dossier,
        "may not do that",
    )


def test_signing_needs_the_leader_role_and_never_the_drafter(office):
    dossier = at_leader(office)
    for person in (office.head, office.specialist1, office.desk1):
        _refused(
            lambda p=person: dossier_approve(dossier_id=dossier.pk, actor=p, result_file=None),
            dossier,
            "Only a leader",
        )
    # A specialist who is also a leader drafted it: they may not approve their own draft.
    UnitMembership.objects.create(
        user=office.specialist1, unit=office.leadership, role=StaffRole.LEADER
    )
    office.specialist1 = type(office.specialist1).objects.get(pk=office.specialist1.pk)
    _refused(
        lambda: dossier_approve(dossier_id=dossier.pk, actor=office.specialist1, result_file=None),
        dossier,
        "You drafted this result",
    )
    dossier_approve(dossier_id=dossier.pk, actor=office.leader2, result_file=None)
    assert Dossier.objects.get(pk=dossier.pk).status == S.APPROVED


def test_only_the_desk_returns_the_result(office):
    dossier = at_leader(office)
    dossier_approve(dossier_id=dossier.pk, actor=office.leader1, result_file=None)
    for person in (office.leader1, office.head, office.specialist1):
        _refused(
            lambda p=person: dossier_return_result(dossier_id=dossier.pk, actor=p),
            dossier,
            "desk|Một cửa|One-stop",
        )
    dossier_return_result(dossier_id=dossier.pk, actor=office.desk1)


def test_a_stale_screen_is_refused(office):
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    seen = at(dossier).pk
    dossier_step_take(dossier_id=dossier.pk, actor=office.specialist1, expected_step=seen)
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    dossier_result_draft(
        dossier_id=dossier.pk,
        actor=office.specialist1,
        draft_file=upload(),
        expected_step=seen,
    )
    # The head's screen still shows the specialist's step.
    _refused(
        lambda: dossier_step_back(
            dossier_id=dossier.pk, actor=office.head, reason="x", expected_step=seen
        ),
        dossier,
        "no longer current",
    )


def test_handing_over_a_drafting_step_needs_a_draft(office):
    dossier = received_and_assigned(office)
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    _refused(
        lambda: dossier_step_forward(dossier_id=dossier.pk, actor=office.specialist1),
        dossier,
        "Draft the result",
    )


def test_sending_back_needs_a_reason(office):
    dossier = drafted(office)
    with pytest.raises(DossierError, match="Say why"):
        dossier_step_back(dossier_id=dossier.pk, actor=office.head, reason="  ")


def test_a_single_officer_agency_may_switch_separation_of_duties_off():
    office = BackOffice(ProcedureFactory(processing_days=5), separation_of_duties=False)
    alone = office.specialist1
    dossier = submitted(office)
    dossier_receive(dossier_id=dossier.pk, actor=alone)
    dossier_start_processing(dossier_id=dossier.pk, actor=alone)
    dossier_result_draft(dossier_id=dossier.pk, actor=alone, draft_file=upload())
    dossier_step_forward(dossier_id=dossier.pk, actor=alone)
    dossier_approve(dossier_id=dossier.pk, actor=alone, result_file=None)
    dossier_return_result(dossier_id=dossier.pk, actor=alone)
    assert Dossier.objects.get(pk=dossier.pk).status == S.RETURNED
    # What a step may do still holds.
    other = submitted(office)
    dossier_receive(dossier_id=other.pk, actor=alone)
    with pytest.raises(StepForbidden, match="may not do that"):
        dossier_approve(dossier_id=other.pk, actor=alone, result_file=upload())


# --- The clock ----------------------------------------------------------------------------------


def test_a_supplement_stops_the_step_clock_and_the_answer_restarts_it(office):
    dossier = received_and_assigned(office)
    step = at(dossier)
    left_before = working_hours_between(timezone.now(), step.deadline)
    dossier_request_supplement(
        dossier_id=dossier.pk, actor=office.specialist1, message="Thiếu bản sao giấy phép."
    )
    assert at(dossier).paused_at is not None
    dossier_transition(dossier_id=dossier.pk, to_status=S.SUPPLEMENTED, role=Role.CITIZEN)
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    resumed = at(dossier)
    assert resumed.pk == step.pk and resumed.paused_at is None
    left_after = working_hours_between(timezone.now(), resumed.deadline)
    assert abs(left_after - left_before) < 0.05


def test_a_rejection_at_the_leader_closes_the_process(office):
    dossier = at_leader(office)
    dossier_reject(dossier_id=dossier.pk, actor=office.leader1, reason="Không đủ điều kiện.")
    dossier.refresh_from_db()
    assert dossier.status == S.REJECTED and dossier.current_step is None
    assert kinds(dossier)[-1] == HandOverKind.FINISH


def test_an_agency_without_a_desk_keeps_the_simple_flow():
    from .factories import agency_staff

    procedure = ProcedureFactory()
    officer = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    dossier_receive(dossier_id=dossier.pk, actor=officer)
    assert at(dossier) is None and not HandOver.objects.exists()


def test_the_applicant_s_emails_never_name_an_officer(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = received_and_assigned(office)
    applicant_mails = [m for m in mail.outbox if dossier.applicant.email in m.to]
    assert applicant_mails, "the applicant is told of the receipt"
    for message in applicant_mails:
        for officer in (office.desk1, office.head, office.specialist1):
            assert officer.full_name not in message.body


def _vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


def test_office_hours_skip_lunch_nights_and_weekends():
    # Friday 16:00 + 3 h: 1 h on Friday, then Monday 08:00–10:00.
    assert add_working_hours(_vn(2026, 12, 4, 16, 0), 3) == _vn(2026, 12, 7, 10, 0)
    # Before lunch into the afternoon.
    assert add_working_hours(_vn(2026, 12, 7, 11, 0), 2) == _vn(2026, 12, 7, 14, 0)
    # Started at night: counts from the next morning.
    assert add_working_hours(_vn(2026, 12, 7, 20, 0), 8) == _vn(2026, 12, 8, 17, 0)
    assert working_hours_between(_vn(2026, 12, 4, 16, 0), _vn(2026, 12, 7, 10, 0)) == 3


def test_a_step_deadline_crosses_tet_and_counts_a_make_up_saturday():
    # Tết 2027: Thursday 4 to Wednesday 10 February are holidays.
    start = _vn(2027, 2, 3, 15, 0)
    assert add_working_hours(start, 4) == _vn(2027, 2, 11, 10, 0)
    # A make-up working Saturday (entered in the calendar) counts.
    CalendarDayFactory(date=date(2027, 2, 13), kind=CalendarDayKind.WORKING_DAY)
    assert add_working_hours(_vn(2027, 2, 12, 16, 0), 2) == _vn(2027, 2, 13, 9, 0)
    # An extra day off does not.
    CalendarDayFactory(date=date(2027, 2, 15), kind=CalendarDayKind.DAY_OFF)
    assert add_working_hours(_vn(2027, 2, 13, 16, 0), 2) == _vn(2027, 2, 16, 9, 0)


def test_outcomes_early_on_time_late():
    deadline = _vn(2026, 12, 8, 15, 0)
    assert step_outcome(finished_at=deadline - timedelta(days=1), deadline=deadline) == "early"
    assert step_outcome(finished_at=_vn(2026, 12, 8, 9, 0), deadline=deadline) == "on_time"
    assert step_outcome(finished_at=deadline, deadline=deadline) == "on_time"
    assert step_outcome(finished_at=deadline + timedelta(minutes=1), deadline=deadline) == "late"


def test_the_lookup_and_the_citizen_page_name_the_unit_and_the_step_date(client, office):
    dossier = received_and_assigned(office)
    step = at(dossier)
    expected = timezone.localtime(step.deadline, VN).date().strftime("%d/%m/%Y")
    page = client.get("/lookup/", {"code": Dossier.objects.get(pk=dossier.pk).code}).content
    text = page.decode()
    assert "Postal Unit" in text and expected in text
    assert office.specialist1.full_name not in text
    client.force_login(dossier.applicant)
    text = client.get(dossier.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Phòng Bưu chính" in text and expected in text
    assert office.specialist1.full_name not in text and office.head.full_name not in text
