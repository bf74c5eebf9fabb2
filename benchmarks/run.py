"""Load benchmark: gunicorn + PostgreSQL + Redis, driven by wrk, against the generated volume.

    .venv/bin/python benchmarks/run.py            # after benchmarks/generate.py; or `make bench`

Starts gunicorn (benchmark settings: the portal's URLs plus a bare "hello" view) on a free
loopback port, measures the hello view as the ceiling, then each page with wrk (16 connections,
a short warm-up, then ~10 s): requests/s, p50 and p99. Then the peak RSS growth of a gunicorn
worker during a 50 MB upload through the real dossier form, and the render time of each PDF
slip in-process (median of 5 after a warm-up). Prints one table, writes it to
benchmarks/results/latest.md and, after a full-volume run of every measurement, to
benchmarks/RESULTS.md. Pages that answer 404 or 500 (not built yet) are reported as "n/a".
Everything it starts is stopped at the end; only loopback addresses are used.
"""

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from accounts.models import User  # noqa: E402
from benchmarks.harness import Server, get, log, wrk  # noqa: E402
from benchmarks.settings import BENCH_DEFAULTS  # noqa: E402
from dossiers.models import Dossier, DossierComponent, DossierEvent  # noqa: E402

MB = 1024 * 1024
FULL_SCALE_DOSSIERS = 100_000
# Budgets from issue 8 §3.
FAST_PAGE = {"ratio": 50.0, "p99": 50.0}
OTHER_PAGE = {"ratio": 25.0, "p99": 150.0}
INFO: dict = {}  # calibration rows: measured, no budget
# Above this share of the machine's CPU used by other processes during a page, the row says so.
OTHER_CPU_NOTE = 0.05
UPLOAD_BUDGET_MB = 20.0
PDF_BUDGET_MS = 300.0


@dataclass
class Row:
    name: str
    target: str = ""
    rps: float | None = None
    p50: float | None = None
    p99: float | None = None
    ratio: float | None = None
    value: str = ""  # for the rows that are not throughput (RSS, PDF)
    budget: str = ""
    verdict: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


# --- Fixtures from the generated data ----------------------------------------------------------


def signed_in_session(email: str) -> str:
    """The key of a signed-in session for `email`, created directly in the session store."""
    user = User.objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def browser_cookies(email: str) -> str:
    """The cookies of a browser signed in as `email`: its session, and the CSRF cookie every
    earlier page of the portal gave it."""
    csrf_secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return (
        f"{settings.SESSION_COOKIE_NAME}={signed_in_session(email)}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf_secret}"
    )


def lookup_target() -> tuple[str, str]:
    """A returned dossier with a long public history, as a person holding its slip looks it up."""
    candidates = (
        Dossier.objects.filter(status="returned", code__isnull=False)
        .select_related("agency")
        .order_by("-received_at")[:200]
    )
    best, best_events = None, -1
    for dossier in candidates:
        events = DossierEvent.objects.filter(dossier=dossier, is_public=True).count()
        if events > best_events:
            best, best_events = dossier, events
    if best is None:
        raise SystemExit("No received dossier: run benchmarks/generate.py first.")
    secret = f"&secret={best.lookup_secret}" if best.agency.require_lookup_secret else ""
    return best.code, secret


def endpoints(args) -> list[tuple[str, str, str | None, dict]]:
    """(name, path, cookie, budget) for every page measured; the first is the ceiling."""
    from procedures.models import Procedure

    popular = Procedure.objects.published().order_by("-popularity", "name").first()
    code, secret = lookup_target()
    citizen = browser_cookies("citizen200@bench.example")
    staff = browser_cookies("staff@bench.example")
    return [
        ("hello (ceiling)", "/bench/hello", None, {}),
        ("calibration: cached 10 KB page", "/bench/cached", None, INFO),
        ("calibration: empty page in base.html", "/bench/layout", None, INFO),
        ("home", "/", None, OTHER_PAGE),
        ("catalogue search", "/procedures/?q=giay+phep", None, OTHER_PAGE),
        ("procedure detail", f"/procedures/{popular.slug}/", None, FAST_PAGE),
        ("public lookup", f"/lookup/?code={code}", None, FAST_PAGE),
        ("lookup history", f"/lookup/history/?code={code}{secret}", None, FAST_PAGE),
        ("/me/dossiers/ (200 dossiers)", "/me/dossiers/", citizen, OTHER_PAGE),
        ("admin dossier changelist", "/admin/dossiers/dossier/", staff, OTHER_PAGE),
        ("statistics", "/statistics/", None, OTHER_PAGE),
    ]


