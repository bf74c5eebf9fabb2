"""The staff work queues at the benchmark volume: queries, time per page, and the query plans.

    DJANGO_SETTINGS_MODULE=benchmarks.settings .venv/bin/python benchmarks/queues.py [--requests 50]

In-process, on the generated data (benchmarks/generate.py), for a person of each role in the
busiest agency (datagen/backoffice.py):

1. each queue's own queries, as a page runs them: the person's units and roles, the counts
   (all, overdue, due within a day) and the first page of open steps by deadline, overdue first.
   "My work" is the steps assigned to me plus my unit's pool when I am a specialist; "my unit's
   work" every open step of the units I head; "to sign" the open approving steps of my
   leadership; "to return" the desk's open steps after receipt; "to receive" the dossiers
   awaiting receipt (they have no step yet);
2. the admin dossier changelist with `?queue=<name>` through the test client (signed in with
   `force_login`; the second factor is switched off for this script only), with the plain
   changelist as the reference: built for each request (the agency's page-cache tag moved
   before each, untimed), then as the page cache serves it. A queue the changelist does not
   know yet is reported as such;
3. EXPLAIN (ANALYZE, BUFFERS) of each queue's queries and of the changelist's dossier and step
   queries for each queue, with the indexes the plans use.

Every measurement is the median and 95th percentile over `--requests` runs after one warm-up.
Prints a Markdown table and writes it with the plans to benchmarks/results/queues.md.
"""

import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
# The test client signs in without the second factor; the queues, not the MFA check, are measured.
os.environ.setdefault("STAFF_MFA_REQUIRED", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from benchmarks.datagen.people import STAFF_EMAIL  # noqa: E402
from core.cache import tags_changed  # noqa: E402
from dossiers.cache import agency_tag  # noqa: E402
from dossiers.models import Dossier, DossierStep  # noqa: E402
from procedures.models import UnitMembership  # noqa: E402

PAGE = 50  # the dossier changelist's list_per_page
CHANGELIST = "/admin/dossiers/dossier/"
INDEX = re.compile(r"(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)")
SEQ = re.compile(r"Seq Scan on (\w+)")


# --- The queues' queries -------------------------------------------------------------------------


def roles_of(user) -> dict[str, list[int]]:
    """The units in which `user` holds each role (one query)."""
    roles: dict[str, list[int]] = {}
    memberships = UnitMembership.objects.filter(user=user).order_by()
    for unit_id, role in memberships.values_list("unit_id", "role"):
        roles.setdefault(role, []).append(unit_id)
    return roles


def queue_filter(name: str, user, roles: dict[str, list[int]]) -> Q:
    if name == "my_work":
        return Q(assignee=user) | Q(
            assignee__isnull=True, role="specialist", unit_id__in=roles.get("specialist", [])
        )
    if name == "unit_work":
        return Q(unit_id__in=roles.get("unit_head", []))
    if name == "to_sign":
        return Q(approves=True, unit_id__in=roles.get("leader", []))
    if name == "to_return":
        return Q(unit_id__in=roles.get("desk_officer", []), order__gt=1)
    raise ValueError(name)


def queue_page(name: str, user) -> tuple[dict[str, int], list[Any]]:
    """What a queue page shows: its counts and its first page, overdue and due-soon first."""
    now = timezone.now()
    if name == "to_receive":
        agency_id = user.staff_membership.agency_id
        dossiers = Dossier.objects.filter(agency_id=agency_id, status="submitted")
        counts = dossiers.aggregate(total=Count("pk"))
        waiting = list(dossiers.select_related("procedure").order_by("submitted_at", "pk")[:PAGE])
        return counts, waiting
    steps = DossierStep.objects.filter(queue_filter(name, user, roles_of(user)), finished_at=None)
    counts = steps.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(deadline__lt=now)),
        due_soon=Count("pk", filter=Q(deadline__gte=now, deadline__lt=now + timedelta(days=1))),
    )
    rows = list(
        steps.select_related("dossier", "dossier__procedure", "unit", "assignee").order_by(
            "deadline", "pk"
        )[:PAGE]
    )
    return counts, rows


# --- Measuring -----------------------------------------------------------------------------------


class Recorder:
    """Every query's SQL and time, through an execute wrapper (whatever DEBUG says)."""

    def __init__(self):
        self.queries: list[str] = []
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        ops: Any = connection.ops
        self.queries.append(ops.compose_sql(sql, params) if params else sql)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


def recorded(run) -> tuple[list[str], Any]:
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        result = run()
    return recorder.queries, result


def timed(run, requests: int, before=None) -> tuple[int, str, Any]:
    """(queries of one run, "median / p95 (median in SQL)" ms, the last result) over
    `requests` runs; `before` runs untimed before each."""
    before = before or (lambda: None)
    before()
    run()  # warm-up
    before()
    queries, result = recorded(run)
    times, sql = [], []
    for _ in range(requests):
        before()
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            started = time.perf_counter()
            result = run()
            times.append((time.perf_counter() - started) * 1000)
        sql.append(recorder.ms)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    summary = f"{statistics.median(times):.1f} / {p95:.1f} ({statistics.median(sql):.1f})"
    return len(queries), summary, result


