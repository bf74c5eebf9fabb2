"""The benchmark's machinery: gunicorn on a free loopback port, plain GETs, wrk runs.

Django is not set up here: the server is a separate process, wrk another.
"""

import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.settings import BENCH_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving a WSGI application on a free loopback port: the portal with the
    benchmark settings, or one of the reference projects (`benchmarks/reference/`), always with
    the same gunicorn settings."""

    def __init__(
        self,
        args,
        app: str = "portal.wsgi:application",
        settings: str = "benchmarks.settings",
    ):
        self.args = args
        self.app = app
        self.settings = settings
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-{self.port}.log"

    def environment(self) -> dict:
        """The environment as `benchmarks.settings` completed it, with the benchmark's musts."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings,
            "DEBUG": "false",
            "DJANGO_PRODUCTION": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "STAFF_MFA_REQUIRED": BENCH_DEFAULTS["STAFF_MFA_REQUIRED"],
            "LOOKUP_RATE_LIMIT": BENCH_DEFAULTS["LOOKUP_RATE_LIMIT"],
        }

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            self.app,
            "--config",
            "python:portal.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            self.args.worker_class,
            "--threads",
            str(self.args.threads),
            "--timeout",
            "120",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ]
        log(f"starting {' '.join(command[1:])}")
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 (fixed command line)
            command,
            cwd=ROOT,
            env=self.environment(),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {self.log_path}")
            try:
                if get(self.base + "/bench/hello")[0] == 200 and len(self.workers()) >= 1:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within 60 s: see {self.log_path}")

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        log(f"stopping gunicorn (pid {self.process.pid})")
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log_file.close()
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size == 0:
                self.log_path.unlink()  # kept only when gunicorn had something to say


def get(url: str, cookie: str | None = None) -> tuple[int, bytes, dict]:
    """One GET without following redirects: (status, body, headers)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers or {})


# --- wrk ---------------------------------------------------------------------------------------


def _cpu_ticks() -> tuple[int, int]:
    """(busy, stolen) CPU time of the whole machine since boot, in clock ticks (/proc/stat).

    Busy is user + nice + system + irq + softirq; stolen is the time the hypervisor ran
    something else while this machine wanted the CPU.
    """
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    fields += [0] * (8 - len(fields))
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq, steal


def _process_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime of each process, in clock ticks (/proc/<pid>/stat)."""
    ticks = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def _ticks_used(before: dict[int, int], after: dict[int, int]) -> int:
    """CPU used between two snapshots; a process that started meanwhile (a new database
    connection) counts whole, one that ended meanwhile is not counted."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def wrk(
    args, url: str, cookie: str | None, seconds: float, our_pids=None, paths: Path | None = None
) -> dict:
    """One wrk run; with `our_pids` (a callable), also the share of the machine's CPU that
    processes other than the benchmark's (server, database backends, Redis, wrk) used. With
    `paths` (a requests file, see wrk/report.lua), every request picks one of its lines at
    random: `url` then gives only the server."""
    env = dict(os.environ, BENCH_COOKIE=cookie or "", BENCH_PATHS=str(paths or ""))
    command = [
        args.wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH_DIR / "wrk" / "report.lua"),
        url,
    ]
    processes = our_pids or list
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    (busy, stolen), ours, started = _cpu_ticks(), _process_ticks(processes()), time.monotonic()
    out = subprocess.run(  # noqa: S603 (fixed command line)
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tick = os.sysconf("SC_CLK_TCK")
    wrk_ticks = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) * tick
    busy_after, stolen_after = _cpu_ticks()
    used = _ticks_used(ours, _process_ticks(processes()))
    foreign = (busy_after - busy) - used - wrk_ticks
    capacity = tick * elapsed * (os.cpu_count() or 1)
    match = re.search(r"^BENCH_JSON (\{.*\})$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["other_cpu"] = max(0.0, foreign / capacity)
    # CPU time the server side (web workers, database backends, Redis) spent per request:
    # unlike requests per second, hardly moved by other work on the machine.
    result["server_cpu_ms"] = 1000 * used / tick / max(1, result["requests"]) if our_pids else None
    result["stolen_cpu"] = max(0.0, (stolen_after - stolen) / capacity)
    return result
