"""Benchmark: `GET /api/v1/seat-counts/?group_by=agency` on PostgreSQL with the 40,000-employee
demo, against the raw SQL aggregate it runs, and a 304 answer against a full one (issue 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/seat_counts.py

It creates a throwaway database next to the one named (dropped at the end; `BENCH_KEEP_DB=1`
keeps it, `BENCH_DB=<name>` reuses a seeded one), migrates it, runs `seed_demo` (scale 1, or
`BENCH_SCALE`), issues an API key to a rollout manager, then times through the Django test client,
interleaved so load on the machine hits every series alike, `RUNS` rounds of:

- the full answer (key authentication, the fingerprint query, the groups, the aggregate, JSON);
- the raw aggregate statement that answer runs, captured from it and executed on a bare cursor;
- the 304 answer to `If-None-Match` with the tag of the full one.

Prints the medians, the ratios against the targets (full ≤ 2× raw, 304 ≥ 5× faster than full)
and a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
REUSE = os.environ.get("BENCH_DB")
DB_NAME = REUSE or f"seatplan_bench_counts_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
SCALE = os.environ.get("BENCH_SCALE", "1")
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
WARMUP = 5
URL = "/api/v1/seat-counts/?group_by=agency"


def main() -> None:
    if not REUSE:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        # The figures are for production settings: no query log, no eager broker to reach.
        os.environ["DEBUG"] = "0"
        os.environ.pop("CELERY_BROKER_URL", None)
        for scope in ("API_KEY", "USER", "SEAT_COUNTS"):
            os.environ[f"API_THROTTLE_{scope}"] = "1000000/min"
        import django

        django.setup()
        run()
    finally:
        from django.db import connections

        connections.close_all()
        if REUSE or os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def seed() -> str:
    """The demo data (added only where missing) and a rollout manager's API key."""
    from io import StringIO

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--scale", SCALE, stdout=StringIO())
    print(f"seed_demo (scale {SCALE}): {time.perf_counter() - started:.1f}s")
    out = StringIO()
    call_command(
        "create_api_user", "--username", "bench-counts", "--role", "rollout_manager", stdout=out
    )
    return out.getvalue().strip().splitlines()[-1]


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency, Employee
    from licensing.models import Seat, SeatEvent

    key = seed()
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {key}")
    print(
        f"data: {Employee.objects.count():,} employees, {Seat.objects.count():,} seats, "
        f"{SeatEvent.objects.count():,} seat events, {Agency.objects.count()} agencies"
    )

    with CaptureQueriesContext(connection) as full_queries:
        first = client.get(URL)
    assert first.status_code == 200, first.content[:300]
    etag = first["ETag"]
    aggregate = next(
        q["sql"]
        for q in full_queries.captured_queries
        if "GROUP BY" in q["sql"] and "licensing_seat" in q["sql"] and "FILTER" in q["sql"]
    )
    full_count = len(full_queries.captured_queries)  # read now: the next request resets the log
    with CaptureQueriesContext(connection) as cached_queries:
        assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    cached_count = len(cached_queries.captured_queries)

    def full() -> None:
        assert client.get(URL).status_code == 200

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(aggregate)
            cursor.fetchall()

    def not_modified() -> None:
        assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304

    # Wall time, and the CPU time of this process (Python, excluding the database server's work),
    # which says how much of the wall time a loaded machine adds.
    series: dict[str, list[float]] = {"full": [], "raw": [], "304": []}
    cpu: dict[str, list[float]] = {"full": [], "raw": [], "304": []}
    for i in range(WARMUP + RUNS):
        for name, fn in (("raw", raw), ("full", full), ("304", not_modified)):
            wall, started = time.perf_counter(), time.process_time()
            fn()
            if i >= WARMUP:
                series[name].append(time.perf_counter() - wall)
                cpu[name].append(time.process_time() - started)

    full, raw, cached = p50(series["full"]), p50(series["raw"]), p50(series["304"])
    rows = len(first.json()["results"])
    print(f"\nrounds: {RUNS} (after {WARMUP} warm-up), {rows} agencies in the answer")
    print(f"queries per request: full {full_count}, 304 {cached_count}")
    print("\n| measure | p50 ms | p90 ms | p50 CPU ms (this process) |")
    print("| --- | ---: | ---: | ---: |")
    for label, name in (
        ("raw SQL aggregate (bare cursor)", "raw"),
        ("full answer (test client)", "full"),
        ("304 answer (test client)", "304"),
    ):
        s = sorted(series[name])
        p90 = s[int(len(s) * 0.9)] * 1000
        print(f"| {label} | {p50(s):.2f} | {p90:.2f} | {p50(cpu[name]):.2f} |")
    print(
        f"\nfull / raw = {full / raw:.2f}× (target ≤ 2×): {'met' if full <= 2 * raw else 'MISSED'}"
    )
    print(
        f"full / 304 = {full / cached:.2f}× (target ≥ 5×): "
        f"{'met' if full >= 5 * cached else 'MISSED'}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print("\naggregate statement:\n" + aggregate)


if __name__ == "__main__":
    main()
