"""The applicant's two writes as services: the dossier form (save or submit a draft) and the
supplement answer (save or send it), each one transaction that a failure rolls back whole."""

import uuid

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

import pytest

from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import Attachment, Dossier, DossierEvent, SupplementRequest
from dossiers.services import Outcome, PostedAnswer, SupplementNotOpen
from procedures.constants import FormFieldKind
from tests.procedures.factories import FormFieldFactory

from .factories import (
    AgencyFactory,
    DossierComponentFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)
from .test_views import _valid_post

pytestmark = pytest.mark.django_db
S = DossierStatus


@pytest.fixture
def procedure():
    """One required file, a required choice and an optional number."""
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"))
    DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    fields = [
        ("scope", FormFieldKind.CHOICE, ["Liên tỉnh", "Quốc tế"]),
        ("capital", FormFieldKind.NUMBER, []),
    ]
    for key, kind, choices in fields:
        FormFieldFactory(
            procedure=procedure, key=key, kind=kind, choices=choices, required=bool(choices)
        )
    return procedure


@pytest.fixture
def citizen():
    return UserFactory(full_name="Trần Thị Bình", citizen_id="001200012345")


def _data(token, **overrides) -> QueryDict:
    """The dossier form's complete answer, as the view tests post it."""
    data = QueryDict(mutable=True)
    data.update(_valid_post(None, token=token, **overrides))
    return data


def _files(component, *names) -> MultiValueDict:
    return MultiValueDict({f"component_{component.pk}": [upload(name) for name in names]})


def _post(citizen, procedure, token, *, dossier_id=None, files=None, submit=False, **values):
    posted = PostedAnswer(data=_data(token, **values), files=files or MultiValueDict(), send=submit)
    return services.dossier_form_post(
        user=citizen, procedure=procedure, dossier_id=dossier_id, form_token=token, posted=posted
    )


# --- The dossier form -------------------------------------------------------------------------


def test_saving_opens_the_draft_with_its_answers_and_file_and_sends_nothing(citizen, procedure):
    component = procedure.components.get()
    result = _post(citizen, procedure, uuid.uuid4(), files=_files(component, "don.pdf"))

    assert result.outcome == Outcome.SAVED
    dossier = Dossier.objects.get()
    assert result.dossier == dossier
    assert dossier.status == S.DRAFT
    assert dossier.data == {"scope": "Quốc tế", "capital": "2000000000"}
    assert dossier.attachments.get().original_name == "don.pdf"
    assert not DossierEvent.objects.exists()


def test_submitting_sends_the_draft_once_and_a_second_post_changes_nothing(citizen, procedure):
    component = procedure.components.get()
    token = uuid.uuid4()
    first = _post(citizen, procedure, token, files=_files(component, "don.pdf"), submit=True)
    again = _post(citizen, procedure, token, files=_files(component, "lan-hai.pdf"), submit=True)

    assert first.outcome == Outcome.SENT
    assert again.outcome == Outcome.ALREADY_SENT
    assert again.form is None
    dossier = Dossier.objects.get()
    assert dossier.status == S.SUBMITTED
    assert DossierEvent.objects.filter(dossier=dossier, to_status=S.SUBMITTED).count() == 1
    assert list(dossier.attachments.values_list("original_name", flat=True)) == ["don.pdf"]


def test_an_invalid_answer_keeps_the_valid_ones_and_the_file_on_the_draft(citizen, procedure):
    component = procedure.components.get()
    result = _post(
        citizen,
        procedure,
        uuid.uuid4(),
        files=_files(component, "don.pdf"),
        submit=True,
        data_capital="hai tỷ",
    )

    assert result.outcome == Outcome.INCOMPLETE
    assert result.form is not None and "data_capital" in result.form.errors
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT
    assert dossier.data == {"scope": "Quốc tế", "capital": ""}
    assert dossier.attachments.count() == 1


def test_submitting_without_the_required_file_is_refused_on_the_form(citizen, procedure):
    result = _post(citizen, procedure, uuid.uuid4(), submit=True)

    assert result.outcome == Outcome.INCOMPLETE
    assert "Đơn đề nghị" in " ".join(result.form.non_field_errors())
    assert Dossier.objects.get().status == S.DRAFT


def test_a_refused_file_is_reported_by_component_and_nothing_is_sent(citizen, procedure):
    component = procedure.components.get()
    files = MultiValueDict(
        {f"component_{component.pk}": [upload("virus.exe", b"MZ\x90\x00", "application/pdf")]}
    )
    result = _post(citizen, procedure, uuid.uuid4(), files=files, submit=True)

    assert result.outcome == Outcome.INCOMPLETE
    assert list(result.upload_errors) == [component.pk]
    assert Dossier.objects.get().status == S.DRAFT
    assert not Attachment.objects.exists()


