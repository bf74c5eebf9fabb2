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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
# Budgets (issue 19, on top of issue 8's): the public pages readers reach with their own code or
# a catalogue link must beat the minimal Django lookup page by half when every request is
# different; every other page must at least match it; the hot pages stay where they were.
FAST = "fast"  # lookup, history, procedure detail
OTHER = "other"
INFO = "info"  # calibration rows: measured, no budget
FAST_SPREAD_FLOOR = 1.5
FAST_SPREAD_P99 = 50.0
OTHER_SPREAD_FLOOR = 1.0
FAST_HOT_CEILING = 50.0
OTHER_HOT = {"ratio": 25.0, "p99": 150.0}  # issue 8's budget for the heavier pages, hot
# Above this share of the machine's CPU used by other processes during a page, the row says so.
OTHER_CPU_NOTE = 0.05
UPLOAD_BUDGET_MB = 20.0
PDF_BUDGET_MS = 300.0
CITIZENS = 300  # distinct signed-in citizens of the spread /me/dossiers/
CEILING = "bare Django hello (ceiling)"
FLOOR = "minimal Django lookup (floor)"


@dataclass
class Measure:
    rps: float
    p50: float
    p99: float
    errors: int
    note: str
    raw: dict
    cpu_ms: float | None = None  # server CPU (workers, database, Redis) per request

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Row:
    name: str
    target: str = ""
    kind: str = OTHER
    hot: Measure | None = None
    spread: Measure | None = None
    spread_target: str = ""
    value: str = ""  # for the rows that are not throughput (RSS, PDF)
    budget: str = ""
    verdict: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Page:
    """One page to measure: a hot URL, optionally a spread requests file, on one server."""

    name: str
    hot: str
    kind: str
    server: str = "portal"  # portal, hello or floor
    cookie: str | None = None
    spread: list[str] | None = None
    spread_label: str = ""


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


def endpoints(args, spread: bool = True) -> list[Page]:
    """Every measured page; the first is the ceiling, the second the floor."""
    from benchmarks import spread as s
    from procedures.models import Procedure

    popular = Procedure.objects.published().order_by("-popularity", "name").first()
    code, secret = lookup_target()
    citizen = browser_cookies("citizen200@bench.example")
    staff = browser_cookies("staff@bench.example")
    want = spread and not getattr(args, "hot_only", False)

    def lines(build):
        return build() if want else None

    codes = f"{len(s.coded_dossiers()):,} codes" if want else ""
    return [
        Page(CEILING, "/", INFO, server="hello"),
        Page(
            FLOOR,
            f"/lookup/?code={code}",
            INFO,
            server="floor",
            spread=lines(s.lookup_lines),
            spread_label=codes,
        ),
        Page("calibration: portal hello (full middleware)", "/bench/hello", INFO),
        Page("calibration: cached 10 KB page", "/bench/cached", INFO),
        Page("calibration: empty page in base.html", "/bench/layout", INFO),
        Page(
            "home",
            "/",
            OTHER,
            spread=lines(lambda: s.both_languages("/")),
            spread_label="2 languages",
        ),
        Page(
            "catalogue search",
            "/procedures/?q=giay+phep",
            OTHER,
            spread=lines(s.search_lines),
            spread_label=f"{len(s.search_queries())} queries × 2 languages",
        ),
        Page(
            "procedure detail",
            f"/procedures/{popular.slug}/",
            FAST,
            spread=lines(s.procedure_lines),
            spread_label="all procedures, Zipf",
        ),
        Page(
            "public lookup",
            f"/lookup/?code={code}",
            FAST,
            spread=lines(s.lookup_lines),
            spread_label=codes,
        ),
        Page(
            "lookup history",
            f"/lookup/history/?code={code}{secret}",
            FAST,
            spread=lines(s.history_lines),
            spread_label=codes,
        ),
        Page(
            "/me/dossiers/",
            "/me/dossiers/",
            OTHER,
            cookie=citizen,
            spread=lines(lambda: s.citizen_lines(browser_cookies, args.citizens)),
            spread_label=f"{args.citizens} citizens (hot: 200 dossiers)",
        ),
        Page("admin dossier changelist", "/admin/dossiers/dossier/", OTHER, cookie=staff),
        Page(
            "statistics",
            "/statistics/",
            OTHER,
            spread=lines(s.statistics_lines),
            spread_label="presets × 2 languages",
        ),
    ]