def our_pids(server: Server):
    """The benchmark's processes: gunicorn, its database backends, Redis (read from /proc)."""

    def pids() -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        redis = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _comm(p) == "redis-server"
        ]
        master = [server.process.pid] if server.process else []
        return master + server.workers() + backends + redis

    return pids


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def measure_pages(args, server: Server, rows: list[Row]) -> None:
    ceiling = None
    for name, path, cookie, budget in endpoints(args):
        if args.only and name not in args.only and not name.startswith("hello"):
            continue
        if args.no_calibration and not budget and not name.startswith("hello"):
            continue
        row = Row(name=name, target=path)
        rows.append(row)
        status, body, headers = get(server.base + path, cookie)
        if status != 200:
            where = headers.get("Location", "")
            row.verdict = "n/a"
            row.note = f"HTTP {status}" + (f" → {where}" if where else "")
            log(f"{name}: {row.note}, not measured")
            continue
        log(f"{name}: warm-up {args.warmup:g} s, then {args.duration:g} s")
        wrk(args, server.base + path, cookie, args.warmup)
        result = wrk(args, server.base + path, cookie, args.duration, our_pids(server))
        row.rps = result["rps"]
        row.p50 = result["latency_ms"]["p50"]
        row.p99 = result["latency_ms"]["p99"]
        row.extra = result
        errors = sum(result["errors"].values())
        if ceiling is None:
            ceiling = row.rps
            row.ratio = 100.0
            row.verdict = "ceiling"
        elif not budget:
            row.ratio = 100.0 * row.rps / ceiling
            row.budget, row.verdict = "—", "info"
        else:
            row.ratio = 100.0 * row.rps / ceiling
            ok = row.ratio >= budget["ratio"] and row.p99 < budget["p99"] and not errors
            row.budget = f"≥ {budget['ratio']:g}%, p99 < {budget['p99']:g} ms"
            row.verdict = "pass" if ok else "FAIL"
        notes = []
        if errors:
            notes.append(f"{errors} errors: {result['errors']}")
        if result["other_cpu"] >= OTHER_CPU_NOTE:
            notes.append(f"other processes used {100 * result['other_cpu']:.0f}% of the CPU")
        if result["stolen_cpu"] >= OTHER_CPU_NOTE:
            notes.append(f"the hypervisor took {100 * result['stolen_cpu']:.0f}% (steal)")
        row.note = "; ".join(notes)
        log(f"{name}: {row.rps:,.0f} req/s, p50 {row.p50:.1f} ms, p99 {row.p99:.1f} ms")


# --- 50 MB upload ------------------------------------------------------------------------------


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def upload_target():
    """A published procedure with a PDF component that accepts 50 MB."""
    return (
        DossierComponent.objects.filter(
            max_size_mb__gte=50,
            procedure__is_published=True,
            file_types__contains=["pdf"],
        )
        .select_related("procedure")
        .order_by("procedure__id")
        .first()
    )


def remove_uploads(user) -> None:
    """Delete the upload account's draft dossiers and their files (50 MB each)."""
    from django.core.files.storage import default_storage

    from dossiers.models import Attachment

    for name in Attachment.objects.filter(dossier__applicant=user).values_list("file", flat=True):
        default_storage.delete(name)
    Dossier.objects.filter(applicant=user, status="draft").delete()


