"""A real Celery worker over Redis delivers a real email to a real SMTP server on loopback."""

import os
import subprocess
import time
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

from django.conf import settings
from django.db import connection

import pytest

from accounts import services
from accounts.models import OutgoingEmail
from portal.celery import app as celery_app
from tests.conftest import celery_worker_argv, free_port

from .factories import UserFactory

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("celery-worker")]


def _worker_env(smtp_port: int, redis_url: str) -> dict:
    db = connection.settings_dict
    env = {**os.environ}
    env.update(
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        CELERY_TASK_ALWAYS_EAGER="false",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def _start_worker(log_path: Path, smtp_port: int, redis_url: str):
    """A real worker process sending mail to `smtp_port`; its output goes to `log_path`."""
    log = log_path.open("w")
    worker = subprocess.Popen(
        celery_worker_argv(),
        cwd=Path(settings.BASE_DIR),
        env=_worker_env(smtp_port, redis_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return worker, log


def _wait_for(predicate, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.django_db(transaction=True)
def test_real_worker_delivers_email_and_retries_while_smtp_is_down(
    postgres, redis_url, smtp_sink, tmp_path
):
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    down_port = free_port()  # nothing listens here yet: SMTP is "down" for the second email
    worker, log = _start_worker(tmp_path / "worker.log", smtp_sink.port, redis_url)
    try:
        user = UserFactory(language="vi")
        services.user_account_activated(user=user)  # commits → queued on Redis
        sent = _wait_for(lambda: OutgoingEmail.objects.filter(user=user, status="sent").exists())
        assert sent, (tmp_path / "worker.log").read_text()[-3000:]
        assert len(smtp_sink.messages) == 1
        message = smtp_sink.messages[0]
        assert message.rcpt_tos == [user.email]
        # Vietnamese text travels base64-encoded: read the decoded plain-text part.
        parsed = message_from_bytes(message.content, policy=email_policy.default)
        assert "/accounts/login/" in parsed.get_body(("plain",)).get_content()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        log.close()

    # Second worker whose SMTP server is down at first: the task retries with backoff and the
    # email is delivered exactly once when the server comes up.
    from aiosmtpd.controller import Controller

    worker, log = _start_worker(tmp_path / "worker2.log", down_port, redis_url)
    controller = None
    try:
        email = services.email_queue_message(
            to="late@example.com", subject="Thư gửi lại", body_text="B"
        )
        failed_once = _wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).attempts >= 1, 30)
        assert failed_once, (tmp_path / "worker2.log").read_text()[-3000:]
        controller = Controller(type(smtp_sink)(), hostname="127.0.0.1", port=down_port)
        controller.start()
        delivered = _wait_for(lambda: OutgoingEmail.objects.get(pk=email.pk).status == "sent", 40)
        assert delivered, (tmp_path / "worker2.log").read_text()[-3000:]
        assert len(controller.handler.messages) == 1
        assert OutgoingEmail.objects.get(pk=email.pk).attempts >= 2
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        log.close()
        if controller is not None:
            controller.stop()
        celery_app.conf.task_always_eager = True
