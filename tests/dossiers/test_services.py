"""Dossier services: submission, receipt, processing steps, their events and emails."""

import hashlib
import re
import uuid
from datetime import UTC, date, datetime

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from accounts.models import Notification, OutgoingEmail
from core.uploads import UploadRejected
from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.models import Attachment, Dossier, DossierEvent, SupplementRequest
from dossiers.services import DossierError, TransitionRefused

from .factories import (
    DOCX_BYTES,
    PDF_BYTES,
    AgencyFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)

pytestmark = pytest.mark.django_db
S = DossierStatus
# Wednesday 10 March 2027, 09:30 in Hà Nội.
WEDNESDAY = datetime(2027, 3, 10, 2, 30, tzinfo=UTC)


@pytest.fixture
def at_wednesday(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: WEDNESDAY)


@pytest.fixture
def procedure():
    return ProcedureFactory(agency=AgencyFactory(code="BTTTT"), processing_days=5)


def _draft_with_files(procedure, **kwargs):
    dossier = DossierFactory(procedure=procedure, **kwargs)
    for component in procedure.components.all():
        services.attachment_add(
            dossier=dossier, component=component, file=upload(), user=dossier.applicant
        )
    return dossier


# --- Submission -----------------------------------------------------------------------------


def test_submit_moves_a_complete_draft_to_submitted_with_one_event(procedure):
    DossierComponentFactory(procedure=procedure, required=True)
    dossier = _draft_with_files(procedure)
    result = services.dossier_submit(dossier_id=dossier.pk, actor=dossier.applicant)
    assert result.dossier.status == S.SUBMITTED
    assert result.dossier.submitted_at is not None
    assert list(DossierEvent.objects.values_list("to_status", flat=True)) == [S.SUBMITTED]


def test_submit_twice_changes_nothing_the_second_time(procedure):
    dossier = _draft_with_files(procedure)
    services.dossier_submit(dossier_id=dossier.pk, actor=dossier.applicant)
    assert services.dossier_submit(dossier_id=dossier.pk, actor=dossier.applicant) is None
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1


def test_submit_without_a_required_component_is_refused_and_names_it(procedure):
    DossierComponentFactory(procedure=procedure, required=True, name="Đơn đề nghị cấp phép")
    DossierComponentFactory(procedure=procedure, required=False, name="Điều lệ")
    dossier = DossierFactory(procedure=procedure)
    with pytest.raises(DossierError, match="Đơn đề nghị cấp phép") as refused:
        services.dossier_submit(dossier_id=dossier.pk, actor=dossier.applicant)
    assert "Điều lệ" not in str(refused.value)
    assert Dossier.objects.get(pk=dossier.pk).status == S.DRAFT


def test_someone_else_cannot_submit_a_dossier(procedure):
    dossier = DossierFactory(procedure=procedure)
    with pytest.raises(Dossier.DoesNotExist):
        services.dossier_submit(dossier_id=dossier.pk, actor=UserFactory())


def test_draft_open_with_the_same_token_finds_the_same_draft(procedure):
    user = UserFactory()
    token = uuid.uuid4()
    first = services.dossier_draft_open(user=user, procedure=procedure, form_token=token)
    second = services.dossier_draft_open(user=user, procedure=procedure, form_token=token)
    assert first.pk == second.pk
    assert Dossier.objects.count() == 1
    assert first.applicant_name == user.full_name  # pre-filled from the profile
    with pytest.raises(DossierError):
        services.dossier_draft_open(user=UserFactory(), procedure=procedure, form_token=token)


# --- Files ----------------------------------------------------------------------------------


def test_a_new_upload_of_a_single_file_component_is_a_new_version(procedure):
    component = DossierComponentFactory(procedure=procedure, multiple=False)
    dossier = DossierFactory(procedure=procedure)
    first = services.attachment_add(
        dossier=dossier, component=component, file=upload(), user=dossier.applicant
    )
    second = services.attachment_add(
        dossier=dossier, component=component, file=upload("don-moi.pdf"), user=dossier.applicant
    )
    first.refresh_from_db()
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current) == (2, True)
    assert first.file.name != second.file.name  # never overwritten
    assert first.file.storage.exists(first.file.name)


def test_several_files_stay_current_in_a_multiple_component(procedure, settings):
    settings.UPLOAD_MAX_FILES_PER_COMPONENT = 2
    component = DossierComponentFactory(procedure=procedure, multiple=True)
    dossier = DossierFactory(procedure=procedure)
    for name in ("a.pdf", "b.pdf"):
        services.attachment_add(
            dossier=dossier, component=component, file=upload(name), user=dossier.applicant
        )
    assert dossier.attachments.filter(is_current=True).count() == 2
    assert sorted(dossier.attachments.values_list("version", flat=True)) == [1, 2]
    with pytest.raises(UploadRejected, match="At most 2 files"):
        services.attachment_add(
            dossier=dossier, component=component, file=upload("c.pdf"), user=dossier.applicant
        )