def measure_upload(args, server: Server, rows: list[Row]) -> None:
    """Peak RSS growth of the gunicorn worker that takes a 50 MB upload, on the bench stack.

    The upload client (a streamed multipart POST of a PDF to the dossier form) and the /proc
    reader are `benchmarks/upload_memory.py`'s, the dossiers issue's standalone measurement
    (its own SQLite server, with an in-memory control run). Here the same upload goes to the
    benchmark's gunicorn on PostgreSQL: every worker's peak is reset first, the largest growth
    is reported.
    """
    row = Row(name="50 MB upload: worker peak RSS growth", budget=f"< {UPLOAD_BUDGET_MB:g} MB")
    rows.append(row)
    try:
        from benchmarks import upload_memory
    except ImportError as exc:
        row.verdict, row.note = "n/a", f"benchmarks/upload_memory.py: {exc}"
        return
    target = upload_target()
    if target is None:
        row.verdict, row.note = "n/a", "no procedure with a 50 MB PDF component"
        return
    email = "uploader@bench.example"
    user = User.objects.get(email=email)
    session = signed_in_session(email)
    info = {"slug": target.procedure.slug, "component": target.pk, "session": session}
    row.target = f"POST /me/dossiers/new/{info['slug']}/"
    size = args.upload_mb * MB
    remove_uploads(user)
    try:
        # Warm-up: imports, templates, the first temporary file, on every worker.
        for _ in range(2 * len(server.workers())):
            upload_memory.post_file(server.port, **info, size=MB)
        pids = server.workers()
        if not all(reset_peak_rss(pid) for pid in pids):
            row.verdict, row.note = "n/a", "cannot reset the peak RSS (/proc/<pid>/clear_refs)"
            return
        before = {pid: upload_memory.status_kb(pid, "VmRSS") for pid in pids}
        status, _location, seconds = upload_memory.post_file(server.port, **info, size=size)
        peak = {pid: upload_memory.status_kb(pid, "VmHWM") for pid in pids}
    except (OSError, RuntimeError, KeyError, TypeError) as exc:
        row.verdict, row.note = "n/a", f"{type(exc).__name__}: {exc}"
        return
    from dossiers.models import Attachment

    stored = Attachment.objects.filter(
        dossier__applicant=user, size=size, component_id=target.pk
    ).exists()
    remove_uploads(user)
    growth = max((peak[pid] - before[pid]) / 1024 for pid in pids)
    row.value = f"{growth:.1f} MB"
    row.extra = {"status": status, "seconds": seconds, "before_kb": before, "peak_kb": peak}
    if not stored:
        row.verdict, row.note = "n/a", f"HTTP {status}: the file was not stored"
        return
    row.verdict = "pass" if growth < UPLOAD_BUDGET_MB else "FAIL"
    row.note = f"HTTP {status} in {seconds:.1f} s, stored"
    log(f"upload: peak RSS growth {growth:.1f} MB ({row.note})")


# --- PDFs and uncached statistics (in-process) -------------------------------------------------


