"""SMTP down when an email is due (here: an officer receives a dossier): the action succeeds, the
email waits in the outbox, and it is sent exactly once when SMTP is back. Real SMTP on loopback:
a closed port first, then a server. Tasks run eagerly here (no broker): one try, no retries
inside the request (a silent server: test_smtp_silent.py).

A real Celery worker over Redis retrying with a growing delay: tests/accounts/test_celery_worker.py."""

from datetime import timedelta

from django.utils import timezone

import pytest

from accounts import outbox, tasks
from accounts.models import OutgoingEmail
from dossiers.constants import DossierStatus
from dossiers.groups import RECEPTION_GROUP
from tests.conftest import free_port
from tests.dossiers.factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff


def _smtp(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.mark.django_db(transaction=True)
def test_smtp_down_the_step_succeeds_and_the_email_is_sent_once_later(
    client, settings, smtp_sink, monkeypatch
):
    settings.STAFF_MFA_REQUIRED = False
    _smtp(settings, free_port())  # nothing listens: SMTP is down
    retries: list[int] = []

    def spy(*args, **kwargs):
        retries.append(kwargs["countdown"])
        raise AssertionError("no retry inside the request")

    monkeypatch.setattr(tasks.send_email, "retry", spy)
    agency = AgencyFactory(code="VBC")
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency), status=DossierStatus.SUBMITTED
    )
    client.force_login(agency_staff(agency, groups=(RECEPTION_GROUP,)))

    response = client.post(
        f"/admin/dossiers/dossier/{dossier.pk}/step/receive/",
        {"expected_status": DossierStatus.SUBMITTED},
        follow=True,
    )

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED  # the action succeeded
    assert f"Received: code {dossier.code}" in response.content.decode()
    email = OutgoingEmail.objects.get(user=dossier.applicant)
    assert email.status == "pending"
    assert email.attempts == 1
    assert "refused" in email.last_error.lower() or "111" in email.last_error
    assert retries == []

    _smtp(settings, smtp_sink.port)  # SMTP is back
    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.outbox_requeue_stale() == 1
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0].rcpt_tos == [dossier.applicant.email]
    assert dossier.code.encode() in smtp_sink.messages[0].content
    email.refresh_from_db()
    assert email.status == "sent"

    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.outbox_requeue_stale() == 0
    assert outbox.email_deliver(email_id=email.pk) is False
    assert len(smtp_sink.messages) == 1  # never twice
