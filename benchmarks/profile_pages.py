"""Where each benchmarked page spends its time: queries, SQL time, total time, in-process.

    .venv/bin/python benchmarks/profile_pages.py [--repeat 20] [--sql] [--spread] [--cprofile N]

Runs every page of the load benchmark through Django's test client (same settings, database and
cache as the benchmark server, one request at a time, no network), after one warm-up request,
and prints per page: HTTP status, number of queries, median time in SQL, median total time,
median CPU time of this process (the total less the waits for PostgreSQL and Redis, and less
the time other processes on the machine took) and the slowest query. `--spread` requests a different line of the page's spread list each time
(benchmarks/spread.py: another dossier code, procedure, query or citizen), as the load
benchmark's spread rows do, so the page cache rarely helps; `--cprofile N` prints the N
functions with the most cumulative and own time over all of a page's requests. `--sql` prints
every query of one request with its time, to feed EXPLAIN ANALYZE. It explains the load
benchmark's table; it is not itself a budget.
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.run import clear_page_cache, endpoints  # noqa: E402


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


_CLIENT: list[Client] = []


def client_for(cookie: str | None) -> Client:
    """The one test client (its handler loads the middleware once), with exactly `cookie`."""
    if not _CLIENT:
        _CLIENT.append(Client(HTTP_ACCEPT_LANGUAGE="vi", HTTP_HOST="127.0.0.1"))
    client = _CLIENT[0]
    client.cookies = SimpleCookie()
    for pair in (cookie or "").split("; "):
        if pair:
            key, value = pair.split("=", 1)
            client.cookies[key] = value
    return client


def profile(requests: list[tuple[str, str | None]], repeat: int, profiler=None) -> dict:
    """Time `repeat` requests, each the next of `requests` (a path and its cookie)."""
    path, cookie = requests[0]
    client_for(cookie).get(path)  # warm-up
    totals, cpu, sql_times, counts, slowest = [], [], [], [], ("", 0.0)
    status = 0
    for number in range(repeat):
        path, cookie = requests[number % len(requests)]
        client = client_for(cookie)
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            if profiler is not None:
                profiler.enable()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            totals.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            if profiler is not None:
                profiler.disable()
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
        "cpu_ms": statistics.median(cpu),
        "slowest": slowest,
    }


def _request(line: str) -> tuple[str, str | None]:
    path, _tab, cookie = line.partition("\t")
    return path, cookie or None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="print the queries of each page")
    parser.add_argument("--spread", action="store_true", help="a different request each time")
    parser.add_argument("--cprofile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args(argv)
    print(
        "| page | status | queries | SQL ms (median) | total ms (median) "
        "| process CPU ms (median) | slowest query ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    rng = random.Random(19)
    for page in endpoints(args, spread=args.spread):
        name = page.name
        if page.server != "portal" or (args.only and name not in args.only):
            continue
        if args.spread and page.spread:
            lines = list(page.spread)
            rng.shuffle(lines)
            requests = [_request(line) for line in lines]
        else:
            requests = [(page.hot, page.cookie)]
        profiler = cProfile.Profile() if args.cprofile else None
        if args.spread:
            clear_page_cache()  # as the load benchmark's spread rows start
        result = profile(requests, args.repeat, profiler)
        print(
            f"| {name} | {result['status']} | {result['queries']} | {result['sql_ms']:.1f} | "
            f"{result['total_ms']:.1f} | {result['cpu_ms']:.2f} | {result['slowest'][1]:.1f} |"
        )
        if profiler is not None:
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.cprofile)
                print(f"\n{name}, by {order} ({args.repeat} requests):")
                print("\n".join(out.getvalue().splitlines()[6:]))
        if args.sql:
            path, cookie = requests[-1]
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                client_for(cookie).get(path)
            for sql, t in timer.queries:
                print(f"    {t:7.2f} ms  {sql[:400]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
