"""The supplement cycle: staff ask, the applicant answers only what was asked (new file versions,
corrected information), saves or sends once; staff review what changed, then receive or continue
with a new due date; the deadline sweep reminds once and flags overdue requests."""

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from accounts.messages import message_render
from accounts.models import Notification
from dossiers import services, tasks
from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import Attachment, Dossier, DossierEvent, SupplementRequest
from dossiers.services import DossierError, SupplementNotOpen
from procedures.constants import FormFieldKind
from tests.procedures.factories import FormFieldFactory

from .factories import (
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
# Wednesday 10 March 2027, 09:30 in Hà Nội; no public holiday in the weeks around it.
WEDNESDAY = datetime(2027, 3, 10, 2, 30, tzinfo=UTC)
MESSAGE = "Bản sao giấy phép bị mờ, đề nghị chụp lại; địa chỉ ghi thiếu số nhà."


class Clock:
    """A settable `timezone.now` for the whole test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def days(self, n: int) -> None:
        self.now = WEDNESDAY + timedelta(days=n)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(WEDNESDAY)
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


@pytest.fixture
def procedure():
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC"), name="Cấp giấy phép bưu chính", processing_days=5
    )
    DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    DossierComponentFactory(procedure=procedure, name="Bản sao giấy phép", file_types=["pdf"])
    DossierComponentFactory(
        procedure=procedure,
        name="Ảnh trụ sở",
        required=False,
        multiple=True,
        file_types=["pdf", "png"],
    )
    FormFieldFactory(
        procedure=procedure,
        key="scope",
        label="Phạm vi",
        kind=FormFieldKind.CHOICE,
        choices=["Liên tỉnh", "Quốc tế"],
        required=True,
    )
    FormFieldFactory(procedure=procedure, key="capital", label="Vốn", kind=FormFieldKind.NUMBER)
    return procedure


@pytest.fixture
def staff(procedure):
    return agency_staff(
        procedure.agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP), full_name="Lê Văn Đức"
    )


def _components(procedure):
    form, licence, photos = procedure.components.order_by("order")
    return form, licence, photos


def _submitted(citizen, procedure) -> Dossier:
    """A dossier sent by `citizen` with version 1 of each required file."""
    dossier = DossierFactory(
        applicant=citizen,
        procedure=procedure,
        address="Tràng Tiền, Hà Nội",
        data={"scope": "Liên tỉnh", "capital": "1000"},
    )
    for component in procedure.components.filter(required=True):
        services.attachment_add(
            dossier=dossier,
            component=component,
            file=upload(f"cu-{component.order}.pdf"),
            user=citizen,
        )
    services.dossier_submit(dossier_id=dossier.pk, actor=citizen)
    return dossier


def _processing(citizen, procedure, staff) -> Dossier:
    dossier = _submitted(citizen, procedure)
    services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    return Dossier.objects.get(pk=dossier.pk)


def _ask(dossier, staff, *, components=(), fields=(), days=3) -> SupplementRequest:
    return services.dossier_request_supplement(
        dossier_id=dossier.pk,
        actor=staff,
        message=MESSAGE,
        components=components,
        fields=fields,
        deadline_days=days,
    )


def _url(dossier, name="supplement"):
    return reverse(f"dossiers:{name}", args=[dossier.pk])


def _pdf(name):
    return upload(name, PDF_BYTES)


# --- Staff ask ------------------------------------------------------------------------------


def test_the_request_tells_the_applicant_what_and_by_when_and_keeps_the_lookup_generic(
    clock, citizen, procedure, staff, mailoutbox, django_capture_on_commit_callbacks
):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(dossier, staff, components=[licence], fields=["address", "capital"])
    assert request.deadline == date(2027, 3, 15)  # Thu, Fri, Mon
    event = DossierEvent.objects.get(dossier=dossier, action="request_supplement")
    assert event.is_public and event.to_status == S.SUPPLEMENT_REQUESTED
    # The public step is the portal's sentence (message id + date), composed when read.
    assert MESSAGE not in event.note and event.params["date"] == "2027-03-15"
    assert message_render(event.message, event.params) == "Supplement due by 15/03/2027."
    assert event.internal_note == MESSAGE
    [email] = mailoutbox
    assert MESSAGE in email.body
    assert "Bản sao giấy phép" in email.body and "Address" in email.body and "Vốn" in email.body
    assert _url(dossier, "detail") in email.body
    notification = Notification.objects.filter(user=citizen).latest("id")
    assert notification.link == _url(dossier, "detail")


def test_the_request_names_the_fields_in_the_applicant_s_language_not_the_officer_s(
    citizen, procedure, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import translation

    citizen.language = "en"
    citizen.save()
    dossier = _submitted(citizen, procedure)
    mailoutbox.clear()
    with translation.override("vi"), django_capture_on_commit_callbacks(execute=True):
        _ask(dossier, staff, fields=["address", "phone"])  # the officer's admin is in Vietnamese

    [email] = mailoutbox
    assert "Address" in email.body and "Phone" in email.body
    assert "Địa chỉ" not in email.body


def test_a_request_naming_a_field_the_procedure_does_not_have_is_refused(citizen, procedure, staff):
    dossier = _submitted(citizen, procedure)
    with pytest.raises(DossierError, match="field"):
        _ask(dossier, staff, fields=["password"])
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUBMITTED
    assert not SupplementRequest.objects.exists()


# --- The applicant's answer (services) ------------------------------------------------------


def test_answering_keeps_the_old_version_and_sends_once(citizen, procedure, staff):
    form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, components=[licence], fields=["address"])
    old = Attachment.objects.get(dossier=dossier, component=licence)
    with pytest.raises(DossierError, match="Bản sao giấy phép"):
        services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen)

    from django.db import transaction

    with transaction.atomic():
        locked, open_request = services.dossier_lock_for_supplement(
            user=citizen, dossier_id=dossier.pk
        )
        new = services.supplement_attachment_add(
            dossier=locked,
            request=open_request,
            component=licence,
            file=_pdf("moi.pdf"),
            user=citizen,
        )
        services.supplement_values_save(
            dossier=locked, request=open_request, values={"address": "25 Tràng Tiền, Hà Nội"}
        )
    result = services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen)
    assert result is not None and result.event.to_status == S.SUPPLEMENTED
    assert result.event.actor == citizen and "Bản sao giấy phép" in result.event.internal_note
    dossier.refresh_from_db()
    request.refresh_from_db()
    assert dossier.status == S.SUPPLEMENTED
    assert dossier.address == "25 Tràng Tiền, Hà Nội"
    assert request.answered_at is not None
    assert request.before["fields"] == {"address": "Tràng Tiền, Hà Nội"}
    assert request.before["files"] == {str(licence.pk): [old.pk]}
    old.refresh_from_db()
    assert not old.is_current and new.is_current and new.version == 2
    assert new.supplement_request == request
    # The other component was not touched.
    assert Attachment.objects.get(dossier=dossier, component=form).version == 1

    # Sent again (a second click, a resent form): nothing changes, no second event.
    assert services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen) is None
    assert DossierEvent.objects.filter(dossier=dossier, action="supplement").count() == 1


def test_a_supplement_on_a_dossier_not_waiting_for_one_is_refused(citizen, procedure):
    dossier = _submitted(citizen, procedure)
    with pytest.raises(SupplementNotOpen, match="not waiting for a supplement"):
        services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen)
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUBMITTED
    assert not DossierEvent.objects.filter(action="supplement").exists()


def test_a_file_for_a_component_that_was_not_asked_for_is_refused(citizen, procedure, staff):
    form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence])
    from django.db import transaction

    with transaction.atomic():
        locked, open_request = services.dossier_lock_for_supplement(
            user=citizen, dossier_id=dossier.pk
        )
        with pytest.raises(DossierError, match="not asked for"):
            services.supplement_attachment_add(
                dossier=locked,
                request=open_request,
                component=form,
                file=_pdf("x.pdf"),
                user=citizen,
            )
        form_file = Attachment.objects.get(dossier=dossier, component=form)
        assert not services.supplement_attachment_remove(
            dossier=locked, request=open_request, attachment_id=form_file.pk
        )
        assert (
            services.supplement_values_save(
                dossier=locked, request=open_request, values={"phone": "0999999999"}
            )
            == []
        )
    assert Attachment.objects.filter(dossier=dossier, component=form).count() == 1
    assert Attachment.objects.get(pk=form_file.pk).is_current
    assert Dossier.objects.get(pk=dossier.pk).phone == "0912345678"


# --- The applicant's answer (pages) ---------------------------------------------------------


def test_the_dossier_page_shows_the_open_request_at_the_top_and_highlights_it(
    clock, client, citizen, procedure, staff
):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence], fields=["address", "capital"])
    html = client.get(_url(dossier, "detail")).content.decode()
    top = html.index("The agency asks you to supplement your dossier")
    assert top < html.index("Applicant")
    assert MESSAGE in html and "15/03/2027" in html
    assert _url(dossier) in html
    # The component's row and the two fields are highlighted, nothing else.
    assert html.count('<tr class="requested">') == 1
    assert html.count('<dt class="requested">') == 2
    requested_row = html[html.index('<tr class="requested">') :][:400]
    assert "Bản sao giấy phép" in requested_row


def test_the_supplement_form_offers_only_what_was_asked(client, citizen, procedure, staff):
    form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence], fields=["address", "scope"])
    html = client.get(_url(dossier)).content.decode()
    assert 'name="address"' in html and 'name="data_scope"' in html
    assert 'name="phone"' not in html and 'name="data_capital"' not in html
    assert f'name="component_{licence.pk}"' in html
    assert f'name="component_{form.pk}"' not in html
    assert 'value="Tràng Tiền, Hà Nội"' in html  # pre-filled
    assert "cu-" in html  # the current file is listed


def test_a_crafted_post_cannot_change_what_was_not_asked_for(client, citizen, procedure, staff):
    form, licence, photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence], fields=["address"])
    form_file = Attachment.objects.get(dossier=dossier, component=form)
    response = client.post(
        _url(dossier),
        {
            "action": "submit",
            "address": "25 Tràng Tiền, Hà Nội",
            # Not requested: all ignored.
            "phone": "0999999999",
            "applicant_name": "Người Khác",
            "data_capital": "999999",
            f"component_{form.pk}": _pdf("gia-mao.pdf"),
            f"component_{photos.pk}": _pdf("anh.pdf"),
            "remove": [str(form_file.pk)],
            f"component_{licence.pk}": _pdf("ban-sao-moi.pdf"),
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENTED
    assert dossier.address == "25 Tràng Tiền, Hà Nội"
    assert dossier.phone == "0912345678"
    assert dossier.applicant_name == "Trần Thị Bình"
    assert dossier.data == {"scope": "Liên tỉnh", "capital": "1000"}
    assert not Attachment.objects.filter(original_name__in=["gia-mao.pdf", "anh.pdf"]).exists()
    assert Attachment.objects.filter(dossier=dossier, component=form).count() == 1
    assert Attachment.objects.get(pk=form_file.pk).is_current
    assert Attachment.objects.get(component=licence, is_current=True).original_name == (
        "ban-sao-moi.pdf"
    )


def test_save_keeps_the_answer_without_sending_it(client, citizen, procedure, staff):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, components=[licence], fields=["address"])
    response = client.post(
        _url(dossier),
        {
            "action": "save",
            "address": "25 Tràng Tiền, Hà Nội",
            f"component_{licence.pk}": _pdf("ban-sao-moi.pdf"),
        },
        follow=True,
    )
    assert "saved but not sent yet" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED
    assert dossier.address == "25 Tràng Tiền, Hà Nội"
    assert not DossierEvent.objects.filter(action="supplement").exists()
    request.refresh_from_db()
    assert request.answered_at is None
    assert request.before["fields"] == {"address": "Tràng Tiền, Hà Nội"}
    html = client.get(_url(dossier)).content.decode()
    assert "ban-sao-moi.pdf" in html and 'value="25 Tràng Tiền, Hà Nội"' in html
    assert "earlier version" in html  # the old version stays visible as history
    detail = client.get(_url(dossier, "detail")).content.decode()
    assert "You have started your answer" in detail

    # Sending later needs nothing more: the saved file and value are there.
    response = client.post(_url(dossier), {"action": "submit", "address": "25 Tràng Tiền, Hà Nội"})
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENTED
    request.refresh_from_db()
    assert request.before["fields"] == {"address": "Tràng Tiền, Hà Nội"}  # taken once


def test_sending_without_the_requested_file_lists_it_and_keeps_what_was_typed(
    client, citizen, procedure, staff
):
    form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[form, licence], fields=["address", "scope"])
    response = client.post(
        _url(dossier),
        {
            "action": "submit",
            "address": "25 Tràng Tiền",
            "data_scope": "Quốc tế",
            f"component_{form.pk}": _pdf("don-moi.pdf"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Attach a new file for: Bản sao giấy phép." in html
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED
    assert dossier.address == "25 Tràng Tiền" and dossier.data["scope"] == "Quốc tế"
    kept = Attachment.objects.get(dossier=dossier, component=form, is_current=True)
    assert kept.original_name == "don-moi.pdf" and kept.version == 2
    assert "don-moi.pdf" in html


def test_a_required_field_cannot_be_sent_empty(client, citizen, procedure, staff):
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, fields=["scope"])
    response = client.post(_url(dossier), {"action": "submit", "data_scope": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENT_REQUESTED


def test_a_double_send_creates_one_event(client, citizen, procedure, staff):
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, fields=["address"])
    post = {"action": "submit", "address": "25 Tràng Tiền, Hà Nội"}
    first = client.post(_url(dossier), post, follow=True)
    assert "Your supplement was sent" in first.content.decode()
    second = client.post(_url(dossier), {**post, "address": "Khác"}, follow=True)
    assert "has already been sent" in second.content.decode()
    assert DossierEvent.objects.filter(dossier=dossier, action="supplement").count() == 1
    assert Dossier.objects.get(pk=dossier.pk).address == "25 Tràng Tiền, Hà Nội"


def test_the_supplement_page_of_a_dossier_not_waiting_is_refused_with_a_message(
    client, citizen, procedure
):
    dossier = _submitted(citizen, procedure)
    for method in (client.get, client.post):
        response = method(_url(dossier), follow=True)
        assert response.redirect_chain[-1][0] == _url(dossier, "detail")
        assert "not waiting for a supplement" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUBMITTED


def test_another_user_s_supplement_page_is_not_found(client, citizen, procedure, staff):
    other = _submitted(UserFactory(), procedure)
    _ask(other, staff)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), {"action": "submit"}).status_code == 404
    assert Dossier.objects.get(pk=other.pk).status == S.SUPPLEMENT_REQUESTED


# --- Staff review and the next step ---------------------------------------------------------


def _answer(client, dossier, component, name="ban-sao-moi.pdf", **values):
    response = client.post(
        _url(dossier),
        {"action": "submit", f"component_{component.pk}": _pdf(name), **values},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == _url(dossier, "detail")


def test_the_officer_who_asked_is_told_in_their_language_when_the_answer_is_in(
    client, citizen, procedure, staff, mailoutbox, django_capture_on_commit_callbacks
):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)
    _ask(dossier, staff, components=[licence], fields=["address", "capital"])
    staff.language = "vi"
    staff.save()
    citizen.language = "en"
    citizen.save()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _answer(client, dossier, licence, address="25 Tràng Tiền, Hà Nội", data_capital="1000")

    [email] = mailoutbox
    admin_path = reverse("admin:dossiers_dossier_change", args=[dossier.pk])
    assert email.to == [staff.email]
    assert email.subject == f"Hồ sơ {dossier.code} đã được bổ sung"
    assert "Trần Thị Bình đã bổ sung hồ sơ" in email.body
    assert licence.name in email.body
    assert "Địa chỉ" in email.body  # the corrected field, in the officer's language
    assert "Vốn" not in email.body  # the capital was sent unchanged
    assert settings.SITE_URL + admin_path in email.body
    notification = Notification.objects.get(user=staff)
    assert notification.link == admin_path
    assert not Notification.objects.filter(user=citizen, title=email.subject).exists()


def test_nobody_is_emailed_when_the_officer_who_asked_has_left(
    client, citizen, procedure, staff, mailoutbox, django_capture_on_commit_callbacks
):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)
    _ask(dossier, staff, components=[licence])
    staff.is_active = False
    staff.save()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _answer(client, dossier, licence)

    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENTED
    assert mailoutbox == []


def test_staff_read_a_changed_capital_grouped_by_thousands(
    client, citizen, procedure, staff, staff_settings
):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence], fields=["capital"])
    _answer(client, dossier, licence, data_capital="3500000000")
    client.force_login(staff)
    html = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk])).content.decode()
    review = html[html.index("What changed in the latest supplement") :]
    assert "1,000" in review and "3,500,000,000" in review
    assert "3500000000" not in html


def test_staff_see_the_old_and_new_versions_and_the_changed_fields(
    client, citizen, procedure, staff, staff_settings
):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, components=[licence], fields=["address", "capital"])
    _answer(client, dossier, licence, address="25 Tràng Tiền, Hà Nội", data_capital="1000")
    old = Attachment.objects.get(component=licence, version=1)
    new = Attachment.objects.get(component=licence, version=2)

    client.force_login(staff)
    queue = client.get(reverse("admin:dossiers_dossier_changelist"), {"supplement": "answered"})
    assert f"/admin/dossiers/dossier/{dossier.pk}/change/" in queue.content.decode()
    html = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk])).content.decode()
    review = html[html.index("What changed in the latest supplement") :]
    assert old.original_name in review and new.original_name in review
    assert old.sha256 in review and new.sha256 in review
    for attachment in (old, new):
        url = reverse("admin:dossiers_dossier_file", args=[dossier.pk, attachment.pk])
        assert url in review
    assert "Tràng Tiền, Hà Nội" in review and "25 Tràng Tiền, Hà Nội" in review
    assert review.count('<tr class="changed">') == 1  # the address; capital unchanged
    assert "unchanged" in review
    # Asked before receipt: receive it, not "continue processing".
    assert "Receive (issue code and due date)" in html
    assert "Continue processing" not in html


def test_receive_after_a_supplement_asked_before_receipt(
    clock, client, citizen, procedure, staff, staff_settings
):
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, components=[licence], fields=[])
    assert request.asked_in_status == S.SUBMITTED
    _answer(client, dossier, licence)
    client.force_login(staff)
    step = reverse("admin:dossiers_dossier_step", args=[dossier.pk, "receive"])
    client.post(step, {"expected_status": S.SUPPLEMENTED})
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED and dossier.code.startswith("VBC-270310-")
    assert dossier.due_date == date(2027, 3, 17)
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == ["submitted", "request_supplement", "supplement", "receive"]


def test_continue_processing_after_a_post_receipt_supplement_recomputes_the_due_date(
    clock, client, citizen, procedure, staff, staff_settings
):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)
    assert dossier.due_date == date(2027, 3, 17)
    _ask(dossier, staff, components=[licence])
    clock.days(6)  # Tuesday 16 March: the applicant answers, staff continue the same day
    client.force_login(citizen)
    _answer(client, dossier, licence)
    client.force_login(staff)
    change = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
    html = change.content.decode()
    assert "Continue processing (new due date)" in html and "Start processing" not in html
    step = reverse("admin:dossiers_dossier_step", args=[dossier.pk, "continue_processing"])
    response = client.post(step, {"expected_status": S.SUPPLEMENTED}, follow=True)
    assert "new due date 23/03/2027" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == S.PROCESSING
    assert dossier.due_date == date(2027, 3, 23)  # Wed, Thu, Fri, Mon, Tue
    event = dossier.events.last()
    assert event.action == "continue_processing" and event.from_status == S.SUPPLEMENTED


def test_a_supplement_asked_right_after_receipt_counts_time_again_from_the_complete_dossier(
    clock, client, citizen, procedure, staff, staff_settings
):
    """DESIGN §3 and §4: received → supplement requested; while the applicant has the dossier
    it is never overdue, and the processing time counts again from the complete dossier."""
    _form, licence, _photos = _components(procedure)
    dossier = _submitted(citizen, procedure)
    services.dossier_receive(dossier_id=dossier.pk, actor=staff)
    request = _ask(dossier, staff, components=[licence], days=10)
    dossier.refresh_from_db()
    code = dossier.code
    assert dossier.status == S.SUPPLEMENT_REQUESTED and request.asked_in_status == S.RECEIVED
    assert code.startswith("VBC-270310-") and dossier.due_date == date(2027, 3, 17)

    clock.days(8)  # Thursday 18 March: past the first due date, but the applicant has it
    assert not Dossier.objects.get(pk=dossier.pk).is_overdue
    _answer(client, dossier, licence)
    client.force_login(staff)
    html = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk])).content.decode()
    # Received once already: it is not received again (same code), processing continues.
    assert "Continue processing (new due date)" in html
    assert "Receive (issue code and due date)" not in html
    step = reverse("admin:dossiers_dossier_step", args=[dossier.pk, "continue_processing"])
    client.post(step, {"expected_status": S.SUPPLEMENTED})

    dossier.refresh_from_db()
    assert dossier.status == S.PROCESSING and dossier.code == code
    assert dossier.due_date == date(2027, 3, 25)  # Fri 19, Mon 22, Tue 23, Wed 24, Thu 25
    assert not dossier.is_overdue
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == [
        "submitted",
        "receive",
        "request_supplement",
        "supplement",
        "continue_processing",
    ]


def test_several_cycles_keep_every_request_and_answer(
    client, citizen, procedure, staff, staff_settings
):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)
    first = _ask(dossier, staff, components=[licence], fields=["address"])
    _answer(client, dossier, licence, name="lan-2.pdf", address="Số 2 Tràng Tiền")
    services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)
    second = _ask(dossier, staff, components=[licence], fields=["address"])
    _answer(client, dossier, licence, name="lan-3.pdf", address="Số 3 Tràng Tiền")

    versions = list(
        Attachment.objects.filter(component=licence)
        .order_by("version")
        .values_list("version", "is_current", "supplement_request")
    )
    assert versions == [(1, False, None), (2, False, first.pk), (3, True, second.pk)]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.before["fields"] == {"address": "Tràng Tiền, Hà Nội"}
    assert second.before["fields"] == {"address": "Số 2 Tràng Tiền"}
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions.count("request_supplement") == 2 and actions.count("supplement") == 2
    html = client.get(_url(dossier, "detail")).content.decode()
    assert html.count("Request of ") == 2
    assert "lan-2.pdf" in html and "lan-3.pdf" in html

    client.force_login(staff)
    admin_html = client.get(
        reverse("admin:dossiers_dossier_change", args=[dossier.pk])
    ).content.decode()
    review = admin_html[admin_html.index("What changed in the latest supplement") :]
    review = review[: review.index("</section>")]
    assert "lan-3.pdf" in review and "lan-2.pdf" in review and "cu-" not in review


def test_the_public_history_shows_the_steps_without_the_message(client, citizen, procedure, staff):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)
    _ask(dossier, staff, components=[licence])
    _answer(client, dossier, licence)
    client.logout()
    html = client.get(reverse("tracking:history"), {"code": dossier.code}).content.decode()
    assert str(S.SUPPLEMENT_REQUESTED.label) in html
    assert str(S.SUPPLEMENTED.label) in html
    assert MESSAGE not in html


def test_the_dossier_page_costs_the_same_queries_for_one_or_four_cycles(
    client, citizen, procedure, staff
):
    _form, licence, _photos = _components(procedure)
    dossier = _processing(citizen, procedure, staff)

    def cycle(n):
        _ask(dossier, staff, components=[licence], fields=["address", "capital"])
        _answer(client, dossier, licence, name=f"lan-{n}.pdf", address=f"Số {n}")
        services.dossier_start_processing(dossier_id=dossier.pk, actor=staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(dossier, "detail")).status_code == 200
        return len(queries)

    cycle(1)
    one = count()
    for n in range(2, 5):
        cycle(n)
    assert count() == one
    assert one <= 20


# --- Deadlines ------------------------------------------------------------------------------


def test_the_reminder_is_sent_once_per_request_not_once_per_run(
    clock, citizen, procedure, staff, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, fields=["address"], days=3)  # deadline Mon 15 March
    far = _ask(_submitted(citizen, procedure), staff, days=10)
    mailoutbox.clear()
    Notification.objects.all().delete()

    def sweep():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.supplement_deadline_sweep.delay().get()

    assert sweep() == {"reminded": 0, "flagged": 0}  # asked today: no reminder yet
    clock.days(1)  # Thursday: two working days left
    assert sweep() == {"reminded": 1, "flagged": 0}
    assert sweep() == {"reminded": 0, "flagged": 0}
    clock.days(2)
    assert sweep() == {"reminded": 0, "flagged": 0}
    [email] = mailoutbox
    assert "15/03/2027" in email.subject and MESSAGE in email.body
    assert _url(dossier, "detail") in email.body
    assert Notification.objects.filter(user=citizen).count() == 1
    request.refresh_from_db()
    far.refresh_from_db()
    assert request.reminder_sent_at is not None and far.reminder_sent_at is None


def test_an_answered_request_gets_no_reminder(clock, citizen, procedure, staff, mailoutbox):
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, fields=["address"], days=3)
    services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen)
    mailoutbox.clear()
    clock.days(1)
    assert services.supplement_deadline_sweep() == {"reminded": 0, "flagged": 0}
    assert services.supplement_request_remind(request_id=request.pk) is False
    assert not mailoutbox


def test_overdue_requests_are_flagged_once_for_staff_and_nothing_is_deleted(
    clock, client, citizen, procedure, staff, staff_settings
):
    dossier = _submitted(citizen, procedure)
    request = _ask(dossier, staff, fields=["address"], days=3)  # deadline Mon 15 March
    clock.days(5)  # Monday: still in time
    assert services.supplement_deadline_sweep()["flagged"] == 0
    clock.days(6)  # Tuesday
    assert services.supplement_deadline_sweep()["flagged"] == 1
    assert services.supplement_deadline_sweep()["flagged"] == 0
    request.refresh_from_db()
    assert request.overdue_flagged_at is not None
    event = DossierEvent.objects.get(dossier=dossier, action="supplement_overdue")
    assert not event.is_public and event.params == {"date": "2027-03-15"}
    assert "15/03/2027" in message_render(event.message, event.params)
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED
    assert Attachment.objects.filter(dossier=dossier).count() == 2

    client.force_login(staff)
    changelist = reverse("admin:dossiers_dossier_changelist")
    queue = client.get(changelist).content.decode()
    assert "?supplement=overdue" in queue
    flagged = client.get(changelist, {"supplement": "overdue"}).content.decode()
    assert f"/admin/dossiers/dossier/{dossier.pk}/change/" in flagged
    page = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
    assert "Supplement overdue" in page.content.decode()


def test_the_sweep_runs_hourly_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["supplement-deadlines"]
    assert entry["task"] == "dossiers.tasks.supplement_deadline_sweep"
    assert entry["schedule"] <= 3600


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_instant_create_one_event(postgres, procedure, staff):
    import threading

    from django.db import connection as default_connection
    from django.test import Client

    citizen = UserFactory()
    dossier = _submitted(citizen, procedure)
    _ask(dossier, staff, fields=["address"])
    barrier = threading.Barrier(2)
    statuses = []

    def click():
        try:
            client = Client()
            client.force_login(citizen)
            barrier.wait(timeout=10)
            response = client.post(_url(dossier), {"action": "submit", "address": "Số 9"})
            statuses.append(response.status_code)
        finally:
            default_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENTED
    assert DossierEvent.objects.filter(dossier=dossier, action="supplement").count() == 1
