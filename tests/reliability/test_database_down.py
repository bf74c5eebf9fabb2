"""PostgreSQL unreachable: a translated 503 page, never a traceback; nothing half-written; the
next request after it returns succeeds, with no restart.

The portal reaches the test database through a TCP forwarder on loopback that the test cuts and
restores (the machine's PostgreSQL itself keeps running for everyone else). The requests go
through Django's WSGI handler in this thread, as a gunicorn worker runs them.
"""

import contextlib
import selectors
import socket
import threading
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

import pytest

from dossiers.models import Attachment, Dossier
from tests.dossiers.factories import (
    APPLICANT_FORM,
    PDF_BYTES,
    DossierComponentFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Forwarder:
    """Forwards loopback TCP connections to PostgreSQL until cut.

    `cut()` closes every forwarded connection and closes each new one at once, as a database
    that went away; `restore()` forwards again. `cut_when(marker)` cuts as soon as a client
    sends bytes containing `marker` (a statement), before PostgreSQL sees them.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.down = False
        self.marker: bytes | None = None
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            try:
                while True:
                    for key, _events in selector.select():
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            raise ConnectionError
                        if key.fileobj is client and self.marker and self.marker in data:
                            self.marker = None
                            self.cut()
                            raise ConnectionError
                        key.data.sendall(data)
            except OSError:
                self._close(client, server)

    def _close(self, client: socket.socket, server: socket.socket) -> None:
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut(self) -> None:
        self.down = True
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            self._close(client, server)

    def cut_when(self, marker: bytes) -> None:
        self.marker = marker

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.running = False
        self.cut()
        self.listener.close()


@pytest.fixture
def forwarder(postgres, settings) -> Iterator[Forwarder]:
    """The portal's database connection goes through a forwarder the test controls."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    db = connection.settings_dict
    saved = (db["HOST"], db["PORT"])
    proxy = Forwarder(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    connection.close()
    db["HOST"], db["PORT"] = "127.0.0.1", str(proxy.port)
    try:
        yield proxy
    finally:
        proxy.restore()
        connection.close()
        db["HOST"], db["PORT"] = saved
        proxy.close()


def _call(environ: dict) -> tuple[int, dict, str]:
    """One request through the WSGI handler, start to finish (request_started/finished)."""
    answer: list = []
    body = WSGIHandler()(
        environ, lambda status, headers, exc_info=None: answer.extend([status, headers])
    )
    try:
        content = b"".join(body).decode()
    finally:
        body.close()
    return int(answer[0].split()[0]), dict(answer[1]), content


def _get(path: str, language: str = "en", cookies: str = "") -> tuple[int, dict, str]:
    extra = {"HTTP_ACCEPT_LANGUAGE": language}
    if cookies:
        extra["HTTP_COOKIE"] = cookies
    return _call(RequestFactory().get(path, **extra).environ)


def _is_the_503_page(status: int, headers: dict, html: str, *, title: str) -> bool:
    return (
        status == 503
        and headers.get("Retry-After") == "30"
        and "no-store" in headers.get("Cache-Control", "")
        and f"<h1>{title}</h1>" in html
        and "Traceback" not in html
        and "OperationalError" not in html
    )


def test_pages_answer_a_translated_503_and_recover_without_a_restart(forwarder):
    ProcedureFactory(name="Cấp phép thiết lập mạng viễn thông")
    assert _get("/procedures/?q=mang")[0] == 200

    forwarder.cut()
    for path in (
        "/procedures/?q=vien",
        "/lookup/?code=VBC-260101-0001",
        "/statistics/?from=2025-01",
    ):
        status, headers, html = _get(path)
        assert _is_the_503_page(status, headers, html, title="Service temporarily unavailable"), (
            path,
            status,
            html[:500],
        )
        assert '<html lang="en">' in html and 'class="site-header"' in html  # the portal's layout
    status, headers, html = _get("/procedures/?q=thong", language="vi")
    assert _is_the_503_page(status, headers, html, title="Hệ thống tạm thời gián đoạn")
    assert "Chưa có thông tin nào của yêu cầu này được lưu" in html

    forwarder.restore()
    status, _headers, html = _get("/procedures/?q=thiet")
    assert status == 200
    assert "Cấp phép thiết lập mạng viễn thông" in html


def test_a_signed_in_page_answers_503_too(client, forwarder):
    user = UserFactory()
    client.force_login(user)  # a session row, through the forwarder
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    assert _get("/me/", cookies=cookie)[0] == 200

    forwarder.cut()
    status, headers, html = _get("/me/dossiers/", cookies=cookie)
    assert _is_the_503_page(status, headers, html, title="Service temporarily unavailable")

    forwarder.restore()
    assert _get("/me/dossiers/", cookies=cookie)[0] == 200


@pytest.fixture
def applying():
    """A signed-in citizen's client (errors answered as in production) and a procedure with two
    required components."""
    procedure = ProcedureFactory(name="Cấp giấy phép bưu chính")
    components = [
        DossierComponentFactory(procedure=procedure, file_types=["pdf"]) for _ in range(2)
    ]
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory())
    return client, procedure, components


def _submit(client: Client, procedure, components):
    return client.post(
        reverse("dossiers:create", args=[procedure.slug]),
        {
            "form_token": str(uuid.uuid4()),
            "action": "submit",
            **APPLICANT_FORM,
            **{
                f"component_{c.pk}": SimpleUploadedFile(f"don-{c.pk}.pdf", PDF_BYTES)
                for c in components
            },
        },
    )


def test_a_submission_cut_off_mid_transaction_leaves_nothing_behind(applying, forwarder):
    client, procedure, components = applying

    # The connection drops as the first file's row is sent: the dossier row went before it in
    # the same transaction, and the file itself is already in storage.
    forwarder.cut_when(b'INSERT INTO "dossiers_attachment"')
    response = _submit(client, procedure, components)

    assert _is_the_503_page(
        response.status_code,
        dict(response.headers),
        response.text,
        title="Service temporarily unavailable",
    )
    forwarder.restore()
    connection.close()  # this test's own connection went down with the request's
    assert not Dossier.objects.exists()
    assert not Attachment.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]  # no orphan file

    # PostgreSQL is back: the same form, sent again, goes through.
    response = _submit(client, procedure, components)
    assert response.status_code == 302
    assert Dossier.objects.get().attachments.count() == 2