def test_the_stored_file_has_a_random_name_and_its_sha256(procedure):
    component = DossierComponentFactory(procedure=procedure, file_types=["docx"])
    dossier = DossierFactory(procedure=procedure)
    attachment = services.attachment_add(
        dossier=dossier,
        component=component,
        file=SimpleUploadedFile("Đơn đề nghị.docx", DOCX_BYTES),
        user=dossier.applicant,
    )
    assert attachment.original_name == "Đơn đề nghị.docx"
    assert re.fullmatch(rf"dossiers/{dossier.pk}/[0-9a-f]{{32}}\.docx", attachment.file.name)
    assert attachment.sha256 == hashlib.sha256(DOCX_BYTES).hexdigest()
    assert attachment.size == len(DOCX_BYTES)
    assert attachment.content_type.endswith("wordprocessingml.document")


def test_files_cannot_change_once_submitted(procedure):
    component = DossierComponentFactory(procedure=procedure)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with pytest.raises(DossierError):
        services.attachment_add(
            dossier=dossier, component=component, file=upload(), user=dossier.applicant
        )
    assert not Attachment.objects.exists()


# --- Receipt --------------------------------------------------------------------------------


def test_receive_issues_code_secret_due_date_and_event(procedure, at_wednesday):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    result = services.dossier_receive(
        dossier_id=dossier.pk, actor=staff, expected_status=S.SUBMITTED
    )
    dossier = result.dossier
    assert dossier.status == S.RECEIVED
    assert dossier.code == "BTTTT-270310-0001"
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{6}", dossier.lookup_secret)
    # 5 working days from Thursday 11 March: Thu, Fri, Mon, Tue, Wed 17 March.
    assert dossier.due_date == date(2027, 3, 17)
    assert dossier.received_by == staff
    assert result.event.action == "receive"
    assert result.event.handling_unit == procedure.agency.name


def test_receive_notifies_the_applicant_only_after_commit(
    procedure, django_capture_on_commit_callbacks, mailoutbox
):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    assert callbacks, "the email is queued on commit"
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    dossier.refresh_from_db()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [dossier.applicant.email]
    assert dossier.code in email.subject
    assert dossier.code in email.body
    assert dossier.due_date.strftime("%d/%m/%Y") in email.body
    assert f"/me/dossiers/{dossier.pk}/slips/receipt/" in email.body
    notification = Notification.objects.get(user=dossier.applicant)
    assert notification.link == f"/me/dossiers/{dossier.pk}/"


def test_a_refused_receipt_sends_nothing_and_issues_no_code(procedure, mailoutbox):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.DRAFT)
    with pytest.raises(TransitionRefused):
        services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    dossier.refresh_from_db()
    assert dossier.code is None
    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


def test_staff_of_another_agency_cannot_receive(procedure):
    other = agency_staff(AgencyFactory())
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with pytest.raises(DossierError, match="own agency"):
        services.dossier_receive(dossier_id=dossier.pk, actor=other)
    dossier.refresh_from_db()
    assert (dossier.status, dossier.code) == (S.SUBMITTED, None)


def test_two_officers_acting_on_what_they_saw_cannot_both_win(procedure):
    first, second = agency_staff(procedure.agency), agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    services.dossier_receive(dossier_id=dossier.pk, actor=first, expected_status=S.SUBMITTED)
    with pytest.raises(TransitionRefused, match="someone else"):
        services.dossier_reject(
            dossier_id=dossier.pk, actor=second, reason="Thiếu", expected_status=S.SUBMITTED
        )
    assert Dossier.objects.get(pk=dossier.pk).status == S.RECEIVED


# --- Processing -----------------------------------------------------------------------------


def test_supplement_request_is_stored_and_the_applicant_told(
    procedure, mailoutbox, at_wednesday, django_capture_on_commit_callbacks
):
    staff = agency_staff(procedure.agency)
    component = DossierComponentFactory(procedure=procedure, name="Bản sao giấy phép")
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.dossier_request_supplement(
            dossier_id=dossier.pk,
            actor=staff,
            message="Bản sao không rõ nét, đề nghị chụp lại.",
            components=[component],
            fields=["address"],
            deadline_days=3,
            expected_status=S.SUBMITTED,
        )
    assert request.asked_in_status == S.SUBMITTED
    assert request.deadline == date(2027, 3, 15)  # Thu, Fri, Mon
    assert list(request.components.all()) == [component]
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENT_REQUESTED
    assert len(mailoutbox) == 1
    assert "Bản sao không rõ nét" in mailoutbox[0].body
    assert "Bản sao giấy phép" in mailoutbox[0].body


