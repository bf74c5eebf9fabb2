"""Optional virus scanning of uploads by clamd, ClamAV's daemon (off by default).

`settings.CLAMD_URL` turns it on: ``tcp://127.0.0.1:3310`` or ``unix:///run/clamav/clamd.ctl``;
empty means no scanning. The file is streamed with clamd's ``INSTREAM`` command (4-byte
big-endian length, then the bytes; a zero length ends the stream) and clamd answers
``stream: OK`` or ``stream: <signature> FOUND``.

Fail-closed: when scanning is on and clamd cannot be reached, times out or answers anything else
(including "size limit exceeded"), `check` raises `ScannerUnavailable` and the upload rules
(core/uploads.py) refuse the file: an unscanned file is never accepted.
"""

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

CHUNK_SIZE = 64 * 1024
MAX_REPLY = 4096


class ScannerUnavailable(Exception):
    """clamd could not be reached or gave no usable answer."""


class MalwareFound(Exception):
    """clamd found malware in the file; `signature` is its name."""

    def __init__(self, signature: str):
        super().__init__(signature)
        self.signature = signature


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # the malware's name when not clean


def is_enabled() -> bool:
    return bool(settings.CLAMD_URL)


def _connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
            return sock
        if parts.scheme == "tcp" and parts.hostname:
            return socket.create_connection((parts.hostname, parts.port or 3310), timeout=timeout)
    except OSError as exc:
        raise ScannerUnavailable(f"cannot connect to clamd at {url}: {exc}") from exc
    raise ScannerUnavailable(f"CLAMD_URL must be tcp://host:port or unix:///path, not {url!r}")


def _chunks(fileobj):
    if hasattr(fileobj, "chunks"):
        yield from fileobj.chunks(CHUNK_SIZE)
        return
    while chunk := fileobj.read(CHUNK_SIZE):
        yield chunk


def _read_reply(sock: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0") and len(reply) < MAX_REPLY:
        data = sock.recv(1024)
        if not data:
            break
        reply += data
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def scan(fileobj) -> ScanResult:
    """Send the whole file to clamd and return its verdict; the file is rewound afterwards.

    Raises `ScannerUnavailable` when clamd is unreachable, too slow (`CLAMD_TIMEOUT`) or answers
    with an error.
    """
    url = settings.CLAMD_URL
    fileobj.seek(0)
    try:
        with _connect(url, settings.CLAMD_TIMEOUT) as sock:
            try:
                sock.sendall(b"zINSTREAM\0")
                for chunk in _chunks(fileobj):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stopped reading (its stream limit): its reply says why
            reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {url}: {exc}") from exc
    finally:
        fileobj.seek(0)
    if reply.endswith(" OK"):
        return ScanResult(clean=True)
    if reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream:").removesuffix("FOUND").strip()
        return ScanResult(clean=False, signature=signature)
    raise ScannerUnavailable(f"clamd at {url} answered {reply[:200]!r}")


def check(fileobj) -> None:
    """Nothing when scanning is off or the file is clean.

    Raises `MalwareFound` when clamd names malware in the file, and `ScannerUnavailable` when
    scanning is on but clamd cannot give a verdict (the caller refuses the file: fail-closed).
    """
    if not is_enabled():
        return
    result = scan(fileobj)
    if not result.clean:
        raise MalwareFound(result.signature)
