"""Late and stop handling: the apology letter and new appointment (drafted by the unit handling
the dossier, signed by a leader, then told to the applicant and shown by the public lookup while
statistics keep the original due date), stopping processing, and the three PDFs (the letter,
the stop notice, the processing-control slip), checked with `pdftotext` and `pdfinfo`."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import pytest

from accounts.models import AuditEntry, Notification
from dossiers import letters, services
from dossiers.calendar import add_working_days, is_working_day
from dossiers.constants import ApologyStatus, HandOverKind, StepOutcome
from dossiers.constants import DossierStatus as S
from dossiers.letters import OUTCOME_VI
from dossiers.models import ApologyLetter, Dossier, DossierEvent, DossierStep, HandOver
from procedures.constants import StaffRole, UnitKind
from tracking.statistics import Period, statistics_compute

from .factories import (
    AgencyFactory,
    BackOffice,
    DossierFactory,
    DossierStepFactory,
    HandOverFactory,
    ProcedureFactory,
    UnitFactory,
    UserFactory,
    unit_member,
    upload,
)
from .test_slip_layout import pdf_pages

pytestmark = pytest.mark.django_db

REASON = "Hồ sơ cần lấy ý kiến của Cục Tần số vô tuyến điện; chưa nhận được văn bản trả lời."
STOP_REASON = "Cơ quan điều tra đề nghị tạm dừng để xác minh tính hợp pháp của giấy tờ."


def next_working_day(day, n: int = 1):
    return add_working_days(day, n)


@pytest.fixture
def office(staff_settings):
    return build_office()


def build_office(code: str = "CVT"):
    """An agency's back office: the desk, two specialist units and the leadership, with people."""
    agency = AgencyFactory(code=code, name="Cục Viễn thông", name_en="Telecommunications Authority")
    desk = UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    unit = UnitFactory(agency=agency, kind=UnitKind.SPECIALIST, name="Phòng Cấp phép")
    other = UnitFactory(agency=agency, kind=UnitKind.SPECIALIST, name="Phòng Tần số")
    leadership = UnitFactory(agency=agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo Cục")
    return SimpleNamespace(
        agency=agency,
        desk=desk,
        unit=unit,
        other=other,
        leadership=leadership,
        specialist=unit_member(unit, StaffRole.SPECIALIST, full_name="Phạm Minh Tuấn"),
        head=unit_member(unit, StaffRole.UNIT_HEAD, full_name="Trần Thu Hà"),
        outsider=unit_member(other, StaffRole.SPECIALIST, full_name="Đỗ Văn Khoa"),
        desk_officer=unit_member(desk, StaffRole.DESK_OFFICER, full_name="Lê Thị Mai"),
        leader=unit_member(leadership, StaffRole.LEADER, full_name="Nguyễn Văn Lãnh"),
    )


def processing(office, *, due=None, language="vi", code="CVT-261201-0001"):
    """A dossier being processed at the specialist unit's step, assigned to the specialist."""
    today = services.agency_today()
    citizen = UserFactory(full_name="Lê Văn Cường", language=language)
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=office.agency, processing_days=5),
        applicant=citizen,
        status=S.PROCESSING,
        code=code,
        lookup_secret="K7M2QX",
        received_at=timezone.now() - timedelta(days=7),
        due_date=due or next_working_day(today),
    )
    step = DossierStepFactory(
        dossier=dossier,
        unit=office.unit,
        assignee=office.specialist,
        started_at=timezone.now() - timedelta(days=6),
        deadline=timezone.now() + timedelta(days=3),
    )
    dossier.current_step = step
    dossier.save()
    return dossier


def draft(dossier, actor, new_date=None, **kwargs):
    return services.dossier_apology_draft(
        dossier_id=dossier.pk,
        actor=actor,
        reason=kwargs.pop("reason", REASON),
        new_date=new_date or next_working_day(dossier.expected_date, 5),
        **kwargs,
    )


def audits(action: str, succeeded: bool) -> int:
    return AuditEntry.objects.filter(action=f"dossier_{action}", succeeded=succeeded).count()


# --- The apology letter ------------------------------------------------------------------------


