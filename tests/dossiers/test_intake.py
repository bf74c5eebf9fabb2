"""Counter intake: the desk registers and receives a dossier brought in person or by post."""

from django.urls import reverse

import pytest

from accounts.models import AuditEntry, Notification
from core.uploads import UploadRejected
from dossiers.constants import Channel, DossierStatus
from dossiers.groups import PROCESSING_GROUP
from dossiers.models import Attachment, Dossier, DossierEvent
from dossiers.services import dossier_counter_intake, dossier_request_supplement
from dossiers.services.transitions import DossierError, StepForbidden

from .factories import (
    APPLICANT_FORM,
    EXE_BYTES,
    DossierComponentFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure():
    return ProcedureFactory(processing_days=5)


@pytest.fixture
def component(procedure):
    return DossierComponentFactory(procedure=procedure, file_types=["pdf"])


@pytest.fixture
def desk(procedure):
    return agency_staff(procedure.agency)


def intake(actor, procedure, component, *, files=None, **applicant):
    return dossier_counter_intake(
        actor=actor,
        procedure=procedure,
        applicant={**APPLICANT_FORM, **applicant},
        data={},
        files={component.pk: [upload()]} if files is None else files,
        channel=Channel.COUNTER,
    )


def test_counter_intake_creates_a_received_dossier_with_code_and_due_date(
    desk, procedure, component
):
    dossier = intake(desk, procedure, component)

    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.channel == Channel.COUNTER
    assert dossier.code and dossier.due_date and dossier.received_by == desk
    assert dossier.applicant is None
    assert dossier.applicant_name == APPLICANT_FORM["applicant_name"]
    assert Attachment.objects.get(dossier=dossier).uploaded_by == desk
    events = DossierEvent.objects.filter(dossier=dossier).order_by("pk")
    assert [e.to_status for e in events] == [DossierStatus.SUBMITTED, DossierStatus.RECEIVED]
    entry = AuditEntry.objects.get(action="dossier_counter_intake")
    assert entry.succeeded and entry.object_id == str(dossier.pk)


@pytest.mark.parametrize("match", ["email", "citizen_id"])
def test_counter_intake_links_the_existing_account(desk, procedure, component, match):
    citizen = UserFactory(email="binh@example.com", citizen_id="079123456789")
    given = {"email": "Binh@Example.com"} if match == "email" else {"citizen_id": "079123456789"}

    dossier = intake(desk, procedure, component, **given)

    assert dossier.applicant == citizen
    assert list(Dossier.objects.for_citizen(citizen)) == [dossier]


def test_counter_intake_refuses_an_officer_without_the_desk_permission(procedure, component):
    officer = agency_staff(procedure.agency, groups=(PROCESSING_GROUP,))

    with pytest.raises(StepForbidden):
        intake(officer, procedure, component)

    assert not Dossier.objects.exists()
    entry = AuditEntry.objects.get(action="dossier_counter_intake")
    assert not entry.succeeded and entry.object_id == str(procedure.pk)


def test_counter_intake_refuses_another_agencys_procedure(procedure, component):
    stranger = agency_staff(ProcedureFactory().agency)

    with pytest.raises(StepForbidden):
        intake(stranger, procedure, component)

    assert not Dossier.objects.exists()


def test_counter_intake_refuses_a_bad_upload_and_changes_nothing(desk, procedure, component):
    bad = upload("scan.pdf", EXE_BYTES)

    with pytest.raises(UploadRejected) as refused:
        intake(desk, procedure, component, files={component.pk: [bad]})

    assert str(refused.value)
    assert not Dossier.objects.exists() and not Attachment.objects.exists()
    assert not DossierEvent.objects.exists()
    entry = AuditEntry.objects.get(action="dossier_counter_intake")
    assert not entry.succeeded and entry.message == str(refused.value)


def test_counter_intake_needs_the_required_components(desk, procedure, component):
    with pytest.raises(Exception, match=component.name):
        intake(desk, procedure, component, files={})

    assert not Dossier.objects.exists()


# --- The admin page -----------------------------------------------------------------------------


def test_the_desk_registers_a_dossier_in_the_admin_and_prints_the_slip(
    client, staff_settings, desk, procedure, component
):
    citizen = UserFactory(full_name="Lê Văn Cường", citizen_id="079123456789")
    client.force_login(desk)
    url = reverse("admin:dossiers_dossier_intake")
    assert url in client.get(reverse("admin:dossiers_dossier_changelist")).text

    query = f"?procedure={procedure.pk}&find={citizen.citizen_id}"
    page = client.get(url + query)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["applicant_name"] == "Lê Văn Cường"
    # The account's address is also where a result by post would go, until changed.
    assert form.initial["delivery_address"] == citizen.address

    posted = {
        **APPLICANT_FORM,
        "citizen_id": citizen.citizen_id,
        "form_token": str(form.initial["form_token"]),
        "channel": "post",
        f"file_{component.pk}": upload(),
    }
    done = client.post(url + query, posted)

    assert done.status_code == 200
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.RECEIVED and dossier.channel == Channel.POST
    assert dossier.applicant == citizen
    slip = reverse("admin:dossiers_dossier_slip", args=[dossier.pk, "receipt"])
    assert slip in done.text and dossier.code in done.text
    assert client.get(slip).status_code == 200

    # The same form sent again finds the same dossier.
    posted[f"file_{component.pk}"] = upload()
    assert client.post(url + query, posted).status_code == 200
    assert Dossier.objects.count() == 1


def test_the_admin_intake_shows_a_refused_upload(
    client, staff_settings, desk, procedure, component
):
    client.force_login(desk)
    url = reverse("admin:dossiers_dossier_intake") + f"?procedure={procedure.pk}"
    posted = {
        **APPLICANT_FORM,
        "form_token": "6f1c3a52-9a55-4a39-8a8a-3a1b5c0e2f11",
        "channel": "counter",
        f"file_{component.pk}": upload("scan.pdf", EXE_BYTES),
    }
    page = client.post(url, posted, follow=True)

    assert page.status_code == 200 and "form" in page.context
    assert [m.level_tag for m in page.context["messages"]] == ["error"]
    assert not Dossier.objects.exists()


def test_an_officer_without_the_desk_permission_cannot_open_the_intake(
    client, staff_settings, procedure
):
    client.force_login(agency_staff(procedure.agency, groups=(PROCESSING_GROUP,)))
    url = reverse("admin:dossiers_dossier_intake")
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:dossiers_dossier_changelist")).text


def test_a_dossier_without_an_account_goes_on_without_notifications(desk, procedure, component):
    dossier = intake(desk, procedure, component)
    dossier_request_supplement(
        dossier_id=dossier.pk, actor=desk, message="Bổ sung bản sao hộ khẩu.", fields=()
    )

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED
    assert not Notification.objects.exists()


def test_counter_intake_records_how_the_applicant_wants_the_result(desk, procedure, component):
    dossier = dossier_counter_intake(
        actor=desk,
        procedure=procedure,
        applicant=APPLICANT_FORM,
        data={},
        files={component.pk: [upload()]},
        channel=Channel.COUNTER,
        delivery={"result_delivery": "post", "delivery_address": " 12 Lý Thường Kiệt, Hà Nội "},
    )
    assert dossier.result_delivery == "post"
    assert dossier.delivery_address == "12 Lý Thường Kiệt, Hà Nội"
    # Without a choice the result waits at the desk.
    assert intake(desk, procedure, component).result_delivery == "desk"


def test_counter_intake_refuses_a_result_by_post_without_an_address(desk, procedure, component):
    with pytest.raises(DossierError):
        dossier_counter_intake(
            actor=desk,
            procedure=procedure,
            applicant=APPLICANT_FORM,
            data={},
            files={component.pk: [upload()]},
            channel=Channel.COUNTER,
            delivery={"result_delivery": "post", "delivery_address": " "},
        )
    assert not Dossier.objects.exists()


def test_the_admin_intake_keeps_the_delivery_chosen_at_the_desk(
    client, staff_settings, desk, procedure, component
):
    client.force_login(desk)
    url = reverse("admin:dossiers_dossier_intake") + f"?procedure={procedure.pk}"
    posted = {
        **APPLICANT_FORM,
        "form_token": "0b6a3c2e-4d1f-4e5a-9c8b-7a6f5e4d3c2b",
        "channel": "counter",
        "result_delivery": "post",
        "delivery_address": "12 Lý Thường Kiệt, Hà Nội",
        f"file_{component.pk}": upload(),
    }
    assert client.post(url, posted).status_code == 200
    dossier = Dossier.objects.get()
    assert (dossier.result_delivery, dossier.delivery_address) == (
        "post",
        "12 Lý Thường Kiệt, Hà Nội",
    )
