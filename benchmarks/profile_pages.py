"""Where each benchmarked page spends its time: queries, SQL time, total time, in-process.

    .venv/bin/python benchmarks/profile_pages.py [--repeat 20] [--sql]

Runs every page of the load benchmark through Django's test client (same settings, database and
cache as the benchmark server, one request at a time, no network), after one warm-up request,
and prints per page: HTTP status, number of queries, median time in SQL, median total time and
the slowest query. `--sql` prints every query of one request with its time, to feed EXPLAIN
ANALYZE. It explains the load benchmark's table; it is not itself a budget.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.run import endpoints  # noqa: E402


class QueryTimer:
    """An execute wrapper timing every query with perf_counter (Django's own log rounds to ms)."""

    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, (time.perf_counter() - started) * 1000))


def profile(client: Client, path: str, repeat: int) -> dict:
    client.get(path)  # warm-up
    totals, sql_times, counts, slowest = [], [], [], ("", 0.0)
    status = 0
    for _ in range(repeat):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(path)
            totals.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        counts.append(len(timer.queries))
        sql_times.append(sum(t for _sql, t in timer.queries))
        for sql, t in timer.queries:
            if t > slowest[1]:
                slowest = (sql, t)
    return {
        "status": status,
        "queries": max(counts),
        "sql_ms": statistics.median(sql_times),
        "total_ms": statistics.median(totals),
        "slowest": slowest,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="print the queries of each page")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args(argv)
    print("| page | status | queries | SQL ms (median) | total ms (median) | slowest query ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for page in endpoints(args, spread=False):
        name, path, cookie = page.name, page.hot, page.cookie
        if page.server != "portal" or (args.only and name not in args.only):
            continue
        client = Client(HTTP_ACCEPT_LANGUAGE="vi", HTTP_HOST="127.0.0.1")
        for pair in (cookie or "").split("; "):
            if pair:
                key, value = pair.split("=", 1)
                client.cookies[key] = value
        result = profile(client, path, args.repeat)
        print(
            f"| {name} | {result['status']} | {result['queries']} | {result['sql_ms']:.1f} | "
            f"{result['total_ms']:.1f} | {result['slowest'][1]:.1f} |"
        )
        if args.sql:
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                client.get(path)
            for sql, t in timer.queries:
                print(f"    {t:7.2f} ms  {sql[:400]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
