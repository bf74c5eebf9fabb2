"""The optional virus scan (core.antivirus): clamd's INSTREAM protocol, off by default,
fail-closed when on and unreachable. A tiny fake clamd on loopback plays the daemon."""

import socket
import struct
import threading

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from core import antivirus
from core.uploads import UploadRejected, check_file
from tests.conftest import free_port
from tests.dossiers.factories import PDF_BYTES

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    """Speaks enough of clamd: reads "zINSTREAM\\0" and the chunks, answers like clamd."""

    def __init__(self, *, unix_path: str = ""):
        if unix_path:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(unix_path)
            self.url = f"unix://{unix_path}"
        else:
            self.server = socket.socket()
            self.server.bind(("127.0.0.1", 0))
            self.url = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        self.server.listen(4)
        self.received: list[bytes] = []
        self.commands: list[bytes] = []
        self.reply: bytes | None = None  # None: the verdict on the bytes (EICAR → FOUND)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exactly(self, conn, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = conn.recv(n - len(data))
            if not part:
                raise ConnectionError("client closed early")
            data += part
        return data

    def _serve(self):
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                self.commands.append(command)
                stream = b""
                while True:
                    (length,) = struct.unpack("!L", self._read_exactly(conn, 4))
                    if length == 0:
                        break
                    stream += self._read_exactly(conn, length)
                self.received.append(stream)
                if self.reply is not None:
                    answer = self.reply
                elif EICAR in stream:
                    answer = b"stream: Eicar-Signature FOUND"
                else:
                    answer = b"stream: OK"
                conn.sendall(answer + b"\0")

    def close(self):
        self.server.close()


@pytest.fixture
def clamd(settings):
    server = FakeClamd()
    settings.CLAMD_URL = server.url
    settings.CLAMD_TIMEOUT = 5
    yield server
    server.close()


def _pdf(data: bytes = PDF_BYTES, name: str = "don.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_scanning_is_off_by_default(settings):
    assert settings.CLAMD_URL == ""
    assert not antivirus.is_enabled()
    # Nothing listens anywhere, and the upload is still accepted: no scan was attempted.
    assert check_file(_pdf(), file_types=["pdf"]).kind == "pdf"


def test_a_clean_file_is_streamed_in_chunks_and_accepted(clamd, monkeypatch):
    monkeypatch.setattr(antivirus, "CHUNK_SIZE", 100)
    data = PDF_BYTES + b"%" * 1000  # several chunks
    checked = check_file(_pdf(data), file_types=["pdf"])
    assert checked.kind == "pdf"
    assert clamd.commands == [b"zINSTREAM\0"]
    assert clamd.received == [data]  # the whole file, reassembled from its chunks


def test_a_file_with_a_virus_is_refused_with_its_name(clamd):
    infected = PDF_BYTES + EICAR
    with pytest.raises(UploadRejected, match="Eicar-Signature"):
        check_file(_pdf(infected), file_types=["pdf"])
    assert clamd.received == [infected]


def test_the_scanner_client_raises_its_own_exceptions(clamd, settings):
    """core.antivirus knows no upload rule: the upload checks turn these into UploadRejected."""
    antivirus.check(_pdf())  # clean: nothing
    with pytest.raises(antivirus.MalwareFound) as found:
        antivirus.check(_pdf(PDF_BYTES + EICAR))
    assert found.value.signature == "Eicar-Signature"
    settings.CLAMD_URL = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(antivirus.ScannerUnavailable):
        antivirus.check(_pdf())


def test_the_scan_rewinds_the_file_for_storage(clamd):
    upload = _pdf()
    result = antivirus.scan(upload)
    assert result == antivirus.ScanResult(clean=True)
    assert upload.read() == PDF_BYTES


def test_unreachable_scanner_refuses_the_upload(settings):
    settings.CLAMD_URL = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    settings.CLAMD_TIMEOUT = 2
    with pytest.raises(UploadRejected, match="Virus scanning is unavailable"):
        check_file(_pdf(), file_types=["pdf"])


@pytest.mark.parametrize(
    "reply", [b"INSTREAM size limit exceeded. ERROR", b"", b"UNKNOWN COMMAND"], ids=repr
)
def test_an_error_or_odd_answer_refuses_the_upload(clamd, reply):
    clamd.reply = reply
    with pytest.raises(UploadRejected, match="Virus scanning is unavailable"):
        check_file(_pdf(), file_types=["pdf"])


def test_a_scanner_that_never_answers_times_out_and_refuses(settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection (backlog) but never reads or answers
    settings.CLAMD_URL = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
    settings.CLAMD_TIMEOUT = 0.5
    try:
        with pytest.raises(UploadRejected, match="Virus scanning is unavailable"):
            check_file(_pdf(), file_types=["pdf"])
    finally:
        silent.close()


def test_a_unix_socket_scanner(settings, tmp_path):
    server = FakeClamd(unix_path=str(tmp_path / "clamd.sock"))
    settings.CLAMD_URL = server.url
    settings.CLAMD_TIMEOUT = 5
    try:
        assert check_file(_pdf(), file_types=["pdf"]).kind == "pdf"
        with pytest.raises(UploadRejected, match="Eicar"):
            check_file(_pdf(PDF_BYTES + EICAR), file_types=["pdf"])
    finally:
        server.close()


def test_a_malformed_setting_refuses_rather_than_skipping_the_scan(settings):
    settings.CLAMD_URL = "clamd.local:3310"
    with pytest.raises(UploadRejected, match="Virus scanning is unavailable"):
        check_file(_pdf(), file_types=["pdf"])


@pytest.mark.django_db
def test_an_infected_file_in_the_dossier_form_is_refused_and_nothing_is_kept(clamd, client):
    from django.urls import reverse

    from dossiers.models import Attachment, Dossier
    from tests.dossiers.factories import DossierComponentFactory, ProcedureFactory, UserFactory

    procedure = ProcedureFactory()
    component = DossierComponentFactory(procedure=procedure, required=True, file_types=["pdf"])
    client.force_login(UserFactory())
    response = client.post(
        reverse("dossiers:create", args=[procedure.slug]),
        {
            "form_token": "0b9f8c3e-1d2a-4c5b-8e7f-112233445566",
            "action": "save",
            f"component_{component.pk}": _pdf(PDF_BYTES + EICAR, "don-nhiem.pdf"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "don-nhiem.pdf: The file contains a virus" in response.content.decode()
    assert Dossier.objects.get().status == "draft"
    assert not Attachment.objects.exists()