def our_pids(servers: list[Server]):
    """The benchmark's processes: the gunicorns, the bench database's backends, its Redis."""
    redis_port = f":{urlsplit(settings.REDIS_URL).port or 6379}"

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
            if p.name.isdigit() and _comm(p) == "redis-server" and redis_port in _cmdline(p)
        ]
        gunicorns = []
        for server in servers:
            gunicorns += [server.process.pid] if server.process else []
            gunicorns += server.workers()
        return gunicorns + backends + redis

    return pids


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def clear_page_cache() -> None:
    """Drop every stored page (not the tags, sessions or rate-limit counters) of the
    benchmark's own Redis database, so a spread run starts as after an expiry."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match="*pagecache:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def _measure(args, server: Server, pids, path: str, cookie, paths: Path | None) -> Measure:
    result = wrk(args, server.base + path, cookie, args.duration, pids, paths=paths)
    errors = sum(result["errors"].values())
    notes = []
    if errors:
        notes.append(f"{errors} errors: {result['errors']}")
    if result["other_cpu"] >= OTHER_CPU_NOTE:
        notes.append(f"other processes used {100 * result['other_cpu']:.0f}% of the CPU")
    if result["stolen_cpu"] >= OTHER_CPU_NOTE:
        notes.append(f"the hypervisor took {100 * result['stolen_cpu']:.0f}% (steal)")
    return Measure(
        rps=result["rps"],
        p50=result["latency_ms"]["p50"],
        p99=result["latency_ms"]["p99"],
        errors=errors,
        note="; ".join(notes),
        raw=result,
        cpu_ms=result.get("server_cpu_ms"),
    )


def measure_pages(args, servers: dict[str, Server], rows: list[Row], workdir: Path) -> None:
    pids = our_pids(list(servers.values()))
    for page in endpoints(args):
        if args.only and page.name not in args.only and page.name not in (CEILING, FLOOR):
            continue
        if args.no_calibration and page.name.startswith("calibration"):
            continue
        server = servers[page.server]
        row = Row(name=page.name, target=page.hot, kind=page.kind)
        rows.append(row)
        status, _body, headers = get(server.base + page.hot, page.cookie)
        if status != 200:
            where = headers.get("Location", "")
            row.verdict = "n/a"
            row.note = f"HTTP {status}" + (f" → {where}" if where else "")
            log(f"{page.name}: {row.note}, not measured")
            continue
        log(f"{page.name}: warm-up {args.warmup:g} s, then {args.duration:g} s hot")
        wrk(args, server.base + page.hot, page.cookie, args.warmup)
        row.hot = _measure(args, server, pids, page.hot, page.cookie, None)
        log(f"{page.name} hot: {row.hot.rps:,.0f} req/s, p99 {row.hot.p99:.1f} ms")
        if page.spread:
            paths = workdir / f"spread-{len(rows)}.txt"
            paths.write_text("\n".join(page.spread) + "\n", encoding="utf-8")
            first = page.spread[0].split("\t")
            status, _body, _headers = get(
                server.base + first[0], first[1] if len(first) > 1 else None
            )
            if status != 200:
                row.note = f"spread: HTTP {status} for {first[0]}"
                continue
            clear_page_cache()
            row.spread_target = f"{len(page.spread):,} requests ({page.spread_label})"
            row.spread = _measure(args, server, pids, "/", None, paths)
            log(f"{page.name} spread: {row.spread.rps:,.0f} req/s, p99 {row.spread.p99:.1f} ms")
    judge(rows)


def judge(rows: list[Row]) -> None:
    """Each row's share of the ceiling, multiple of the floor and verdict."""
    by_name = {row.name: row for row in rows}
    ceiling, floor = by_name.get(CEILING), by_name.get(FLOOR)
    for row in rows:
        if row.hot is None or row.value:
            continue
        problems = [m.note for m in (row.hot, row.spread) if m is not None and m.note]
        row.note = "; ".join(filter(None, [row.note, *problems]))
        if row.kind == INFO:
            row.budget, row.verdict = "—", "ceiling" if row is ceiling else "info"
            continue
        checks, budget = [], []
        if row.kind == FAST:
            budget.append(f"hot ≥ {FAST_HOT_CEILING:g}% of hello")
            checks.append(_share(row.hot, ceiling) >= FAST_HOT_CEILING)
            budget.append(f"spread ≥ {FAST_SPREAD_FLOOR:g}× floor, p99 < {FAST_SPREAD_P99:g} ms")
            if row.spread is not None:
                checks.append(_times(row.spread, floor, spread=True) >= FAST_SPREAD_FLOOR)
                checks.append(row.spread.p99 < FAST_SPREAD_P99)
        else:
            budget.append(f"hot ≥ {OTHER_HOT['ratio']:g}% of hello, p99 < {OTHER_HOT['p99']:g} ms")
            checks.append(_share(row.hot, ceiling) >= OTHER_HOT["ratio"])
            checks.append(row.hot.p99 < OTHER_HOT["p99"])
            if row.spread is not None:
                budget.append(f"spread ≥ {OTHER_SPREAD_FLOOR:g}× floor")
                checks.append(_times(row.spread, floor, spread=True) >= OTHER_SPREAD_FLOOR)
        checks.append(row.hot.ok and (row.spread is None or row.spread.ok))
        row.budget = "; ".join(budget)
        row.verdict = "pass" if all(checks) else "FAIL"


