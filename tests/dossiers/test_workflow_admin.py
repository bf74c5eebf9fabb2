"""The internal process on the dossier's admin page: each person sees the buttons of their step
and nothing else; each form calls its service; a stale screen is refused with a message."""

from django.test import Client
from django.urls import reverse

import pytest

from dossiers.constants import DossierStatus, HandOverKind
from dossiers.models import Dossier, HandOver
from dossiers.services import dossier_receive, dossier_start_processing

from .factories import BackOffice, DossierFactory, ProcedureFactory, upload

S = DossierStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def office(staff_settings):
    return BackOffice(ProcedureFactory(processing_days=5))


@pytest.fixture
def dossier(office):
    dossier = DossierFactory(procedure=office.procedure, status=S.SUBMITTED)
    dossier_receive(dossier_id=dossier.pk, actor=office.desk1)
    return dossier


def as_(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change(dossier) -> str:
    return reverse("admin:dossiers_dossier_change", args=[dossier.pk])


def step(dossier, name) -> str:
    return reverse("admin:dossiers_dossier_step", args=[dossier.pk, name])


def current(dossier) -> int:
    return Dossier.objects.get(pk=dossier.pk).current_step_id


def test_each_person_sees_only_the_buttons_of_their_step(office, dossier):
    head_page = as_(office.head).get(change(dossier)).content.decode()
    assert step(dossier, "step_assign") in head_page
    assert step(dossier, "step_take") not in head_page
    specialist_page = as_(office.specialist1).get(change(dossier)).content.decode()
    assert step(dossier, "step_take") in specialist_page
    assert step(dossier, "step_assign") not in specialist_page
    for person in (office.outsider, office.leader1, office.desk2):
        page = as_(person).get(change(dossier)).content.decode()
        assert step(dossier, "step_take") not in page
        assert step(dossier, "step_assign") not in page
    # The page shows the current step and the processing-control slip.
    assert "Phòng Bưu chính" in head_page or "Postal Unit" in head_page
    assert 'id="control-slip-title"' in head_page


def test_the_unit_head_assigns_from_a_list_of_the_unit_s_specialists(office, dossier):
    client = as_(office.head)
    form = client.get(step(dossier, "step_assign")).content.decode()
    assert office.specialist1.full_name in form and office.specialist2.full_name in form
    assert office.outsider.full_name not in form
    response = client.post(
        step(dossier, "step_assign"),
        {"assignee": office.specialist2.pk, "expected_step": current(dossier)},
    )
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).current_step.assignee == office.specialist2
    # Someone outside the unit cannot be slipped in by a forged form.
    response = client.post(
        step(dossier, "step_assign"),
        {"assignee": office.outsider.pk, "expected_step": current(dossier)},
    )
    assert response.status_code == 200
    assert Dossier.objects.get(pk=dossier.pk).current_step.assignee == office.specialist2


def test_take_draft_review_back_forward_approve_through_the_pages(office, dossier):
    specialist = as_(office.specialist1)
    assert (
        specialist.post(step(dossier, "step_take"), {"expected_step": current(dossier)}).status_code
        == 302
    )
    dossier_start_processing(dossier_id=dossier.pk, actor=office.specialist1)
    response = specialist.post(
        step(dossier, "draft_result"),
        {"expected_step": current(dossier), "draft_file": upload("du-thao.pdf"), "note": "Đạt"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    head = as_(office.head)
    # The reviewer acts on the review at once: nothing to take from a pool.
    review_page = head.get(change(dossier)).content.decode()
    assert step(dossier, "step_forward") in review_page
    assert step(dossier, "step_take") not in review_page
    # The reviewer downloads the draft from the dossier page.
    assert head.get(reverse("admin:dossiers_dossier_draft", args=[dossier.pk])).status_code == 200
    assert (
        head.post(
            step(dossier, "step_back"), {"expected_step": current(dossier), "reason": "Sửa"}
        ).status_code
        == 302
    )
    specialist.post(
        step(dossier, "draft_result"),
        {"expected_step": current(dossier), "draft_file": upload("du-thao-2.pdf")},
    )
    head.post(step(dossier, "step_forward"), {"expected_step": current(dossier)})
    leader = as_(office.leader1)
    page = leader.get(step(dossier, "approve")).content.decode()
    assert "du-thao-2.pdf" in page  # approving the draft needs no new file
    response = leader.post(
        step(dossier, "approve"), {"expected_status": S.PROCESSING, "result_file": ""}
    )
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == S.APPROVED
    assert list(HandOver.objects.filter(dossier=dossier).values_list("kind", flat=True)) == [
        HandOverKind.FORWARD,
        HandOverKind.TAKE,
        HandOverKind.FORWARD,
        HandOverKind.BACK,
        HandOverKind.FORWARD,
        HandOverKind.FORWARD,
        HandOverKind.FORWARD,
    ]


def test_a_stale_screen_gets_a_message_and_changes_nothing(office, dossier):
    seen = current(dossier)
    as_(office.specialist1).post(step(dossier, "step_take"), {"expected_step": seen})
    client = as_(office.specialist2)
    response = client.post(step(dossier, "step_take"), {"expected_step": seen}, follow=True)
    assert Dossier.objects.get(pk=dossier.pk).current_step.assignee == office.specialist1
    text = response.content.decode()
    assert "already taken" in text or "đã nhận" in text


def test_an_outsider_gets_403_on_a_step_page(office, dossier):
    assert as_(office.outsider).get(step(dossier, "step_assign")).status_code == 403
    response = as_(office.outsider).post(
        step(dossier, "step_take"), {"expected_step": current(dossier)}
    )
    assert response.status_code == 403