def test_apology_drafted_signed_then_the_applicant_is_told(
    office, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = processing(office)
    due = dossier.due_date
    new_date = next_working_day(due, 5)

    letter = draft(dossier, office.specialist, new_date=new_date)

    assert letter.status == ApologyStatus.DRAFT
    assert letter.unit == office.unit and letter.previous_date == due
    dossier.refresh_from_db()
    assert dossier.appointment_date is None  # nothing is told before a leader signs
    assert mailoutbox == []
    drafted = DossierEvent.objects.get(dossier=dossier, action="apology_draft")
    assert not drafted.is_public and drafted.internal_note == REASON

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_apology_sign(
            dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk
        )

    letter.refresh_from_db()
    dossier.refresh_from_db()
    assert letter.status == ApologyStatus.SIGNED and letter.signed_by == office.leader
    assert dossier.appointment_date == new_date
    assert dossier.due_date == due  # the original date stays for statistics
    assert dossier.expected_date == new_date
    signed = DossierEvent.objects.get(dossier=dossier, action="apology_sign")
    assert signed.is_public and signed.params["date"] == new_date.isoformat()
    assert signed.note == REASON
    # Email in the applicant's language (Vietnamese) with the reason, the date and the letter.
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [dossier.applicant.email]
    assert "xin lỗi" in email.subject.lower() and dossier.code in email.subject
    assert new_date.strftime("%d/%m/%Y") in email.body
    assert REASON in email.body
    assert reverse("dossiers:apology", args=[dossier.pk, letter.pk]) in email.body
    notification = Notification.objects.get(user=dossier.applicant, message="dossier_apology")
    assert notification.params["date"] == new_date.isoformat()
    assert audits("apology_draft", True) == 1 and audits("apology_sign", True) == 1


def test_the_leaders_are_told_a_letter_awaits_their_signature(
    office, mailoutbox, django_capture_on_commit_callbacks
):
    second = unit_member(office.leadership, StaffRole.LEADER, language="vi")
    dossier = processing(office)
    with django_capture_on_commit_callbacks(execute=True):
        letter = draft(dossier, office.specialist)
    by_address = {email.to[0]: email for email in mailoutbox}
    assert set(by_address) == {office.leader.email, second.email}
    assert "Apology letter to sign" in by_address[office.leader.email].subject
    assert "Phiếu xin lỗi cần ký" in by_address[second.email].subject
    body = by_address[office.leader.email].body
    assert "Phòng Cấp phép proposes" in body and REASON in body
    assert reverse("admin:dossiers_dossier_change", args=[dossier.pk]) in body
    assert Notification.objects.filter(user=second, message="dossier_apology_to_sign").exists()
    assert not Notification.objects.filter(user=dossier.applicant).exists()
    assert letter.status == ApologyStatus.DRAFT


def test_a_leader_s_letters_to_sign(office):
    from dossiers.selectors import apology_letters_to_sign

    first, second = processing(office), processing(office, code="CVT-261201-0002")
    signed = draft(first, office.specialist)
    services.dossier_apology_sign(dossier_id=first.pk, actor=office.leader, letter_id=signed.pk)
    waiting = draft(second, office.specialist)
    other = build_office(code="CVX")  # another agency's letter awaits its own leaders
    draft(processing(other, code="CVX-261201-0001"), other.specialist)

    assert list(apology_letters_to_sign(office.leader)) == [waiting]
    assert list(apology_letters_to_sign(office.specialist)) == []


def test_the_email_follows_the_applicant_s_language(
    office, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = processing(office, language="en")
    letter = draft(dossier, office.head)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_apology_sign(
            dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk
        )
    assert "now expected on" in mailoutbox[0].subject
    assert "apologises for the delay" in mailoutbox[0].body


def test_the_dossier_page_and_the_transaction_list_show_the_new_date(client, office):
    dossier = processing(office, language="en")
    letter = draft(dossier, office.specialist)
    client.force_login(dossier.applicant)
    page = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
    assert REASON not in page  # an unsigned letter is not the applicant's yet

    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)

    new = letter.new_date.strftime("%d/%m/%Y")
    page = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
    assert "Apology and new appointment" in page and REASON in page
    assert new in page and "new appointment; first due" in page
    assert reverse("dossiers:apology", args=[dossier.pk, letter.pk]) in page
    listing = client.get(reverse("dossiers:list")).content.decode()
    assert new in listing


def test_the_applicant_downloads_only_signed_letters_of_their_own_dossiers(client, office):
    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    url = reverse("dossiers:apology", args=[dossier.pk, letter.pk])
    client.force_login(dossier.applicant)
    assert client.get(url).status_code == 404  # a draft
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_the_public_lookup_shows_the_new_date_never_the_reason(office):
    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    anonymous = Client()
    new = letter.new_date.strftime("%d/%m/%Y")
    # The page kept before the signature is not served after it.
    assert (
        new
        not in anonymous.get(reverse("tracking:lookup"), {"code": dossier.code}).content.decode()
    )
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    assert new in anonymous.get(reverse("tracking:lookup"), {"code": dossier.code}).content.decode()
    for url in (reverse("tracking:lookup"), reverse("tracking:history")):
        cache.clear()
        html = anonymous.get(url, {"code": dossier.code, "secret": "K7M2QX"}).content.decode()
        assert letter.new_date.strftime("%d/%m/%Y") in html, url
        assert REASON not in html, url
    assert (
        "new appointment; first due"
        in anonymous.get(reverse("tracking:lookup"), {"code": dossier.code}).content.decode()
    )
    history = anonymous.get(
        reverse("tracking:history"), {"code": dossier.code, "secret": "K7M2QX"}
    ).content.decode()
    assert "apologises for the delay" in history


def test_a_result_after_the_original_due_date_counts_late_whatever_the_new_date(office):
    today = services.agency_today()
    dossier = processing(office, due=today - timedelta(days=1))
    letter = draft(dossier, office.specialist, new_date=next_working_day(today, 5))
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    # Approved today: before the new date, after the due date.
    Dossier.objects.filter(pk=dossier.pk).update(status=S.APPROVED, completed_at=timezone.now())

    month = today.replace(day=1)
    stats = statistics_compute(period=Period(month, month), today=today)

    assert stats.total.completed == 1
    assert stats.total.on_time == 0 and stats.total.late == 1


def test_the_new_date_must_be_a_working_day_after_today_and_the_date_promised(office):
    today = services.agency_today()
    dossier = processing(office, due=next_working_day(today, 3))
    for bad in (today, dossier.due_date, dossier.due_date - timedelta(days=1)):
        with pytest.raises(services.DossierError, match="after"):
            draft(dossier, office.specialist, new_date=bad)
    weekend = dossier.due_date + timedelta(days=1)
    while is_working_day(weekend):
        weekend += timedelta(days=1)
    with pytest.raises(services.DossierError, match="working day"):
        draft(dossier, office.specialist, new_date=weekend)
    # After a signed letter the next one must go beyond its date, not just the due date.
    first = draft(dossier, office.specialist)
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=first.pk)
    with pytest.raises(services.DossierError, match="promised now"):
        draft(dossier, office.specialist, new_date=next_working_day(dossier.due_date))
    assert ApologyLetter.objects.filter(dossier=dossier).count() == 1
    assert audits("apology_draft", False) == 5


