"""Benchmark: a contract cost recompute on PostgreSQL at 1,000 and at 40,000 seats.

Shows (issue 3) that a recompute issues the same number of queries whatever the number of seats,
and how long it takes against a bare COUNT(*) over the seat-event table in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/cost_recompute.py

It creates a throwaway database next to the one named (dropped at the end; `BENCH_KEEP_DB=1`
keeps it), builds seats with histories in bulk, brings it to a running system's steady state (the
active-seat tally folded, tables vacuumed), then times the recompute of each contract and the
COUNT(*) interleaved, `BENCH_RUNS` rounds (default 31), and prints a Markdown table for
docs/benchmarks.md, then where the 40,000-seat recompute's time goes, step by step.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
DB_NAME = f"seatplan_bench_cost_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
NY = ZoneInfo("America/New_York")
RUNS = int(os.environ.get("BENCH_RUNS", 31))
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def main() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        os.environ.pop("CELERY_BROKER_URL", None)
        import django

        django.setup()
        run()
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def build(contract_number: str, seats: int, rng: random.Random):
    """A demo-terms contract with `seats` seats over 15 agencies, each with a history of about
    three events (requested, active, and for some suspended or reactivated)."""
    from decimal import Decimal

    from agencies.models import Agency, Employee
    from licensing.models import Contract, PriceTier, Seat, SeatEvent

    contract = Contract.objects.create(
        name="Bench",
        vendor="OpenAI",
        number=contract_number,
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
    agencies = [
        Agency.objects.get_or_create(code=f"AG{i:02d}", defaults={"name": f"Agency {i}"})[0]
        for i in range(15)
    ]
    employees = Employee.objects.bulk_create(
        (
            Employee(
                employee_number=f"{contract_number}-{i:06d}",
                email=f"{contract_number.lower()}.{i}@bench.example",
                first_name="Bench",
                last_name=str(i),
                agency=agencies[i % 15],
            )
            for i in range(seats)
        ),
        batch_size=5000,
    )
    start = dt.datetime(2026, 2, 13, 9, tzinfo=NY)
    histories = []
    for _ in employees:
        t = start + dt.timedelta(days=rng.randint(0, 250), minutes=rng.randint(0, 600))
        steps = []
        for to_status in ["requested", "active", "suspended", "active"][: _length(rng)]:
            steps.append((t, to_status))
            t += dt.timedelta(days=rng.randint(1, 40))
        histories.append(steps)
    seat_rows = Seat.objects.bulk_create(
        (
            Seat(
                contract=contract,
                employee=e,
                agency_id=e.agency_id,
                status=steps[-1][1],
                status_changed_at=steps[-1][0],
            )
            for e, steps in zip(employees, histories, strict=True)
        ),
        batch_size=5000,
    )
    events = []
    for seat, steps in zip(seat_rows, histories, strict=True):
        previous = ("", None)
        for at, to_status in steps:
            events.append(
                SeatEvent.for_seat(
                    seat,
                    from_status=previous[0],
                    from_at=previous[1],
                    to_status=to_status,
                    at=at,
                )
            )
            previous = (to_status, at)
    SeatEvent.objects.bulk_create(events, batch_size=10_000)
    return contract


def _length(rng: random.Random) -> int:
    """Events per seat: most end active; 15% suspended since, 5% of them reactivated."""
    roll = rng.random()
    return 4 if roll < 0.05 else 3 if roll < 0.15 else 2


def recompute_statements(contracts, as_of: dt.date) -> tuple[dict, dict]:
    """Statements of each contract's first recompute, and of the next one (the steady state the
    rounds time). The first also writes the billing lines of the closed periods and, when a
    figure crosses an alert threshold, the event, which eager Celery dispatches in-process (a
    worker does that elsewhere). Transaction control (BEGIN, COMMIT, savepoints) is not counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from licensing.services.cost import contract_cost_snapshot

    def counted(contract) -> int:
        with CaptureQueriesContext(connection) as ctx:
            contract_cost_snapshot(contract=contract, as_of=as_of)
        return len(
            [q for q in ctx.captured_queries if q["sql"].split()[0] not in _TRANSACTION_CONTROL]
        )

    first = {contract: counted(contract) for contract in contracts}
    return first, {contract: counted(contract) for contract in contracts}