def _share(measure: Measure | None, ceiling: Row | None) -> float:
    if measure is None or ceiling is None or ceiling.hot is None:
        return float("nan")
    return 100.0 * measure.rps / ceiling.hot.rps


def _cpu_times(measure: Measure | None, floor: Row | None) -> float:
    """The floor's spread server CPU per request over this page's: how many of this page the
    server side could answer for one floor page, whatever else the machine was doing."""
    if measure is None or floor is None or floor.spread is None:
        return float("nan")
    if not measure.cpu_ms or not floor.spread.cpu_ms:
        return float("nan")
    return floor.spread.cpu_ms / measure.cpu_ms


def _times(measure: Measure | None, floor: Row | None, *, spread: bool) -> float:
    """The multiple of the floor: hot against the floor's hot run, spread against its spread."""
    if measure is None or floor is None:
        return float("nan")
    reference = floor.spread if spread else floor.hot
    if reference is None:
        return float("nan")
    return measure.rps / reference.rps


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
    return "—" if value is None or value != value else format(value, pattern)


def table(rows: list[Row]) -> str:
    """The pages: hot and spread side by side, each as a share of the ceiling and a multiple
    of the floor; then the measurements that are not throughput."""
    by_name = {row.name: row for row in rows}
    ceiling, floor = by_name.get(CEILING), by_name.get(FLOOR)
    lines = [
        "| page | hot req/s | hot % of hello | hot × floor | hot p99 ms | hot CPU ms "
        "| spread req/s | spread % of hello | spread × floor | spread p50 ms | spread p99 ms "
        "| spread CPU ms | spread × floor by CPU | budget | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    values = ["| measurement | value | budget | result |", "|---|---:|---|---|"]
    for r in rows:
        verdict = r.verdict + (f" ({r.note})" if r.note else "")
        if r.value or (r.hot is None and not r.target.startswith("/")):
            values.append(f"| {r.name} | {r.value or '—'} | {r.budget} | {verdict} |")
            continue
        hot, spread = r.hot, r.spread
        cells = [
            r.name,
            fmt(hot and hot.rps, ",.0f"),
            fmt(_share(hot, ceiling), ".0f"),
            fmt(_times(hot, floor, spread=False), ".2f"),
            fmt(hot and hot.p99, ".1f"),
            fmt(hot and hot.cpu_ms, ".2f"),
            fmt(spread and spread.rps, ",.0f"),
            fmt(_share(spread, ceiling), ".0f"),
            fmt(_times(spread, floor, spread=True), ".2f"),
            fmt(spread and spread.p50, ".1f"),
            fmt(spread and spread.p99, ".1f"),
            fmt(spread and spread.cpu_ms, ".2f"),
            fmt(_cpu_times(spread, floor), ".2f"),
            r.budget,
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + "\n".join(values)


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
    targets = "\n".join(
        f"- {r.name}: "
        + (f"hot `{r.target}`" if r.target.startswith("/") else f"`{r.target}`")
        + (f"; spread over {r.spread_target}" if r.spread_target else "")
        for r in rows
        if r.target
    )
    return f"""# Benchmark results

Run {time.strftime("%Y-%m-%d %H:%M %Z")} in {time.monotonic() - started:.0f} s on {with_load}.
Volume: {counts["procedures"]:,} procedures, {counts["dossiers"]:,} dossiers, \
{counts["events"]:,} history events, {counts["attachments"]:,} attachments.
Server: gunicorn {args.worker_class}, {args.workers} workers × {args.threads} threads, \
PostgreSQL, Redis cache; DEBUG off; LOOKUP_RATE_LIMIT raised to \
{BENCH_DEFAULTS["LOOKUP_RATE_LIMIT"]} (one load-generator address).
Load: wrk, {args.connections} connections, {args.wrk_threads} threads, \
{args.warmup:g} s warm-up then {args.duration:g} s per page, on the same machine as the server.
Hot: one URL again and again. Spread: every request picks a random line of a requests file
(benchmarks/spread.py), starting from an empty page cache. The ceiling is a bare Django hello,
the floor a minimal Django lookup page (benchmarks/reference/): "% of hello" is a share of the
ceiling's hot req/s, "× floor" a multiple of the floor's hot or spread req/s. "CPU ms" is the
CPU time the server side (gunicorn workers, the bench database's backends, Redis) used per
request, and "× floor by CPU" the floor's spread CPU per request over the page's: on a machine
shared with other work, these move far less than requests per second do.

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
    parser.add_argument("--hot-only", action="store_true", help="skip the spread runs")
    parser.add_argument(
        "--citizens", type=int, default=CITIZENS, help="signed-in citizens of spread /me/dossiers/"
    )
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
    servers = {
        "hello": Server(
            args,
            "benchmarks.reference.hello.wsgi:application",
            "benchmarks.reference.hello.settings",
        ),
        "floor": Server(
            args,
            "benchmarks.reference.lookup.wsgi:application",
            "benchmarks.reference.lookup.settings",
        ),
        "portal": Server(args),
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bench-spread-") as workdir:
            for name, server in servers.items():
                server.start()
                log(f"{name}: gunicorn on {server.base}, workers {server.workers()}")
            measure_pages(args, servers, rows, Path(workdir))
        if not args.skip_upload:
            measure_upload(args, servers["portal"], rows)
    finally:
        for server in servers.values():
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
    complete = (
        not (args.only or args.skip_upload or args.skip_pdf or args.hot_only)
        and args.duration >= 10
    )
    if complete and counts["dossiers"] >= FULL_SCALE_DOSSIERS:
        (BENCH_DIR / "RESULTS.md").write_text(text)
        log("full-volume run: benchmarks/RESULTS.md updated")
    log(f"written to {output}")
    return 1 if args.strict and any(r.verdict == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
