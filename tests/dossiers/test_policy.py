"""One access policy (dossiers/policy.py), asked by the services themselves: the admin, a direct
service call, a task and a command get the same answer, and every attempt is in the audit log."""

from django.urls import reverse

import pytest

from accounts.models import AuditEntry
from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import Dossier, DossierEvent

from .factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff

pytestmark = pytest.mark.django_db
S = DossierStatus


@pytest.fixture
def agency(staff_settings):
    return AgencyFactory(code="BTTTT")


@pytest.fixture
def processing(agency):
    return DossierFactory(
        procedure=ProcedureFactory(agency=agency), status=S.PROCESSING, code="BTTTT-270310-0001"
    )


def _entries():
    return list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_id", "action", "succeeded", "message", "object_id"
        )
    )


def test_a_desk_officer_rejecting_in_processing_is_refused_alike_by_the_service_and_the_admin(
    client, agency, processing
):
    desk = agency_staff(agency, groups=(RECEPTION_GROUP,))

    with pytest.raises(services.StepForbidden) as refused:
        services.dossier_reject(dossier_id=processing.pk, actor=desk, reason="Không đủ điều kiện")
    assert str(refused.value) == "You may not take this step on this dossier."

    client.force_login(desk)
    response = client.post(
        reverse("admin:dossiers_dossier_step", args=[processing.pk, "reject"]),
        {"expected_status": S.PROCESSING, "reason": "Không đủ điều kiện"},
    )
    assert response.status_code == 403

    refusal = (desk.pk, "dossier_reject", False, "permission denied", str(processing.pk))
    assert _entries() == [refusal, refusal]
    assert Dossier.objects.get(pk=processing.pk).status == S.PROCESSING
    assert not DossierEvent.objects.filter(dossier=processing).exists()


def test_the_step_the_policy_allows_is_the_one_the_admin_offers(client, agency, processing):
    desk = agency_staff(agency, groups=(RECEPTION_GROUP,))
    unit = agency_staff(agency, groups=(PROCESSING_GROUP,))
    assert services.dossier_available_steps(dossier=processing, user=desk) == []
    assert services.dossier_available_steps(dossier=processing, user=unit) == [
        "request_supplement",
        "approve",
        "reject",
        "request_payment",
    ]
    client.force_login(unit)
    page = client.get(reverse("admin:dossiers_dossier_change", args=[processing.pk]))
    html = page.content.decode()
    for step in ("request_supplement", "approve", "reject"):
        assert reverse("admin:dossiers_dossier_step", args=[processing.pk, step]) in html
    # Offering steps records nothing: only attempts are audited.
    assert not AuditEntry.objects.exists()


def test_another_agency_s_officer_is_refused_by_the_service_and_audited(agency, processing):
    stranger = agency_staff(AgencyFactory(code="SO"), groups=(PROCESSING_GROUP,))
    assert services.dossier_available_steps(dossier=processing, user=stranger) == []
    with pytest.raises(services.StepForbidden, match="own agency"):
        services.dossier_start_processing(dossier_id=processing.pk, actor=stranger)
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.succeeded) == (
        stranger,
        "dossier_start_processing",
        False,
    )
    assert "own agency" in entry.message


def test_a_step_taken_by_a_command_is_audited_without_a_request(agency):
    """A management command (seed_demo) calls the services with an officer and no request."""
    officer = agency_staff(agency)
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.SUBMITTED)
    result = services.dossier_receive(dossier_id=dossier.pk, actor=officer)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.succeeded) == (officer, "dossier_receive", True)
    assert entry.changes == {"status": [S.SUBMITTED, S.RECEIVED], "expected_status": ""}
    assert entry.object_repr == result.dossier.code
    assert entry.ip_address is None


def test_a_refused_step_from_a_task_is_audited(agency, processing):
    """A task acts as the system (no actor): a refusal it meets is on record all the same."""
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_payment_settled(dossier_id=processing.pk)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.succeeded) == (None, "dossier_payment_settled", False)
    assert entry.message == str(refused.value)
    assert entry.changes["status"] == [S.PROCESSING, S.PROCESSING]


def test_a_step_done_by_a_task_is_audited(agency, processing):
    officer = agency_staff(agency)
    services.dossier_request_payment(dossier_id=processing.pk, actor=officer)
    services.dossier_payment_settled(dossier_id=processing.pk)  # the gateway's word, a task
    rows = list(AuditEntry.objects.order_by("pk").values_list("actor", "action", "succeeded"))
    assert rows == [
        (officer.pk, "dossier_request_payment", True),
        (None, "dossier_payment_settled", True),
    ]


def test_the_querysets_are_the_policy_s_scopes(agency, processing):
    from dossiers import policy

    officer = agency_staff(agency)
    draft = DossierFactory(procedure=processing.procedure, status=S.DRAFT)
    assert list(Dossier.objects.for_staff(officer)) == [processing]
    assert list(Dossier.objects.filter(policy.staff_scope(officer))) == [processing]
    assert list(Dossier.objects.for_citizen(draft.applicant)) == [draft]
    assert set(Dossier.objects.visible_to(draft.applicant)) == {draft}


def test_the_transition_asks_the_policy_again_under_the_row_lock(agency, processing):
    """The status the permission depends on is read again once the row is locked."""
    desk = agency_staff(agency, groups=(RECEPTION_GROUP,))
    with pytest.raises(services.StepForbidden):
        services.dossier_transition(
            dossier_id=processing.pk,
            to_status=S.REJECTED,
            role="staff",
            actor=desk,
            action="reject",
            ask_policy=True,
        )
    assert Dossier.objects.get(pk=processing.pk).status == S.PROCESSING