def test_a_stale_screen_is_refused(office):
    dossier = processing(office)
    with pytest.raises(services.TransitionRefused, match="someone else acted"):
        draft(dossier, office.specialist, expected_status=S.RECEIVED)
    letter = draft(dossier, office.specialist, expected_status=S.PROCESSING)
    with pytest.raises(services.TransitionRefused, match="someone else acted"):
        services.dossier_apology_sign(
            dossier_id=dossier.pk,
            actor=office.leader,
            letter_id=letter.pk,
            expected_status=S.RECEIVED,
        )
    with pytest.raises(services.TransitionRefused, match="someone else acted"):
        services.dossier_stop(
            dossier_id=dossier.pk,
            actor=office.leader,
            reason=STOP_REASON,
            expected_status=S.RECEIVED,
        )
    dossier.refresh_from_db()
    assert dossier.appointment_date is None and dossier.status == S.PROCESSING


def test_a_draft_needs_a_reason_and_a_date(office):
    dossier = processing(office)
    with pytest.raises(services.DossierError, match="reason"):
        draft(dossier, office.specialist, reason=" ")
    with pytest.raises(services.DossierError, match="new date"):
        services.dossier_apology_draft(
            dossier_id=dossier.pk, actor=office.specialist, reason=REASON, new_date=None
        )
    assert not ApologyLetter.objects.exists()


