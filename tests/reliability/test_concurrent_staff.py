"""Two officers act on one dossier at the same instant (PostgreSQL, real threads, the admin):
one wins, the other is told clearly, and both attempts are in the staff audit log."""

import threading

from django.db import connection
from django.test import Client

import pytest

from accounts.models import AuditEntry
from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import Dossier, DossierEvent
from tests.dossiers.factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff

S = DossierStatus


@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_one_wins_and_both_attempts_are_audited(postgres, settings):
    settings.STAFF_MFA_REQUIRED = False
    agency = AgencyFactory(code="VBC")
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.SUBMITTED)
    officers = [agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP)) for _ in range(2)]
    steps = [
        ("receive", {"expected_status": S.SUBMITTED}),
        ("reject", {"expected_status": S.SUBMITTED, "reason": "Hồ sơ không đúng thẩm quyền."}),
    ]
    clients = []
    for officer in officers:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(officer)
        clients.append(client)
    barrier = threading.Barrier(2)
    pages: dict[int, str] = {}
    errors: list[BaseException] = []

    def act(n: int) -> None:
        step, data = steps[n]
        try:
            barrier.wait(timeout=10)
            response = clients[n].post(
                f"/admin/dossiers/dossier/{dossier.pk}/step/{step}/", data, follow=True
            )
            assert response.status_code == 200
            pages[n] = response.content.decode()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    final = Dossier.objects.get(pk=dossier.pk).status
    assert final in (S.RECEIVED, S.REJECTED)
    winner = 0 if final == S.RECEIVED else 1
    loser = 1 - winner
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    assert "someone else acted on it" in pages[loser]
    assert "Reload the page" in pages[loser]
    assert "someone else acted on it" not in pages[winner]

    entries = {e.actor_id: e for e in AuditEntry.objects.filter(object_id=str(dossier.pk))}
    assert len(entries) == 2
    won, lost = entries[officers[winner].pk], entries[officers[loser].pk]
    assert (won.action, won.succeeded) == (f"dossier_{steps[winner][0]}", True)
    assert won.changes["status"] == [S.SUBMITTED, final]
    assert (lost.action, lost.succeeded) == (f"dossier_{steps[loser][0]}", False)
    assert "someone else acted on it" in lost.message