def median_times(function, repeat: int = 5) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of `function` after a warm-up. The budget is
    judged on the wall clock (what a person waits); the CPU time shows how much of a slow run
    was other load on the machine."""
    function()  # warm-up: imports, fonts, template compilation
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def median_ms(function, repeat: int = 5) -> float:
    return median_times(function, repeat)[0]


def measure_pdfs(args, rows: list[Row]) -> None:
    superuser = User.objects.get(email="admin@bench.example")
    try:
        from dossiers import documents, selectors
    except ImportError as exc:
        rows.append(Row(name="PDF slips", verdict="n/a", note=str(exc)))
        return
    picks = {
        "receipt": Dossier.objects.filter(status="returned", code__isnull=False),
        "supplement": Dossier.objects.filter(supplement_requests__isnull=False, code__isnull=False),
        "rejection": Dossier.objects.filter(status="rejected", code__isnull=False),
    }
    for kind, qs in picks.items():
        row = Row(name=f"PDF: {kind} slip", budget=f"< {PDF_BUDGET_MS:g} ms")
        rows.append(row)
        pk = qs.order_by("-id").values_list("pk", flat=True).first()
        if pk is None:
            row.verdict, row.note = "n/a", "no such dossier"
            continue
        dossier = selectors.dossier_for_slip(superuser, pk)
        if kind not in documents.slips_available(dossier):
            row.verdict, row.note = "n/a", "slip not available"
            continue
        row.target = f"dossiers.documents.dossier_slip_pdf(kind={kind!r})"
        try:
            ms, cpu = median_times(
                lambda d=dossier, k=kind: documents.dossier_slip_pdf(dossier=d, kind=k)
            )
        except Exception as exc:  # noqa: BLE001 (a page under construction must not stop the run)
            row.verdict, row.note = "n/a", f"{type(exc).__name__}: {exc}"
            continue
        row.value, row.note = f"{ms:.0f} ms", f"CPU {cpu:.0f} ms"
        row.verdict = "pass" if ms < PDF_BUDGET_MS else "FAIL"
        log(f"PDF {kind}: {ms:.0f} ms (CPU {cpu:.0f} ms)")
    row = Row(name="PDF: payment confirmation", budget=f"< {PDF_BUDGET_MS:g} ms")
    rows.append(row)
    try:
        from payments.documents import payment_confirmation_pdf
        from payments.models import Payment
    except ImportError as exc:
        row.verdict, row.note = "n/a", str(exc)
        return
    payment = (
        Payment.objects.filter(status="confirmed")
        .select_related("fee_notice__dossier__agency", "fee_notice__dossier__procedure")
        .order_by("-id")
        .first()
    )
    if payment is None:
        row.verdict, row.note = "n/a", "no confirmed payment"
        return
    row.target = "payments.documents.payment_confirmation_pdf()"
    try:
        ms, cpu = median_times(lambda: payment_confirmation_pdf(payment))
    except Exception as exc:  # noqa: BLE001
        row.verdict, row.note = "n/a", f"{type(exc).__name__}: {exc}"
        return
    row.value, row.note = f"{ms:.0f} ms", f"CPU {cpu:.0f} ms"
    row.verdict = "pass" if ms < PDF_BUDGET_MS else "FAIL"
    log(f"PDF payment confirmation: {ms:.0f} ms (CPU {cpu:.0f} ms)")


def measure_control_slip(rows: list[Row]) -> None:
    """The processing-control slip of the dossier with the most hand-overs (issue 17)."""
    row = Row(name="PDF: processing-control slip", budget=f"< {PDF_BUDGET_MS:g} ms")
    rows.append(row)
    try:
        from django.db.models import Count

        from dossiers import letters
    except ImportError as exc:
        row.verdict, row.note = "n/a", str(exc)
        return
    dossier = (
        Dossier.objects.filter(code__isnull=False, handovers__isnull=False)
        .annotate(lines=Count("handovers"))
        .select_related("procedure", "agency")
        .order_by("-lines", "-id")
        .first()
    )
    if dossier is None:
        row.verdict, row.note = "n/a", "no dossier with hand-overs"
        return
    row.target = "dossiers.letters.control_slip_pdf()"
    try:
        ms, cpu = median_times(lambda: letters.control_slip_pdf(dossier))
    except Exception as exc:  # noqa: BLE001 (a page under construction must not stop the run)
        row.verdict, row.note = "n/a", f"{type(exc).__name__}: {exc}"
        return
    row.value, row.note = f"{ms:.0f} ms", f"CPU {cpu:.0f} ms, {dossier.lines} hand-overs"
    row.verdict = "pass" if ms < PDF_BUDGET_MS else "FAIL"
    log(f"PDF control slip: {ms:.0f} ms (CPU {cpu:.0f} ms)")


def measure_statistics_uncached(rows: list[Row]) -> None:
    """Not a budget: what the first visitor after the cache expires waits for."""
    row = Row(name="statistics, uncached compute (info)", budget="—")
    rows.append(row)
    try:
        from django.utils import timezone

        from tracking.statistics import Period, statistics_compute
    except ImportError as exc:
        row.verdict, row.note = "n/a", str(exc)
        return
    today = timezone.localdate()
    ms = median_ms(
        lambda: statistics_compute(period=Period.last_12_months(today), today=today), repeat=3
    )
    row.target = "tracking.statistics.statistics_compute(last 12 months)"
    row.value = f"{ms:.0f} ms"
    row.verdict = "info"
    log(f"statistics uncached: {ms:.0f} ms")


# --- Report ------------------------------------------------------------------------------------


def volume() -> dict:
    from dossiers.models import Attachment
    from procedures.models import Procedure

    return {
        "procedures": Procedure.objects.count(),
        "dossiers": Dossier.objects.count(),
        "events": DossierEvent.objects.count(),
        "attachments": Attachment.objects.count(),
    }


def fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def table(rows: list[Row]) -> str:
    lines = [
        "| endpoint | req/s | % of ceiling | p50 ms | p99 ms | budget | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        if r.value:
            cells = [r.name, r.value, "", "", "", r.budget, r.verdict]
        else:
            cells = [
                r.name,
                fmt(r.rps, ",.0f"),
                fmt(r.ratio, ".0f"),
                fmt(r.p50, ".1f"),
                fmt(r.p99, ".1f"),
                r.budget,
                r.verdict,
            ]
        if r.note:
            cells[-1] += f" ({r.note})"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wait_idle(limit_seconds: float) -> float:
    """Wait (bounded) for other work on the machine to calm down; return the load average."""
    deadline = time.monotonic() + limit_seconds
    load = os.getloadavg()[0]
    if load >= 1.0 and limit_seconds > 0:
        log(f"load average {load:.2f}: waiting up to {limit_seconds:g} s for it to fall below 1")
    while load >= 1.0 and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    return load


def cpu_model() -> str:
    """The processor's name (absolute figures differ between machines; shares of the ceiling
    measured in one run are what compare)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {platform.machine()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def report(args, rows: list[Row], counts: dict, started: float, load_start: float) -> str:
    cpu = cpu_model()
    with_load = (
        f"{os.cpu_count()} CPUs ({cpu}); 1-minute load average {load_start:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    targets = "\n".join(f"- {r.name}: `{r.target}`" for r in rows if r.target)
    return f"""# Benchmark results

Run {time.strftime("%Y-%m-%d %H:%M %Z")} in {time.monotonic() - started:.0f} s on {with_load}.
Volume: {counts["procedures"]:,} procedures, {counts["dossiers"]:,} dossiers, \
{counts["events"]:,} history events, {counts["attachments"]:,} attachments.
Server: gunicorn {args.worker_class}, {args.workers} workers × {args.threads} threads, \
PostgreSQL, Redis cache; DEBUG off; LOOKUP_RATE_LIMIT raised to \
{BENCH_DEFAULTS["LOOKUP_RATE_LIMIT"]} (one load-generator address).
Load: wrk, {args.connections} connections, {args.wrk_threads} threads, \
{args.warmup:g} s warm-up then {args.duration:g} s per page, on the same machine as the server.

{table(rows)}

Measured:
{targets}
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per page")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    # The production shape (Dockerfile, docker-compose.yml): 3 sync workers.
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--worker-class", default="sync", help="sync (default) or gthread")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--no-calibration", action="store_true", help="skip the calibration pages")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=300,
        help="wait up to this many seconds for the 1-minute load average to fall below 1.0",
    )
    parser.add_argument("--upload-mb", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="measure only these pages (names as printed)")
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--output", default=str(BENCH_DIR / "results" / "latest.md"))
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    args = parser.parse_args(argv)
    if not shutil.which(args.wrk):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    started = time.monotonic()
    counts = volume()
    if not counts["dossiers"]:
        raise SystemExit("The bench database is empty: run benchmarks/generate.py first.")

    load_start = wait_idle(args.wait_idle)
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the benchmark's own Redis database
    rows: list[Row] = []
    server = Server(args)
    try:
        server.start()
        log(f"gunicorn on {server.base}, workers {server.workers()}")
        measure_pages(args, server, rows)
        if not args.skip_upload:
            measure_upload(args, server, rows)
    finally:
        server.stop()
    if not args.skip_pdf:
        measure_pdfs(args, rows)
        measure_control_slip(rows)
    if not args.only:
        measure_statistics_uncached(rows)
    text = report(args, rows, counts, started, load_start)
    print(text)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    complete = not (args.only or args.skip_upload or args.skip_pdf) and args.duration >= 10
    if complete and counts["dossiers"] >= FULL_SCALE_DOSSIERS:
        (BENCH_DIR / "RESULTS.md").write_text(text)
        log("full-volume run: benchmarks/RESULTS.md updated")
    log(f"written to {output}")
    return 1 if args.strict and any(r.verdict == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