def test_supplement_request_needs_a_message(procedure):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with pytest.raises(DossierError):
        services.dossier_request_supplement(dossier_id=dossier.pk, actor=staff, message="  ")
    assert not SupplementRequest.objects.exists()


def test_continuing_after_a_supplement_recomputes_the_due_date(procedure, monkeypatch):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(
        procedure=procedure,
        status=S.SUPPLEMENTED,
        code="BTTTT-270301-0001",
        due_date=date(2027, 3, 8),
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: WEDNESDAY)
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    assert Dossier.objects.get(pk=dossier.pk).due_date == date(2027, 3, 17)


def test_starting_processing_after_receipt_keeps_the_due_date(procedure):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.RECEIVED, due_date=date(2027, 3, 8))
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    assert Dossier.objects.get(pk=dossier.pk).due_date == date(2027, 3, 8)


def test_approve_stores_the_result_and_tells_the_applicant(
    procedure, mailoutbox, django_capture_on_commit_callbacks
):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING, code="BTTTT-270301-0002")
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_approve(
            dossier_id=dossier.pk,
            actor=staff,
            result_file=SimpleUploadedFile("Giấy phép.pdf", PDF_BYTES),
            note="Mời nhận bản giấy tại bộ phận một cửa.",
        )
    dossier.refresh_from_db()
    assert dossier.status == S.APPROVED
    assert dossier.result_name == "Giấy phép.pdf"
    assert dossier.result_file.storage.exists(dossier.result_file.name)
    assert dossier.completed_at is not None
    assert "BTTTT-270301-0002" in mailoutbox[0].subject


def test_approve_refuses_a_result_that_is_not_a_document(procedure):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    with pytest.raises(UploadRejected):
        services.dossier_approve(
            dossier_id=dossier.pk,
            actor=staff,
            result_file=SimpleUploadedFile("ket-qua.pdf", b"<html>not a pdf</html>"),
        )
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING


def test_reject_needs_a_reason_and_the_applicant_reads_it(
    procedure, mailoutbox, django_capture_on_commit_callbacks
):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    with pytest.raises(DossierError):
        services.dossier_reject(dossier_id=dossier.pk, actor=staff, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_reject(
            dossier_id=dossier.pk, actor=staff, reason="Không đủ điều kiện vốn pháp định."
        )
    dossier.refresh_from_db()
    assert dossier.status == S.REJECTED
    assert dossier.rejection_reason == "Không đủ điều kiện vốn pháp định."
    assert "Không đủ điều kiện vốn pháp định." in mailoutbox[0].body
    assert DossierEvent.objects.get(dossier=dossier).note == dossier.rejection_reason


def test_return_result_only_after_approval(procedure):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    with pytest.raises(TransitionRefused):
        services.dossier_return_result(dossier_id=dossier.pk, actor=staff)
    dossier = DossierFactory(procedure=procedure, status=S.APPROVED)
    services.dossier_return_result(dossier_id=dossier.pk, actor=staff)
    assert Dossier.objects.get(pk=dossier.pk).status == S.RETURNED


def test_payment_round_trip_for_the_payments_app(procedure):
    staff = agency_staff(procedure.agency)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    services.dossier_request_payment(dossier_id=dossier.pk, actor=staff)
    assert Dossier.objects.get(pk=dossier.pk).waiting_for_citizen
    services.dossier_payment_settled(dossier_id=dossier.pk)  # the gateway (system)
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING
    with pytest.raises(TransitionRefused):
        services.dossier_payment_settled(dossier_id=dossier.pk)


def test_withdraw_by_the_applicant_until_there_is_a_result(procedure):
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    services.dossier_withdraw(dossier_id=dossier.pk, actor=dossier.applicant, reason="Nộp nhầm")
    assert Dossier.objects.get(pk=dossier.pk).status == S.WITHDRAWN
    approved = DossierFactory(procedure=procedure, status=S.APPROVED)
    with pytest.raises(TransitionRefused):
        services.dossier_withdraw(dossier_id=approved.pk, actor=approved.applicant)
    with pytest.raises(Dossier.DoesNotExist):
        services.dossier_withdraw(
            dossier_id=DossierFactory(status=S.SUBMITTED).pk, actor=dossier.applicant
        )
