"""The email outbox: sent after commit, retried while SMTP fails, never lost, never twice."""

import smtplib
from datetime import timedelta

from django.core import mail
from django.db import transaction
from django.utils import timezone

import pytest
from celery.exceptions import Retry
from kombu.exceptions import OperationalError

from accounts import outbox, services, tasks
from accounts.models import OutgoingEmail

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_queued_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.email_queue_message(to="a@example.com", subject="S", body_text="B")
    assert len(callbacks) == 1
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert [m.subject for m in mailoutbox] == ["S"]


@pytest.mark.django_db(transaction=True)
def test_task_queued_in_a_transaction_that_rolls_back_never_runs(mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.email_queue_message(to="a@example.com", subject="Rolled back", body_text="B")
        raise RuntimeError("the action failed")
    assert OutgoingEmail.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_send_time_loses_nothing_and_the_sweep_sends_once(monkeypatch, mailoutbox):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_email, "delay", broker_down)
    email = services.email_queue_message(to="a@example.com", subject="Hồ sơ", body_text="B")
    email.refresh_from_db()
    assert email.status == "pending"
    assert mailoutbox == []

    monkeypatch.undo()
    # A sweep right away leaves it alone (its hand-off may still be in flight)...
    assert tasks.outbox_requeue_stale() == 0
    # ...but once it is stale, the sweep queues it again and it is sent exactly once.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.outbox_sweep.delay().get() == 1
    assert [m.subject for m in mailoutbox] == ["Hồ sơ"]
    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.outbox_requeue_stale() == 0
    assert len(mailoutbox) == 1


def test_smtp_failure_is_recorded_and_raised_for_retry_then_sent_once(monkeypatch, mailoutbox):
    email = OutgoingEmail.objects.create(to="a@example.com", subject="S", body_text="B")
    real_send = mail.EmailMultiAlternatives.send

    def smtp_down(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", smtp_down)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        outbox.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert "unexpectedly closed" in email.last_error

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", real_send)
    assert outbox.email_deliver(email_id=email.pk) is True
    assert outbox.email_deliver(email_id=email.pk) is False  # already sent: nothing happens
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(mailoutbox) == 1


def _smtp_busy(calls: list):
    def flaky(*, email_id):
        calls.append(email_id)
        raise smtplib.SMTPConnectError(421, "try later")

    return flaky


def test_a_worker_retries_smtp_errors_with_a_growing_delay(monkeypatch):
    """With a broker, the worker retries: 5 s, 10 s, 20 s … capped at ten minutes (a real worker
    retrying a real SMTP outage: tests/accounts/test_celery_worker.py)."""
    email = OutgoingEmail.objects.create(to="a@example.com", subject="S", body_text="B")
    calls: list[int] = []
    monkeypatch.setattr(outbox, "email_deliver", _smtp_busy(calls))
    countdowns = []

    def retry(*, exc, countdown):
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks.send_email, "retry", retry)
    for retries in range(tasks.send_email.max_retries + 1):
        tasks.send_email.push_request(is_eager=False, retries=retries)
        try:
            with pytest.raises(Retry):
                tasks.send_email.run(email.pk)
        finally:
            tasks.send_email.pop_request()
    assert countdowns == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]
    assert len(calls) == tasks.send_email.max_retries + 1


def test_run_eagerly_a_failed_send_is_tried_once_and_left_in_the_outbox(monkeypatch):
    """Without a broker the task runs inside the request: retrying there would hold the request
    for every backoff, so the email waits for the sweep or `manage.py send_outbox`."""
    email = OutgoingEmail.objects.create(to="a@example.com", subject="S", body_text="B")
    calls: list[int] = []
    monkeypatch.setattr(outbox, "email_deliver", _smtp_busy(calls))
    result = tasks.send_email.apply(args=[email.pk])
    assert calls == [email.pk]
    assert result.successful() and result.result is False
    email.refresh_from_db()
    assert email.status == "pending"


def test_user_notify_renders_in_the_users_language(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.user_notify(user=user, template="account_activated", context={"login_url": "/x"})
    assert mailoutbox[0].subject == "Your account is active"
    assert user.notifications.get().title == "Your account is active"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_html_email_names_its_language_and_title(language, mailoutbox):
    """Screen readers read an HTML email in the language its lang attribute names."""
    _subject, _text, html = services.email_render(
        template="account_activated",
        context={"user": UserFactory(language=language), "login_url": "/x"},
        language=language,
    )
    assert f'<html lang="{language}">' in html
    assert "<title>Cổng Dịch vụ công</title>" in html
