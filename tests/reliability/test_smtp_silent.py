"""Eager Celery (no broker) and a mail server that accepts the connection but never answers.

A password-reset request tries to send once, gives up after the SMTP timeout and answers: no
retries run inside the request. The email waits in the outbox, and `manage.py send_outbox`
sends it once a mail server answers. Real sockets on loopback: a silent TCP server, then a real
SMTP server (aiosmtpd).
"""

import socket
import threading
import time
from email import message_from_bytes
from email import policy as email_policy

from django.core.management import CommandError, call_command

import pytest

from accounts.models import OutgoingEmail
from portal.celery import app as celery_app
from tests.accounts.factories import UserFactory

SMTP_TIMEOUT = 1.0


class SilentServer:
    """Accepts TCP connections on loopback, counts them, and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return  # closed
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def silent_smtp():
    server = SilentServer()
    yield server
    server.close()


def _smtp(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": SMTP_TIMEOUT},
        }
    }


@pytest.mark.django_db(transaction=True)
def test_a_silent_mail_server_costs_one_timeout_and_the_email_waits_in_the_outbox(
    client, settings, silent_smtp, smtp_sink
):
    assert celery_app.conf.task_always_eager  # no broker: tasks run inside the request
    _smtp(settings, silent_smtp.port)
    user = UserFactory(email="quen.matkhau@example.com")

    started = time.monotonic()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    elapsed = time.monotonic() - started

    assert response.status_code == 302  # "we sent you an email"
    assert len(silent_smtp.connections) == 1  # one try, no retries inside the request
    assert elapsed < 10  # inline retries would take 11 timeouts at least
    email = OutgoingEmail.objects.get(to=user.email)
    assert (email.status, email.attempts) == ("pending", 1)
    assert "timed out" in email.last_error

    # Still silent: the command tries once more, keeps the email and says so.
    with pytest.raises(CommandError, match="1 email"):
        call_command("send_outbox")
    assert len(silent_smtp.connections) == 2
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 2)

    _smtp(settings, smtp_sink.port)  # a mail server that answers
    call_command("send_outbox")
    email.refresh_from_db()
    assert email.status == "sent"
    assert [m.rcpt_tos for m in smtp_sink.messages] == [[user.email]]
    parsed = message_from_bytes(smtp_sink.messages[0].content, policy=email_policy.default)
    assert "/accounts/password/reset/key/" in parsed.get_body(("plain",)).get_content()

    call_command("send_outbox")  # nothing left: nothing sent twice
    assert len(smtp_sink.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_send_outbox_moves_on_after_a_refused_recipient(settings, smtp_sink):
    from accounts import outbox

    class RefusingSink(type(smtp_sink)):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("khong.ton.tai"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    handler = RefusingSink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        _smtp(settings, controller.port)
        for to in ("khong.ton.tai@example.com", "co.that@example.com"):
            OutgoingEmail.objects.create(to=to, subject="Thông báo", body_text="B")
        assert outbox.outbox_deliver_pending() == (1, 1)
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in handler.messages] == [["co.that@example.com"]]
    assert OutgoingEmail.objects.get(status="pending").to == "khong.ton.tai@example.com"