# The steps of `contract_cost_snapshot`, by the module that calls each: the rest of a recompute's
# time is the snapshot insert, the commit and the glue between them.
_STEPS = (
    ("licensing.services.cost", "contract_cost_fingerprint"),
    ("licensing.selectors", "contract_terms"),
    ("licensing.selectors", "seat_counts_for_cost"),
    ("licensing.selectors", "planned_cohorts"),
    ("licensing.services.cost", "build_report"),
    ("licensing.services.cost", "billing_lines_record"),
    ("licensing.services.cost", "cost_thresholds_observe"),
)


def step_medians(contract, as_of: dt.date, runs: int = 41) -> dict[str, float]:
    """Median seconds of each step of the contract's recompute, and of the whole, over `runs`
    recomputes (each step timed where its caller calls it, the calls patched for the run)."""
    import importlib
    from unittest import mock

    from licensing.services.cost import contract_cost_snapshot

    samples: dict[str, list[float]] = {name: [] for _, name in _STEPS}
    samples["whole recompute"] = []

    def timed(name, fn):
        def call(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                samples[name].append(time.perf_counter() - t)

        return call

    patches = [
        mock.patch.object(module, name, timed(name, getattr(module, name)))
        for module, name in ((importlib.import_module(m), n) for m, n in _STEPS)
    ]
    for patch in patches:
        patch.start()
    try:
        for _ in range(runs):
            t = time.perf_counter()
            contract_cost_snapshot(contract=contract, as_of=as_of)
            samples["whole recompute"].append(time.perf_counter() - t)
    finally:
        for patch in patches:
            patch.stop()
    return {name: statistics.median(values) for name, values in samples.items()}


def timed_rounds(series: dict) -> dict:
    """Median seconds of each callable over RUNS rounds, the series interleaved in every round
    so that load on the machine hits them alike."""
    samples = {name: [] for name in series}
    for _ in range(RUNS):
        for name, fn in series.items():
            t = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t)
    return {name: statistics.median(values) for name, values in samples.items()}


def run() -> None:
    from django.core.management import call_command
    from django.db import connection

    from licensing.services.cost import contract_cost_snapshot
    from licensing.services.tally import active_tally_rebuild

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    t = time.perf_counter()
    small = build("SMALL", 1_000, rng)
    large = build("LARGE", 40_000, rng)
    built = time.perf_counter() - t
    # The steady state of a running system: beat's safety net has folded the tally's deltas
    # (every 15 minutes) and autovacuum has visited the tables (which also lets COUNT(*) and the
    # billing statement scan their indexes alone).
    for contract in (small, large):
        active_tally_rebuild(contract_id=contract.pk)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT COUNT(*) FROM licensing_seatevent")
        events = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM licensing_activeseattally")
        tally_rows = cur.fetchone()[0]
    as_of = dt.date(2026, 11, 29)

    def count_events():
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM licensing_seatevent")
            cur.fetchone()

    first, queries = recompute_statements((small, large), as_of)
    series = {"count": count_events}
    for contract in (small, large):
        series[contract] = lambda c=contract: contract_cost_snapshot(contract=c, as_of=as_of)
    medians = timed_rounds(series)
    baseline = medians.pop("count")
    rows = [(c.seats.count(), queries[c], seconds) for c, seconds in medians.items()]

    print(f"built 41,000 seats and {events:,} events in {built:.1f} s")
    print(f"active-seat tally after the rebuild: {tally_rows:,} rows for both contracts\n")
    print(
        f"| seats | queries per recompute | recompute (median of {RUNS}) "
        "| × COUNT(*) over all events |"
    )
    print("|---:|---:|---:|---:|")
    for seats, queries, seconds in rows:
        print(f"| {seats:,} | {queries} | {seconds * 1000:.1f} ms | {seconds / baseline:.2f}× |")
    print(
        f"\nbaseline: SELECT COUNT(*) FROM licensing_seatevent ({events:,} rows): "
        f"{baseline * 1000:.1f} ms (median of {RUNS})"
    )
    print(
        "first recompute of each contract (closed billing lines written, threshold events "
        "dispatched in-process): " + ", ".join(f"{c.number} {n} queries" for c, n in first.items())
    )
    print("\nwhere the 40,000-seat recompute's time goes (median of 41, each step timed alone):\n")
    print("| step | ms |\n|---|---:|")
    for name, seconds in step_medians(large, as_of).items():
        print(f"| {name} | {seconds * 1000:.2f} |")


if __name__ == "__main__":
    main()