def test_someone_outside_the_handling_unit_may_not_draft(office):
    dossier = processing(office)
    for outsider in (office.outsider, office.desk_officer, office.leader):
        with pytest.raises(services.StepForbidden, match="unit handling"):
            draft(dossier, outsider)
    other_agency = unit_member(UnitFactory(kind=UnitKind.SPECIALIST))
    with pytest.raises(services.StepForbidden):
        draft(dossier, other_agency)
    assert not ApologyLetter.objects.exists()
    assert audits("apology_draft", False) == 4


def test_only_a_leader_signs_and_never_their_own_draft(office):
    dossier = processing(office)
    letter = draft(dossier, office.head)
    for not_leader in (office.head, office.specialist, office.desk_officer):
        with pytest.raises(services.StepForbidden, match="leader"):
            services.dossier_apology_sign(
                dossier_id=dossier.pk, actor=not_leader, letter_id=letter.pk
            )
    # A leader who is also a member of the unit drafts; another leader must sign.
    from procedures.models import UnitMembership

    UnitMembership.objects.create(user=office.leader, unit=office.unit, role=StaffRole.UNIT_HEAD)
    services.dossier_apology_cancel(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    own = draft(dossier, office.leader)
    with pytest.raises(services.StepForbidden, match="another leader"):
        services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=own.pk)
    second = unit_member(office.leadership, StaffRole.LEADER)
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=second, letter_id=own.pk)
    dossier.refresh_from_db()
    assert dossier.appointment_date == own.new_date
    assert audits("apology_sign", False) == 4


def test_one_letter_at_a_time_awaits_a_signature_and_a_signed_one_is_not_signed_again(office):
    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    with pytest.raises(services.DossierError, match="already awaits"):
        draft(dossier, office.head)
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    with pytest.raises(services.DossierError, match="no longer awaiting"):
        services.dossier_apology_sign(
            dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk
        )


def test_a_cancelled_letter_changes_nothing_for_the_applicant(office, mailoutbox):
    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    services.dossier_apology_cancel(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    letter.refresh_from_db()
    dossier.refresh_from_db()
    assert letter.status == ApologyStatus.CANCELLED and dossier.appointment_date is None
    assert mailoutbox == []
    with pytest.raises(services.StepForbidden):
        services.dossier_apology_cancel(
            dossier_id=dossier.pk, actor=office.outsider, letter_id=draft(dossier, office.head).pk
        )


def test_no_apology_once_the_dossier_waits_for_the_applicant_or_is_done(office):
    dossier = processing(office)
    for status in (S.SUPPLEMENT_REQUESTED, S.APPROVED, S.RETURNED):
        Dossier.objects.filter(pk=dossier.pk).update(status=status)
        with pytest.raises(services.TransitionRefused):
            draft(dossier, office.specialist)


def test_without_a_back_office_the_processing_unit_drafts_and_signs(staff_settings):
    from dossiers.groups import PROCESSING_GROUP

    from .factories import agency_staff

    agency = AgencyFactory()
    officer = agency_staff(agency, groups=[PROCESSING_GROUP])
    colleague = agency_staff(agency, groups=[PROCESSING_GROUP])
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency),
        status=S.PROCESSING,
        code="TST-261201-0002",
        due_date=next_working_day(services.agency_today()),
    )
    letter = draft(dossier, officer)
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=colleague, letter_id=letter.pk)
    dossier.refresh_from_db()
    assert dossier.appointment_date == letter.new_date


# --- Stopping processing ----------------------------------------------------------------------