def changelist(client: Client, params: dict, user, requests: int) -> tuple[str, ...]:
    """The admin changelist built for each request (the agency's queue tag moved before it),
    then as the page cache serves it: (status, queries, ms built, ms cached)."""
    agency_id = user.staff_membership.agency_id

    def fresh() -> None:
        tags_changed(agency_tag(agency_id))

    queries, built, response = timed(lambda: client.get(CHANGELIST, params), requests, fresh)
    _queries, cached, _response = timed(lambda: client.get(CHANGELIST, params), requests)
    return (str(response.status_code), str(queries), built, cached)


def explain(queries: list[str]) -> list[tuple[str, str]]:
    """(SQL, plan) of each query."""
    plans = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def changelist_queries(client: Client, params: dict, user) -> list[str]:
    """The dossier and step queries of one changelist request built afresh (not the session,
    user or membership lookups)."""
    tags_changed(agency_tag(user.staff_membership.agency_id))
    queries, _response = recorded(lambda: client.get(CHANGELIST, params))
    return [sql for sql in queries if sql.lstrip().startswith("SELECT") and "dossiers_" in sql]


def people() -> dict[str, User]:
    """A person of each role in the busiest agency (the one with the most open steps)."""
    staff = User.objects.select_related("staff_membership").get(email=STAFF_EMAIL)
    agency_id = staff.staff_membership.agency_id
    members = UnitMembership.objects.filter(unit__agency_id=agency_id).order_by("user_id")
    chosen = {"desk officer + specialist (staff@bench.example)": staff}
    for role, label in (
        ("desk_officer", "desk officer"),
        ("specialist", "specialist"),
        ("unit_head", "unit head"),
        ("leader", "leader"),
    ):
        member = members.filter(role=role).exclude(user=staff).select_related("user").first()
        if member is not None:
            chosen[label] = member.user
    return chosen


# Which queues each person's work uses.
QUEUES_OF = {
    "desk officer + specialist (staff@bench.example)": [
        "my_work",
        "to_receive",
        "to_return",
    ],
    "desk officer": ["to_receive", "to_return"],
    "specialist": ["my_work"],
    "unit head": ["my_work", "unit_work"],
    "leader": ["to_sign"],
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="runs per measurement (50)")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    args = parser.parse_args(argv)

    open_steps = DossierStep.objects.filter(finished_at=None).count()
    lines = [
        "# Staff work queues",
        "",
        f"{Dossier.objects.count():,} dossiers, {DossierStep.objects.count():,} steps "
        f"({open_steps:,} open); {args.requests} runs per row after a warm-up; "
        f"database `{connection.settings_dict['NAME']}`.",
        "",
        "| person | queue | rows (overdue, due < 1 day) | queries | ms p50 / p95 (SQL) "
        "| changelist `?queue=` | queries | ms p50 / p95 (SQL) | cached ms p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    plans: dict[str, list[tuple[str, str]]] = {}
    for label, user in people().items():
        client.force_login(user)
        for name in QUEUES_OF[label]:
            queries, spent, (counts, _rows) = timed(
                lambda n=name, u=user: queue_page(n, u), args.requests
            )
            found = f"{counts['total']:,}"
            if "overdue" in counts:
                found += f" ({counts['overdue']:,}, {counts['due_soon']:,})"
            response = client.get(CHANGELIST, {"queue": name})
            page: tuple[str, ...]
            if response.status_code == 302 and "e=1" in response.get("Location", ""):
                page = ("not in the changelist yet", "", "", "")
            else:
                page = changelist(client, {"queue": name}, user, args.requests)
            lines.append(
                f"| {label} | {name} | {found} | {queries} | {spent} | " + " | ".join(page) + " |"
            )
            print(lines[-1], flush=True)
            if not args.no_explain and name not in plans:
                queries_of_page, _result = recorded(lambda n=name, u=user: queue_page(n, u))
                plans[name] = explain(queries_of_page)
                if page[0] == "200":
                    plans[f"changelist ?queue={name}"] = explain(
                        changelist_queries(client, {"queue": name}, user)
                    )
        lines.append(
            f"| {label} | (plain changelist) | | | | "
            + " | ".join(changelist(client, {}, user, args.requests))
            + " |"
        )
        print(lines[-1], flush=True)
    if plans:
        lines += ["", "## Indexes the queue queries use", ""]
        for name, explained in plans.items():
            for number, (_sql, plan) in enumerate(explained, start=1):
                used = sorted(set(INDEX.findall(plan))) or ["none"]
                seq = sorted(set(SEQ.findall(plan)))
                total = re.search(r"Execution Time: ([\d.]+) ms", plan)
                lines.append(
                    f"- {name}, query {number}: indexes {', '.join(used)}"
                    + (f"; sequential scans of {', '.join(seq)}" if seq else "")
                    + (f"; {total.group(1)} ms" if total else "")
                )
        print("\n".join(lines[-sum(len(q) for q in plans.values()) - 2 :]))
        lines += ["", "## Plans", ""]
        for name, explained in plans.items():
            for sql, plan in explained:
                lines += [f"### {name}", "", "```sql", sql, "```", "", "```", plan, "```", ""]
    out = ROOT / "benchmarks" / "results" / "queues.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
