"""Staff notices about the internal process (issue 17, item 9): an assignment, an item in the
unit's pool, a returned draft, an item to sign, and the warning the day before a step's
deadline — on the personal page and by email, in each officer's language."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

import pytest

from accounts.models import Notification, OutgoingEmail
from dossiers import services
from dossiers.constants import DossierStatus, HandOverKind
from dossiers.services.staff_notify import handover_notify, step_deadline_warnings
from dossiers.tasks import step_deadline_sweep
from procedures.constants import StaffRole, UnitKind
from tests.procedures.factories import (
    AgencyFactory,
    ProcedureFactory,
    ProcessStepFactory,
    UnitFactory,
)

from .factories import DossierFactory, HandOverFactory, dossier_at_step, unit_member

pytestmark = pytest.mark.django_db
R = StaffRole
S = DossierStatus
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def office(staff_settings):
    agency = AgencyFactory(code="SOTB", name="Sở Thông báo")
    desk = UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    unit = UnitFactory(agency=agency, name="Phòng Cấp phép", name_en="Licensing Division")
    leaders = UnitFactory(
        agency=agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo Sở", name_en="Leadership"
    )
    return {
        "agency": agency,
        "desk": desk,
        "unit": unit,
        "leaders": leaders,
        "clerk": unit_member(desk, R.DESK_OFFICER, full_name="Văn Thư", language="vi"),
        "spec_vi": unit_member(unit, R.SPECIALIST, full_name="Chuyên Viên Một", language="vi"),
        "spec_en": unit_member(unit, R.SPECIALIST, full_name="Specialist Two", language="en"),
        "head": unit_member(unit, R.UNIT_HEAD, full_name="Trưởng Phòng", language="vi"),
        "leader_vi": unit_member(leaders, R.LEADER, full_name="Giám Đốc", language="vi"),
        "leader_en": unit_member(leaders, R.LEADER, full_name="Deputy Director", language="en"),
    }


def _handover(step, **kwargs):
    """A hand-over into `step` (by default a forward one), as the workflow services write it."""
    return HandOverFactory(
        dossier=step.dossier, to_step=step, to_unit=step.unit, to_user=step.assignee, **kwargs
    )


def _notices(user):
    return list(Notification.objects.filter(user=user).order_by("pk"))


def _emails(user):
    return list(OutgoingEmail.objects.filter(to=user.email).order_by("pk"))


def test_an_assignment_tells_the_assignee_in_their_language(office):
    dossier = dossier_at_step(unit=office["unit"], assignee=office["spec_vi"])
    handover = _handover(
        dossier.current_step,
        from_step=dossier.current_step,
        kind=HandOverKind.ASSIGN,
        from_user=office["head"],
    )
    handover_notify(handover)
    [email] = _emails(office["spec_vi"])
    assert email.subject == f"Hồ sơ {dossier.code} đã được giao cho Ông/Bà xử lý"
    assert "Phòng Cấp phép, với vai trò Chuyên viên" in email.body_text
    assert f"/admin/dossiers/dossier/{dossier.pk}/change/" in email.body_text
    [notice] = _notices(office["spec_vi"])
    assert notice.link == f"/admin/dossiers/dossier/{dossier.pk}/change/"
    # The title is composed when read, in the reader's language.
    with translation.override("en"):
        assert notice.display_title == f"Dossier {dossier.code} is assigned to you"
    # Nobody else hears of it, not the unit head who assigned it.
    assert _emails(office["spec_en"]) == [] and _emails(office["head"]) == []


def test_an_item_in_the_pool_tells_the_unit_s_members_with_the_step_s_role(office):
    dossier = dossier_at_step(unit=office["unit"])
    handover_notify(_handover(dossier.current_step, from_user=office["clerk"]))
    [vi] = _emails(office["spec_vi"])
    [en] = _emails(office["spec_en"])
    assert vi.subject == f"Hồ sơ {dossier.code} đang chờ nhận xử lý tại Phòng Cấp phép"
    assert en.subject == f"Dossier {dossier.code} is waiting in the pool of Licensing Division"
    assert "waits for a Specialist to take it" in en.body_text
    assert _emails(office["head"]) == [] and _emails(office["clerk"]) == []
    with translation.override("vi"):
        title = _notices(office["spec_en"])[0].display_title
    assert title == f"Hồ sơ {dossier.code} đang chờ nhận xử lý tại Phòng Cấp phép"


def test_a_returned_draft_tells_whoever_receives_the_step_back_with_the_reason(office):
    dossier = dossier_at_step(unit=office["unit"], assignee=office["spec_en"])
    handover = _handover(
        dossier.current_step,
        kind=HandOverKind.BACK,
        from_user=office["head"],
        reason="Căn cứ pháp lý chưa đúng.",
    )
    handover_notify(handover)
    [email] = _emails(office["spec_en"])
    assert email.subject == f"Dossier {dossier.code} was sent back to you"
    assert "was sent back to you by Trưởng Phòng." in email.body_text
    assert "Căn cứ pháp lý chưa đúng." in email.body_text
    assert "Căn cứ pháp lý chưa đúng." in email.body_html
    assert _emails(office["spec_vi"]) == []


def test_an_item_to_sign_tells_the_leaders(office):
    dossier = dossier_at_step(unit=office["leaders"], role=R.LEADER, approves=True)
    handover_notify(_handover(dossier.current_step, from_user=office["head"]))
    [vi] = _emails(office["leader_vi"])
    [en] = _emails(office["leader_en"])
    assert vi.subject == f"Hồ sơ {dossier.code} đang chờ Ông/Bà ký duyệt"
    assert en.subject == f"Dossier {dossier.code} is waiting for your signature"
    assert "waits for a leader to approve and sign it" in en.body_text
    assert _emails(office["spec_vi"]) == []


def test_taking_finishing_and_stopping_tell_nobody(office):
    dossier = dossier_at_step(unit=office["unit"], assignee=office["spec_vi"])
    for kind in (HandOverKind.TAKE, HandOverKind.FINISH, HandOverKind.STOP):
        handover_notify(_handover(dossier.current_step, kind=kind, from_user=office["spec_vi"]))
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_an_inactive_officer_is_not_told(office):
    office["spec_en"].is_active = False
    office["spec_en"].save()
    dossier = dossier_at_step(unit=office["unit"])
    handover_notify(_handover(dossier.current_step, from_user=office["clerk"]))
    assert _emails(office["spec_en"]) == []
    assert len(_emails(office["spec_vi"])) == 1


def test_the_services_notify_inside_their_transaction_and_email_after_commit(
    office, django_capture_on_commit_callbacks
):
    """Receipt hands the dossier to the specialist unit's pool, the unit head's assignment
    tells the specialist: through the workflow services."""
    procedure = ProcedureFactory(agency=office["agency"], processing_days=3)
    ProcessStepFactory(
        procedure=procedure,
        order=1,
        unit_kind=UnitKind.DESK,
        role=R.DESK_OFFICER,
        duration=4,
        duration_unit="hours",
    )
    ProcessStepFactory(
        procedure=procedure,
        order=2,
        unit=office["unit"],
        role=R.SPECIALIST,
        duration=2,
        drafts_result=True,
    )
    ProcessStepFactory(
        procedure=procedure,
        order=3,
        unit_kind=UnitKind.LEADERSHIP,
        unit=office["leaders"],
        role=R.LEADER,
        duration=4,
        duration_unit="hours",
        approves=True,
    )
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    # The desk's and the processing unit's permission groups, as the demo gives them.
    from django.contrib.auth.models import Group

    from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP, groups_setup

    groups_setup()
    office["clerk"].groups.add(Group.objects.get(name=RECEPTION_GROUP))
    office["head"].groups.add(Group.objects.get(name=PROCESSING_GROUP))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.dossier_receive(dossier_id=dossier.pk, actor=office["clerk"])
    assert callbacks  # the emails leave after commit
    dossier.refresh_from_db()
    assert [e.subject for e in _emails(office["spec_en"])] == [
        f"Dossier {dossier.code} is waiting in the pool of Licensing Division"
    ]
    services.dossier_step_assign(
        dossier_id=dossier.pk, actor=office["head"], assignee=office["spec_vi"]
    )
    assert _emails(office["spec_vi"])[-1].subject == (
        f"Hồ sơ {dossier.code} đã được giao cho Ông/Bà xử lý"
    )
    assert len(_emails(office["spec_en"])) == 1


# --- The warning the day before a step's deadline ------------------------------------------


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, agency time (7 Dec is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=HCM)


def test_a_step_due_within_a_working_day_is_warned_once(office):
    now = _at(8, 9)  # Tuesday 09:00
    soon = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(9, 8, 30)
    ).current_step
    pool = dossier_at_step(unit=office["unit"], deadline=_at(8, 16)).current_step
    later = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(9, 10)
    ).current_step
    late = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(8, 8)
    ).current_step
    paused = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(8, 15), paused_at=_at(7, 9)
    ).current_step

    assert step_deadline_warnings(now=now) == 2
    assert step_deadline_warnings(now=now) == 0  # run twice: nobody is told again
    for step in (soon, pool, later, late, paused):
        step.refresh_from_db()
    assert soon.warned_at == now and pool.warned_at == now
    assert later.warned_at is None and late.warned_at is None and paused.warned_at is None
    subjects = [e.subject for e in _emails(office["spec_en"])]
    # Theirs, and the pool's (they are a specialist of its unit), nearest deadline first.
    assert subjects == [
        f"Dossier {pool.dossier.code}: the step is due by 08/12/2026 16:00",
        f"Dossier {soon.dossier.code}: the step is due by 09/12/2026 08:30",
    ]
    # The pool's step warns its specialists, in Vietnamese for the one who reads it.
    [vi] = _emails(office["spec_vi"])
    assert vi.subject.startswith(f"Hồ sơ {pool.dossier.code}: bước xử lý đến hạn lúc")
    assert "còn chưa đến một ngày làm việc" in vi.body_text


def test_the_warning_counts_office_hours_over_the_weekend(office):
    friday_evening = _at(11, 18)
    monday = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(14, 16)
    ).current_step
    tuesday = dossier_at_step(
        unit=office["unit"], assignee=office["spec_en"], deadline=_at(15, 9)
    ).current_step
    assert step_deadline_warnings(now=friday_evening) == 1
    monday.refresh_from_db()
    tuesday.refresh_from_db()
    assert monday.warned_at is not None and tuesday.warned_at is None


def test_the_beat_task_warns_and_is_scheduled(office):
    step = dossier_at_step(
        unit=office["unit"],
        assignee=office["spec_vi"],
        deadline=timezone.now() + timedelta(minutes=20),
    ).current_step
    # The task as the beat runs it (its body, in this process).
    assert step_deadline_sweep() == 1
    assert step_deadline_sweep() == 0
    step.refresh_from_db()
    assert step.warned_at is not None
    assert len(_emails(office["spec_vi"])) == 1
    entry = settings.CELERY_BEAT_SCHEDULE["step-deadlines"]
    assert entry["task"] == "dossiers.tasks.step_deadline_sweep"
    assert entry["schedule"] <= 3600


def test_a_whole_journey_tells_each_person_what_waits_for_them():
    """Through the workflow services: the pool, the assignment, the review, the returned
    draft, the item to sign, the desk's return — each to the people who act next, and never to
    the one who handed over."""
    from dossiers.services import (
        dossier_approve,
        dossier_result_draft,
        dossier_start_processing,
        dossier_step_back,
        dossier_step_forward,
    )

    from .factories import BackOffice, upload

    office = BackOffice(ProcedureFactory(processing_days=5))
    dossier = DossierFactory(
        procedure=office.procedure, status=S.SUBMITTED, submitted_at=timezone.now()
    )

    def subjects(user):
        return [e.subject for e in _emails(user)]

    services.dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    dossier.refresh_from_db()
    code = dossier.code
    pool = f"Dossier {code} is waiting in the pool of Postal Unit"
    assert subjects(office.specialist1) == subjects(office.specialist2) == [pool]
    assert subjects(office.outsider) == []  # another unit's specialist

    services.dossier_step_assign(
        dossier_id=dossier.pk, actor=office.head, assignee=office.specialist1
    )
    assert subjects(office.specialist1)[-1] == f"Dossier {code} is assigned to you"
    assert subjects(office.specialist2) == [pool]

    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    dossier_result_draft(dossier_id=dossier.pk, actor=office.specialist1, draft_file=upload())
    assert subjects(office.head) == [pool]  # the review arrives in the unit heads' pool

    dossier_step_back(dossier_id=dossier.pk, actor=office.head, reason="Sửa số giấy phép.")
    returned = _emails(office.specialist1)[-1]
    assert returned.subject == f"Dossier {code} was sent back to you"
    assert "Sửa số giấy phép." in returned.body_text

    dossier_result_draft(dossier_id=dossier.pk, actor=office.specialist1, draft_file=upload())
    dossier_step_forward(dossier_id=dossier.pk, actor=office.head)
    to_sign = f"Dossier {code} is waiting for your signature"
    assert subjects(office.leader1) == subjects(office.leader2) == [to_sign]

    dossier_approve(dossier_id=dossier.pk, actor=office.leader1, result_file=None)
    assert (
        subjects(office.desk2)[-1]
        == f"Dossier {code} is waiting in the pool of {office.desk.name_en or office.desk.name}"
    )
    # Nobody was told of their own hand-over.
    assert subjects(office.desk1) == [subjects(office.desk2)[-1]]
    assert len(subjects(office.leader1)) == 1


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("vi", "Hồ sơ {code} đã được giao cho Ông/Bà xử lý"),
        ("en", "Dossier {code} is assigned to you"),
    ],
)
def test_the_personal_page_lists_the_notice_in_the_reader_s_language(
    client, office, language, title
):
    dossier = dossier_at_step(unit=office["unit"], assignee=office["spec_en"])
    handover_notify(
        _handover(dossier.current_step, kind=HandOverKind.ASSIGN, from_user=office["head"])
    )
    client.force_login(office["spec_en"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("accounts:notifications")).content.decode()
    assert title.format(code=dossier.code) in html