def test_a_leader_stops_processing_the_step_closes_and_the_applicant_is_told(
    office, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = processing(office)
    step = dossier.current_step
    pending = draft(dossier, office.specialist)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.dossier_stop(
            dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON
        )

    dossier.refresh_from_db()
    step.refresh_from_db()
    assert dossier.status == S.STOPPED and dossier.current_step is None
    assert dossier.stop_reason == STOP_REASON and dossier.stopped_by == office.leader
    assert step.finished_at is not None and step.outcome == StepOutcome.EARLY
    handover = HandOver.objects.get(dossier=dossier)
    assert handover.kind == HandOverKind.STOP and handover.from_step == step
    assert handover.from_unit == office.unit and handover.from_user == office.leader
    assert handover.outcome == StepOutcome.EARLY and handover.reason == STOP_REASON
    event = DossierEvent.objects.get(pk=result.event.pk)
    assert event.handover == handover and event.is_public and event.note == STOP_REASON
    pending.refresh_from_db()
    assert pending.status == ApologyStatus.CANCELLED
    assert len(mailoutbox) == 1
    assert dossier.code in mailoutbox[0].subject and STOP_REASON in mailoutbox[0].body
    assert reverse("dossiers:stop_notice", args=[dossier.pk]) in mailoutbox[0].body
    assert Notification.objects.filter(user=dossier.applicant, message="dossier_stopped").exists()
    assert audits("stop", True) == 1


def test_the_stop_is_public_the_reason_is_not_and_the_applicant_reads_both(client, office):
    dossier = processing(office, language="en")
    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)
    anonymous = Client()
    for url in (reverse("tracking:lookup"), reverse("tracking:history")):
        cache.clear()
        html = anonymous.get(url, {"code": dossier.code, "secret": "K7M2QX"}).content.decode()
        assert "Processing stopped" in html and STOP_REASON not in html, url
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    cache.clear()
    history = anonymous.get(
        reverse("tracking:history"), {"code": dossier.code, "secret": "K7M2QX"}
    ).content.decode()
    assert "Hồ sơ đã bị dừng giải quyết." in history and STOP_REASON not in history
    client.force_login(dossier.applicant)
    page = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
    assert STOP_REASON in page
    notice = reverse("dossiers:stop_notice", args=[dossier.pk])
    assert notice in page
    response = client.get(notice)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_only_a_leader_stops_with_a_reason_and_only_while_processing(office):
    dossier = processing(office)
    for not_leader in (office.specialist, office.head, office.desk_officer):
        with pytest.raises(services.StepForbidden, match="leader"):
            services.dossier_stop(dossier_id=dossier.pk, actor=not_leader, reason=STOP_REASON)
    with pytest.raises(services.DossierError, match="reason"):
        services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason="  ")
    dossier.refresh_from_db()
    assert dossier.status == S.PROCESSING and dossier.current_step is not None
    assert not HandOver.objects.exists()
    assert audits("stop", False) == 4
    Dossier.objects.filter(pk=dossier.pk).update(status=S.APPROVED)
    with pytest.raises(services.TransitionRefused):
        services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)


def test_a_stop_after_the_step_deadline_closes_it_late(office):
    dossier = processing(office)
    step = dossier.current_step
    type(step).objects.filter(pk=step.pk).update(deadline=timezone.now() - timedelta(hours=1))
    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)
    assert HandOver.objects.get(dossier=dossier).outcome == StepOutcome.LATE


# --- Admin -----------------------------------------------------------------------------------


def _change(dossier):
    return reverse("admin:dossiers_dossier_change", args=[dossier.pk])


