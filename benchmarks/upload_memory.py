"""Peak memory of a 50 MB upload through the real dossier form (not part of the test suite).

Runs the portal under gunicorn on 127.0.0.1 with a throw-away SQLite database and media folder,
signs a citizen in, then streams a 50 MB PDF to the dossier form over a plain HTTP connection
(the client never holds the file either). The worker's peak resident memory is reset just
before the upload (Linux /proc/<pid>/clear_refs) and read just after (VmHWM): the difference is
what the upload cost. Django streams uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary
file, the dossier view hashes and checks it in chunks and the storage moves it, so the growth
should stay at a few MB whatever the file size.

    .venv/bin/python benchmarks/upload_memory.py [--size-mb 50]

A control run follows with uploads kept in memory (FILE_UPLOAD_MAX_MEMORY_SIZE raised above the
file size): its growth, about the file size, shows the measurement would see a whole upload
held in memory.
"""

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHUNK = 64 * 1024

SETUP = """
import json
from django.test import Client
from accounts.models import User
from procedures.models import Agency, DossierComponent, Field, Procedure
user = User.objects.create_user("bench@example.com", "x", full_name="Nguyễn Văn Đo")
agency = Agency.objects.create(code="BENCH", name="Cơ quan đo")
field = Field.objects.create(slug="do-luong", name="Đo lường")
procedure = Procedure.objects.create(
    national_code="0.000001", slug="do-bo-nho", name="Đo bộ nhớ", field=field, agency=agency
)
component = DossierComponent.objects.create(
    procedure=procedure, name="Tệp lớn", file_types=["pdf"], max_size_mb=64, required=True
)
client = Client()
client.force_login(user)
print(json.dumps({"session": client.cookies["sessionid"].value, "slug": procedure.slug,
                  "component": component.pk}))
"""

CHECK = """
import json
from dossiers.models import Attachment
a = Attachment.objects.order_by("-id").first()
print(json.dumps({"size": a.size if a else None, "sha256": a.sha256 if a else None}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def worker_pid(master: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn worker did not start")


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def manage(env: dict, *args: str, code: str | None = None) -> str:
    command = [PYTHON, "manage.py", *args]
    if code is not None:
        command += ["-c", code]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300
    )
    return done.stdout


def post_file(port: int, *, slug: str, component: int, session: str, size: int) -> tuple:
    """Stream a multipart POST with a `size`-byte PDF; returns (status, location, seconds)."""
    boundary = uuid.uuid4().hex
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    fields = {
        "csrfmiddlewaretoken": csrf,
        "form_token": str(uuid.uuid4()),
        "action": "save",
        "applicant_type": "person",
        "applicant_name": "Nguyễn Văn Đo",
    }
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="component_{component}"; '
        f'filename="tep-lon.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pdf_head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.monotonic()
    conn.putrequest("POST", f"/me/dossiers/new/{slug}/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
    conn.endheaders()
    conn.send(head + pdf_head)
    remaining = size - len(pdf_head)
    block = b"0" * CHUNK
    while remaining > 0:
        piece = block if remaining >= CHUNK else block[:remaining]
        conn.send(piece)
        remaining -= len(piece)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    elapsed = time.monotonic() - started
    conn.close()
    return response.status, response.getheader("Location", ""), elapsed


def measure(*, size_mb: int, in_memory: bool) -> dict:
    """Start a server, upload `size_mb` MB once, return the worker's memory figures."""
    size = size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "MEDIA_ROOT": f"{tmp}/media",
            "FILE_UPLOAD_TEMP_DIR": tmp,
            "UPLOAD_MAX_SIZE_MB": str(size_mb + 14),
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "memory://",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("DJANGO_PRODUCTION", None)
        if in_memory:
            Path(tmp, "bench_in_memory_settings.py").write_text(
                "from portal.settings import *  # noqa: F403\n"
                "FILE_UPLOAD_MAX_MEMORY_SIZE = 1 << 30\n"
            )
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [tmp, env.get("PYTHONPATH")]))
            env["DJANGO_SETTINGS_MODULE"] = "bench_in_memory_settings"
        manage(env, "migrate", "--no-input", "-v", "0")
        info = json.loads(manage(env, "shell", "-v", "0", code=SETUP).strip().splitlines()[-1])

        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "300",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            worker = worker_pid(server.pid)
            # Warm-up: every module the upload path imports is loaded before measuring.
            post_file(port, **info, size=300 * 1024)
            baseline = status_kb(worker, "VmRSS")
            try:
                Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak (VmHWM)
                reset = True
            except OSError:
                reset = False
            status, location, seconds = post_file(port, **info, size=size)
            peak = status_kb(worker, "VmHWM")
            after = status_kb(worker, "VmRSS")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        stored = json.loads(manage(env, "shell", "-v", "0", code=CHECK).strip().splitlines()[-1])
    return {
        "size": size,
        "status": status,
        "location": location,
        "seconds": seconds,
        "stored": stored,
        "baseline_kb": baseline,
        "peak_kb": peak,
        "after_kb": after,
        "reset": reset,
        "growth_mb": (peak - baseline) / 1024,
    }


def report(title: str, m: dict) -> None:
    print(f"--- {title}")
    print(f"response:           {m['status']} {m['location']} in {m['seconds']:.1f} s")
    print(f"stored attachment:  {m['stored']['size']} bytes, sha256 {m['stored']['sha256']}")
    print(
        f"worker RSS:         {m['baseline_kb'] / 1024:.1f} MB before, peak "
        f"{m['peak_kb'] / 1024:.1f} MB during, {m['after_kb'] / 1024:.1f} MB after"
        + ("" if m["reset"] else " (peak could not be reset: includes earlier peaks)")
    )
    print(f"peak growth:        {m['growth_mb']:.2f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--no-control", action="store_true", help="skip the in-memory control")
    args = parser.parse_args()

    real = measure(size_mb=args.size_mb, in_memory=False)
    report(f"{args.size_mb} MB upload through the dossier form (portal settings)", real)
    if not args.no_control:
        control = measure(size_mb=args.size_mb, in_memory=True)
        report(
            "control: the same upload held in memory (FILE_UPLOAD_MAX_MEMORY_SIZE = 1 GB)", control
        )
    ok = (
        real["status"] == 302
        and real["stored"]["size"] == real["size"]
        and real["growth_mb"] < args.size_mb / 4
    )
    print(
        f"result: {'OK' if ok else 'NOT OK'} — peak growth {real['growth_mb']:.2f} MB for a "
        f"{args.size_mb} MB file"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
