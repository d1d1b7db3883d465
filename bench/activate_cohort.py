"""Benchmark: a cohort activation job on PostgreSQL, 10,000 seats against a 1,000-seat baseline.

Shows (issue 4) that `cohort_activate` writes a 10,000-person cohort in well under 10 s and that
its queries grow with the number of 1,000-person batches, not with the number of seats.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/activate_cohort.py

It creates a throwaway database `seatplan_bench_<pid>` on the server named (dropped at the end;
BENCH_KEEP_DB=1 keeps it), migrates it, and for each run builds a fresh contract with room
under its ceiling, an agency of N trained active employees, and an in-progress wave whose cohort
has a quota of N; then times `cohort_activate` (wall and this process's CPU), counts its queries
with CaptureQueriesContext, checks the result (N active seats, N events, no duplicates) and
times a rerun, which must write nothing. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
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
DB_NAME = f"seatplan_bench_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
SIZES = (1_000, 10_000)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET_SECONDS = 10.0


def main() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        # The embedded default: the cost recompute each batch asks for runs in-process, so it
        # is inside the timing (on the real stack it goes to the costs worker instead).
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.setdefault("DEBUG", "False")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        report(run())
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def build(tag: str, n: int):
    """A contract with room, an agency of `n` trained active employees, and its cohort of quota
    `n` in a wave that is in progress."""
    from decimal import Decimal

    from agencies.models import Agency, Employee
    from licensing.models import Contract, PriceTier
    from rollout.models import Cohort, Wave

    contract = Contract.objects.create(
        name=f"Bench {tag}",
        vendor="OpenAI",
        number=f"BENCH-{tag}",
        start_date=dt.date(2026, 2, 13),
        end_date=dt.date(2027, 2, 12),
        floor_amount=Decimal("1560000"),
        ceiling_amount=Decimal("3360000"),
        min_billable_seats=10_000,
    )
    PriceTier.objects.bulk_create(
        PriceTier(contract=contract, min_seats=lo, max_seats=hi, unit_price_monthly=Decimal(p))
        for lo, hi, p in [
            (1, 10_000, 13),
            (10_001, 20_000, 11),
            (20_001, 30_000, 9),
            (30_001, None, 7),
        ]
    )
    agency = Agency.objects.create(code=tag, name=f"Agency {tag}", headcount=n)
    trained = dt.date(2026, 1, 15)
    Employee.objects.bulk_create(
        (
            Employee(
                employee_number=f"{tag}-{i:06d}",
                email=f"{tag.lower()}.{i}@mass.example.gov",
                first_name="Pat",
                last_name=f"Bench{i}",
                agency=agency,
                training_completed_on=trained,
                policy_acknowledged_on=trained,
            )
            for i in range(n)
        ),
        batch_size=2_000,
    )
    wave = Wave.objects.create(
        contract=contract,
        number=1,
        name="Bench wave",
        status="in_progress",
        planned_start=dt.date(2026, 11, 1),
        planned_end=dt.date(2026, 12, 31),
    )
    return Cohort.objects.create(
        wave=wave,
        agency=agency,
        seat_quota=n,
        onboarding_date=dt.date(2026, 11, 2),
        status="onboarding",
    )


def measure(cohort, n: int) -> dict[str, float]:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from licensing.models import Seat, SeatEvent
    from rollout.services import cohort_activate

    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        job = cohort_activate(cohort=cohort)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert job.status == "succeeded" and job.outcome["activated"] == n, job.outcome
    assert Seat.objects.filter(cohort=cohort, status="active").count() == n
    assert SeatEvent.objects.filter(seat__cohort=cohort, to_status="active").count() == n
    dupes = Seat.objects.filter(contract=cohort.wave.contract).values("employee")
    assert not dupes.annotate(k=Count("id")).filter(k__gt=1).exists()

    with CaptureQueriesContext(connection) as rerun_queries:
        rerun = time.perf_counter()
        again = cohort_activate(cohort=cohort)
        rerun = time.perf_counter() - rerun
    assert again.outcome["activated"] == 0 and again.outcome["already_active"] == n
    return {
        "wall": wall,
        "cpu": cpu,
        "queries": len(queries),
        "rerun": rerun,
        "rerun_queries": len(rerun_queries),
    }


def run() -> dict[int, list[dict[str, float]]]:
    results: dict[int, list[dict[str, float]]] = {n: [] for n in SIZES}
    for r in range(RUNS):
        for n in SIZES:
            cohort = build(f"B{n // 1000}K{r}", n)
            results[n].append(measure(cohort, n))
            m = results[n][-1]
            print(
                f"run {r + 1}/{RUNS}: {n:,} seats in {m['wall']:.2f} s wall "
                f"({m['cpu']:.2f} s CPU), {m['queries']} queries; rerun {m['rerun']:.2f} s",
                file=sys.stderr,
            )
    return results


def report(results: dict[int, list[dict[str, float]]]) -> None:
    print(
        "| seats | batches | wall s (median, min–max) | CPU s | seats/s | queries | "
        "queries per 1,000 seats | rerun s | rerun queries |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    for n, runs in results.items():
        wall = statistics.median(m["wall"] for m in runs)
        cpu = statistics.median(m["cpu"] for m in runs)
        queries = runs[0]["queries"]
        assert all(m["queries"] == queries for m in runs), "query count varies between runs"
        medians[n] = (wall, queries)
        lo, hi = min(m["wall"] for m in runs), max(m["wall"] for m in runs)
        rerun = statistics.median(m["rerun"] for m in runs)
        print(
            f"| {n:,} | {-(-n // 1000)} | {wall:.2f} ({lo:.2f}–{hi:.2f}) | {cpu:.2f} | "
            f"{n / wall:,.0f} | {queries} | {queries / (n / 1000):.1f} | {rerun:.2f} | "
            f"{runs[0]['rerun_queries']} |"
        )
    (small_wall, small_q), (big_wall, big_q) = medians[SIZES[0]], medians[SIZES[1]]
    print()
    print(
        f"{SIZES[1]:,} against {SIZES[0]:,}: {SIZES[1] // SIZES[0]}× the seats for "
        f"{big_wall / small_wall:.1f}× the time and {big_q / small_q:.1f}× the queries; "
        f"target {SIZES[1]:,} seats < {TARGET_SECONDS:.0f} s: "
        f"{'met' if big_wall < TARGET_SECONDS else 'MISSED'}."
    )


if __name__ == "__main__":
    main()