def test_a_storage_failure_after_the_draft_row_is_written_leaves_no_dossier(
    citizen, procedure, monkeypatch
):
    def broken_storage(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("dossiers.services.drafts.store_file", broken_storage)
    component = procedure.components.get()

    with pytest.raises(OSError, match="disk full"):
        _post(citizen, procedure, uuid.uuid4(), files=_files(component, "don.pdf"))

    assert not Dossier.objects.exists()
    assert not Attachment.objects.exists()


def test_a_failure_while_submitting_rolls_back_the_answers_and_files_too(
    citizen, procedure, monkeypatch
):
    component = procedure.components.get()
    token = uuid.uuid4()
    _post(citizen, procedure, token, data_scope="Liên tỉnh")
    dossier = Dossier.objects.get()

    def broken_notify(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("dossiers.services.drafts.dossier_notify", broken_notify)
    with pytest.raises(RuntimeError):
        _post(
            citizen,
            procedure,
            token,
            dossier_id=dossier.pk,
            files=_files(component, "don.pdf"),
            submit=True,
        )

    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT
    assert dossier.data["scope"] == "Liên tỉnh"
    assert not Attachment.objects.exists()
    assert not DossierEvent.objects.exists()


def test_another_user_s_draft_is_not_found(citizen, procedure):
    token = uuid.uuid4()
    _post(citizen, procedure, token)
    dossier = Dossier.objects.get()

    with pytest.raises(Dossier.DoesNotExist):
        _post(UserFactory(), procedure, token, dossier_id=dossier.pk)
    with pytest.raises(services.DossierError):
        _post(UserFactory(), procedure, token)


# --- The supplement answer --------------------------------------------------------------------


@pytest.fixture
def asked(citizen, procedure):
    """A dossier in processing whose applicant is asked for a new form file and the capital."""
    component = procedure.components.get()
    token = uuid.uuid4()
    _post(citizen, procedure, token, files=_files(component, "cu.pdf"), submit=True)
    dossier = Dossier.objects.get()
    staff = agency_staff(procedure.agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    services.dossier_request_supplement(
        dossier_id=dossier.pk,
        actor=staff,
        message="Bản đơn bị mờ; vốn ghi sai.",
        components=[component],
        fields=["capital"],
        deadline_days=3,
    )
    return dossier


def _answer(citizen, dossier, *, files=None, send=False, capital="3000000000"):
    data = QueryDict(mutable=True)
    data["data_capital"] = capital
    posted = PostedAnswer(data=data, files=files or MultiValueDict(), send=send)
    return services.supplement_answer_post(user=citizen, dossier_id=dossier.pk, posted=posted)


def test_saving_the_answer_keeps_it_without_sending(citizen, procedure, asked):
    result = _answer(citizen, asked, files=_files(procedure.components.get(), "moi.pdf"))

    assert result.outcome == Outcome.SAVED
    assert result.supplement == SupplementRequest.objects.get()
    asked.refresh_from_db()
    assert asked.status == S.SUPPLEMENT_REQUESTED
    assert asked.data["capital"] == "3000000000"
    assert asked.attachments.filter(is_current=True).get().original_name == "moi.pdf"
    assert result.supplement.before["fields"] == {"capital": "2000000000"}


def test_sending_the_answer_moves_the_dossier_once(citizen, procedure, asked):
    result = _answer(citizen, asked, files=_files(procedure.components.get(), "moi.pdf"), send=True)

    assert result.outcome == Outcome.SENT
    assert Dossier.objects.get().status == S.SUPPLEMENTED
    with pytest.raises(SupplementNotOpen) as refused:
        _answer(citizen, asked, send=True)
    assert refused.value.already_sent
    assert DossierEvent.objects.filter(to_status=S.SUPPLEMENTED).count() == 1


def test_sending_without_the_requested_file_keeps_the_valid_value(citizen, asked):
    result = _answer(citizen, asked, send=True)

    assert result.outcome == Outcome.INCOMPLETE
    assert "Đơn đề nghị" in " ".join(result.form.non_field_errors())
    asked.refresh_from_db()
    assert asked.status == S.SUPPLEMENT_REQUESTED
    assert asked.data["capital"] == "3000000000"


def test_saving_an_invalid_value_stores_no_value(citizen, asked):
    result = _answer(citizen, asked, capital="ba tỷ")

    assert result.outcome == Outcome.INCOMPLETE
    assert "data_capital" in result.form.errors
    asked.refresh_from_db()
    assert asked.data["capital"] == "2000000000"


def test_a_failure_while_sending_the_answer_rolls_back_everything(
    citizen, procedure, asked, monkeypatch
):
    def broken_notify(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("dossiers.services.supplements._notify_requester", broken_notify)
    files = _files(procedure.components.get(), "moi.pdf")

    with pytest.raises(RuntimeError):
        _answer(citizen, asked, files=files, send=True)

    asked.refresh_from_db()
    assert asked.status == S.SUPPLEMENT_REQUESTED
    assert asked.data["capital"] == "2000000000"
    assert list(asked.attachments.values_list("original_name", flat=True)) == ["cu.pdf"]
    request = SupplementRequest.objects.get()
    assert request.answered_at is None
    assert request.before == {}