def test_the_admin_offers_drafting_to_the_unit_and_signing_to_the_leader(client, office):
    dossier = processing(office)
    client.force_login(office.specialist)
    page = client.get(_change(dossier)).content.decode()
    draft_url = reverse("admin:dossiers_dossier_apology_draft", args=[dossier.pk])
    assert draft_url in page
    assert reverse("admin:dossiers_dossier_stop", args=[dossier.pk]) not in page
    new_date = next_working_day(dossier.due_date, 4)
    response = client.post(
        draft_url,
        {"expected_status": S.PROCESSING, "reason": REASON, "new_date": new_date.isoformat()},
    )
    assert response.status_code == 302
    letter = ApologyLetter.objects.get(dossier=dossier)
    sign_url = reverse("admin:dossiers_dossier_apology_sign", args=[dossier.pk, letter.pk])
    assert sign_url not in client.get(_change(dossier)).content.decode()

    client.force_login(office.leader)
    page = client.get(_change(dossier)).content.decode()
    assert sign_url in page and reverse("admin:dossiers_dossier_stop", args=[dossier.pk]) in page
    assert client.post(sign_url, {"expected_status": S.PROCESSING}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.appointment_date == new_date


def test_a_bad_date_in_the_admin_form_shows_the_reason(client, office):
    dossier = processing(office)
    client.force_login(office.specialist)
    response = client.post(
        reverse("admin:dossiers_dossier_apology_draft", args=[dossier.pk]),
        {"expected_status": S.PROCESSING, "reason": REASON, "new_date": dossier.due_date},
    )
    assert response.status_code == 200
    assert "must be after" in response.content.decode()
    assert not ApologyLetter.objects.exists()


def test_an_outsider_posting_the_draft_form_is_refused_with_a_message(client, office):
    dossier = processing(office)
    client.force_login(office.outsider)
    response = client.post(
        reverse("admin:dossiers_dossier_apology_draft", args=[dossier.pk]),
        {
            "expected_status": S.PROCESSING,
            "reason": REASON,
            "new_date": next_working_day(dossier.due_date, 3).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Only the unit handling the dossier" in response.content.decode()
    assert not ApologyLetter.objects.exists()


def test_the_leader_stops_from_the_admin_and_staff_get_the_documents(client, office):
    dossier = processing(office)
    client.force_login(office.leader)
    response = client.post(
        reverse("admin:dossiers_dossier_stop", args=[dossier.pk]),
        {"expected_status": S.PROCESSING, "reason": STOP_REASON},
    )
    assert response.status_code == 302
    page = client.get(_change(dossier)).content.decode()
    for name in ("dossiers_dossier_stop_notice", "dossiers_dossier_control_slip"):
        url = reverse(f"admin:{name}", args=[dossier.pk])
        assert url in page
        got = client.get(url)
        assert got.status_code == 200 and got["Content-Type"] == "application/pdf"


def test_the_control_slip_is_staff_only(client, office):
    dossier = processing(office)
    url = reverse("admin:dossiers_dossier_control_slip", args=[dossier.pk])
    client.force_login(dossier.applicant)
    assert client.get(url).status_code == 302  # to the admin's sign-in
    client.force_login(unit_member(UnitFactory(kind=UnitKind.SPECIALIST)))  # another agency
    assert client.get(url).status_code == 404


# --- The PDFs --------------------------------------------------------------------------------


def one_page_text(pdf: bytes) -> str:
    pages = pdf_pages(pdf)
    assert len(pages) == 1, f"{len(pages)} pages"
    return " ".join(pages[0].split())


def test_the_apology_letter_pdf(office):
    dossier = processing(office)
    letter = draft(dossier, office.specialist, new_date=next_working_day(dossier.due_date, 5))
    draft_text = one_page_text(letters.apology_letter_pdf(letter))
    assert "DỰ THẢO" in draft_text
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    letter.refresh_from_db()
    text = one_page_text(letters.apology_letter_pdf(letter))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "DỰ THẢO" not in text
    assert dossier.code in text and "Lê Văn Cường" in text
    assert " ".join(REASON.split()) in text
    due, new = dossier.due_date, letter.new_date
    assert f"ngày {due:%d} tháng {due:%m} năm {due:%Y}" in text
    assert f"ngày {new:%d} tháng {new:%m} năm {new:%Y}" in text
    assert "Phòng Cấp phép" in text and "Nguyễn Văn Lãnh" in text


def test_the_stop_notice_pdf(office):
    dossier = processing(office)
    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)
    dossier.refresh_from_db()
    text = one_page_text(letters.stop_notice_pdf(dossier))
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and " ".join(STOP_REASON.split()) in text
    assert "Nguyễn Văn Lãnh" in text


def test_the_control_slip_lists_every_hand_over_with_its_outcome(office):
    """A dossier's whole way through the office, sent back once: eleven lines on one page."""
    dossier = processing(office)
    start = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
    people = {
        "desk": (office.desk, office.desk_officer),
        "head": (office.unit, office.head),
        "spec": (office.unit, office.specialist),
        "lead": (office.leadership, office.leader),
    }
    # (kind, from, to, hours after start, the step's deadline in hours after start, outcome)
    lines = [
        (HandOverKind.FORWARD, "desk", "head", 0, 4, StepOutcome.EARLY),
        (HandOverKind.ASSIGN, "head", "spec", 2, None, ""),
        (HandOverKind.FORWARD, "spec", "head", 30, 40, StepOutcome.EARLY),
        (HandOverKind.BACK, "head", "spec", 50, 48, StepOutcome.LATE),
        (HandOverKind.FORWARD, "spec", "head", 70, 72, StepOutcome.ON_TIME),
        (HandOverKind.FORWARD, "head", "lead", 80, 96, StepOutcome.EARLY),
        (HandOverKind.BACK, "lead", "head", 98, 97, StepOutcome.LATE),
        (HandOverKind.FORWARD, "head", "lead", 100, 120, StepOutcome.EARLY),
        (HandOverKind.FORWARD, "lead", "desk", 124, 124, StepOutcome.ON_TIME),
        (HandOverKind.TAKE, "desk", "desk", 125, None, ""),
        (HandOverKind.FINISH, "desk", None, 126, 128, StepOutcome.EARLY),
    ]
    for kind, giver, taker, at, deadline, outcome in lines:
        from_unit, from_user = people[giver]
        to_unit, to_user = people[taker] if taker else (None, None)
        HandOverFactory(
            dossier=dossier,
            kind=kind,
            created_at=start + timedelta(hours=at),
            from_unit=from_unit,
            from_user=from_user,
            to_unit=to_unit,
            to_user=to_user,
            step_deadline=start + timedelta(hours=deadline) if deadline is not None else None,
            outcome=outcome,
            reason="Dự thảo chưa nêu căn cứ pháp lý." if kind == HandOverKind.BACK else "",
        )

    text = one_page_text(letters.control_slip_pdf(dossier))

    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text
    assert text.count("Trước hạn") == 5
    assert text.count("Đúng hạn") == 2
    assert text.count("Quá hạn") == 2
    for name in ("Lê Thị Mai", "Trần Thu Hà", "Phạm Minh Tuấn", "Nguyễn Văn Lãnh"):
        assert name in text
    assert "Trả lại bước trước: Dự thảo chưa nêu căn cứ pháp lý." in text
    assert "Tổ chức, cá nhân" in text  # the result handed to the applicant
    assert "08:30 30/11/2026" in text
    # Every line, numbered in order.
    numbers = [n for n in range(1, len(lines) + 1) if f" {n} " in f" {text} "]
    assert numbers == list(range(1, len(lines) + 1))


def test_a_stopped_dossier_s_control_slip_ends_with_the_stop(office):
    dossier = processing(office)
    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)
    text = one_page_text(letters.control_slip_pdf(dossier))
    assert "Dừng giải quyết" in text and "Phòng Cấp phép" in text and "Trước hạn" in text


# --- Through the lead's internal process (services.workflow) -----------------------------------


def _through_the_office(back_office) -> Dossier:
    """A dossier received by the desk and assigned to a specialist of the back office."""
    dossier = DossierFactory(
        procedure=back_office.procedure,
        status=S.SUBMITTED,
        submitted_at=timezone.now(),
        applicant=UserFactory(full_name="Lê Văn Cường"),
    )
    services.dossier_receive(dossier_id=dossier.pk, actor=back_office.desk1)
    services.dossier_step_assign(
        dossier_id=dossier.pk, actor=back_office.head, assignee=back_office.specialist1
    )
    services.dossier_start_processing(dossier_id=dossier.pk, actor=back_office.specialist1)
    return Dossier.objects.get(pk=dossier.pk)


def test_a_whole_way_through_the_office_on_the_control_slip(staff_settings):
    back_office = BackOffice(ProcedureFactory(processing_days=5))
    dossier = _through_the_office(back_office)
    services.dossier_result_draft(
        dossier_id=dossier.pk, actor=back_office.specialist1, draft_file=upload("ket-qua.pdf")
    )
    services.dossier_step_back(
        dossier_id=dossier.pk, actor=back_office.head, reason="Sửa số giấy phép."
    )
    services.dossier_result_draft(
        dossier_id=dossier.pk, actor=back_office.specialist1, draft_file=upload("ket-qua-2.pdf")
    )
    services.dossier_step_forward(dossier_id=dossier.pk, actor=back_office.head)
    services.dossier_approve(dossier_id=dossier.pk, actor=back_office.leader1, result_file=None)
    services.dossier_return_result(dossier_id=dossier.pk, actor=back_office.desk2)
    dossier.refresh_from_db()
    lines = HandOver.objects.filter(dossier=dossier)

    text = one_page_text(letters.control_slip_pdf(dossier))

    assert lines.count() == 8
    outcomes = [OUTCOME_VI[o] for o in lines.exclude(outcome="").values_list("outcome", flat=True)]
    assert len(outcomes) == 7  # every line that ends a step (not the assignment)
    assert sum(text.count(word) for word in ("Trước hạn", "Đúng hạn", "Quá hạn")) == 7
    for word in set(outcomes):
        assert text.count(word) == outcomes.count(word)
    for number in range(1, 9):
        assert f" {number} " in f" {text} "
    assert "Trả lại bước trước: Sửa số giấy phép." in text and "Trả kết quả" in text
    for person in ("Cán bộ Một Cửa", "Trưởng phòng Bưu chính", "Chuyên viên Một", "Lãnh đạo Một"):
        assert person in text


def test_the_specialist_drafts_the_leader_signs_then_another_leader_stops(staff_settings):
    back_office = BackOffice(ProcedureFactory(processing_days=5))
    dossier = _through_the_office(back_office)
    with pytest.raises(services.StepForbidden):
        draft(dossier, back_office.outsider)  # the other specialist unit
    letter = draft(dossier, back_office.specialist1)
    assert letter.unit == back_office.unit
    with pytest.raises(services.StepForbidden):
        services.dossier_apology_sign(
            dossier_id=dossier.pk, actor=back_office.head, letter_id=letter.pk
        )
    services.dossier_apology_sign(
        dossier_id=dossier.pk, actor=back_office.leader1, letter_id=letter.pk
    )
    services.dossier_stop(dossier_id=dossier.pk, actor=back_office.leader2, reason=STOP_REASON)

    dossier.refresh_from_db()
    assert dossier.status == S.STOPPED and dossier.current_step is None
    assert dossier.appointment_date == letter.new_date
    stop = HandOver.objects.filter(dossier=dossier).last()
    assert stop.kind == HandOverKind.STOP and stop.from_unit == back_office.unit
    assert DossierStep.objects.filter(dossier=dossier, finished_at=None).count() == 0
    text = one_page_text(letters.control_slip_pdf(dossier))
    assert "Dừng giải quyết" in text and "hẹn lại" in text


def test_no_reason_reaches_the_public_pages_in_either_language(office):
    """The reasons people type may name someone (an ID number, a phone number): the applicant
    and staff read them, the public lookup and history never do."""
    from tests.tracking.test_history_privacy import ID_NUMBER, PHONE, free_text

    dossier = processing(office)
    letter = draft(dossier, office.specialist, reason=free_text("Lý do chậm"))
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    services.dossier_stop(
        dossier_id=dossier.pk, actor=office.leader, reason=free_text("Lý do dừng")
    )
    anonymous = Client()
    for language in ("vi", "en"):
        anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in (reverse("tracking:lookup"), reverse("tracking:history")):
            cache.clear()
            html = anonymous.get(url, {"code": dossier.code, "secret": "K7M2QX"}).content.decode()
            assert dossier.code in html
            assert ID_NUMBER not in html and PHONE not in html, (url, language)


def test_a_superuser_sees_the_letters_and_may_act(client, office):
    from .factories import StaffFactory

    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    client.force_login(StaffFactory(is_superuser=True))
    page = client.get(_change(dossier)).content.decode()
    assert "Late and stop handling" in page and REASON in page
    assert reverse("admin:dossiers_dossier_apology_sign", args=[dossier.pk, letter.pk]) in page
    assert reverse("admin:dossiers_dossier_apology_pdf", args=[dossier.pk, letter.pk]) in page
    pdf = client.get(reverse("admin:dossiers_dossier_apology_pdf", args=[dossier.pk, letter.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
