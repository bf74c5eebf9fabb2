"""Redis (the Celery broker) down when a citizen submits: the submission commits, the citizen sees
success, and the acknowledgement email goes out once the broker is back, through the outbox
sweep, exactly once. The broker is really unreachable: Celery publishes to a closed port."""

import time
import uuid
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest

from accounts import tasks
from accounts.models import Notification, OutgoingEmail
from dossiers.constants import DossierStatus
from dossiers.models import Dossier, DossierEvent
from portal.celery import app as celery_app
from tests.dossiers.factories import (
    APPLICANT_FORM,
    PDF_BYTES,
    DossierComponentFactory,
    ProcedureFactory,
    UserFactory,
)


def _stale(email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )


@pytest.mark.django_db(transaction=True)
def test_submission_with_the_broker_down_commits_and_the_email_follows_once(
    client, dead_broker, mailoutbox, caplog
):
    procedure = ProcedureFactory(name="Cấp giấy phép bưu chính")
    component = DossierComponentFactory(procedure=procedure, required=True, file_types=["pdf"])
    citizen = UserFactory(email="an@example.com")
    client.force_login(citizen)
    data = {
        "form_token": str(uuid.uuid4()),
        "action": "submit",
        **APPLICANT_FORM,
        f"component_{component.pk}": SimpleUploadedFile("don.pdf", PDF_BYTES),
    }

    started = time.monotonic()
    response = client.post(reverse("dossiers:create", args=[procedure.slug]), data, follow=True)
    elapsed = time.monotonic() - started

    # The citizen sees success, at once: nothing waits for the broker.
    assert response.status_code == 200
    assert "Your dossier was sent" in response.content.decode()
    assert elapsed < 10
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.SUBMITTED
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    assert Notification.objects.filter(user=citizen).count() == 1  # on the personal page now
    email = OutgoingEmail.objects.get(user=citizen)
    assert email.status == "pending"
    assert email.last_queued_at is not None  # the hand-off was tried…
    assert email.attempts == 0  # …and never reached a worker
    assert f"broker unavailable; email {email.pk} left for the outbox sweep" in caplog.text
    assert mailoutbox == []

    # Redis is back (the fixture restores the broker when it ends; here, eager delivery).
    celery_app.conf.task_always_eager = True
    assert tasks.outbox_requeue_stale() == 0  # too recent: its hand-off may be in flight
    _stale(email)
    assert tasks.outbox_requeue_stale() == 1
    assert [m.to for m in mailoutbox] == [["an@example.com"]]
    assert "Cấp giấy phép bưu chính" in mailoutbox[0].body
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)

    # Later sweeps never send it again.
    _stale(email)
    assert tasks.outbox_requeue_stale() == 0
    assert len(mailoutbox) == 1


def test_the_dead_broker_is_really_used(dead_broker):
    """The fixture makes publishing fail for real (a connection error), quickly."""
    from accounts.tasks import send_email

    started = time.monotonic()
    with pytest.raises(Exception) as error:  # noqa: B017 (kombu's OperationalError or OSError)
        send_email.delay(0)
    assert "Connection refused" in str(error.value) or "111" in str(error.value)
    assert time.monotonic() - started < 10
