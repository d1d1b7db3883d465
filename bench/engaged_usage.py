"""Benchmark: an engaged-basis cost recompute on PostgreSQL with a year of usage.

On the engaged basis a contract accumulates about 40,000 x 250 `UsageDay` rows a year. Shows
(issue 12) that a recompute issues the same number of queries at 1,000 and at 40,000 seats, and
that at a year of usage it stays within 3x a `COUNT(*)` over the current period's usage rows,
measured in the same run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/engaged_usage.py

It creates a throwaway database next to the one named (dropped at the end; `BENCH_KEEP_DB=1`
keeps it), builds the two contracts of `bench/cost_recompute.py` on the engaged basis, writes
one usage day for every seat on every business day of the term up to the as-of day, one
statement a day as the daily usage import would (the usage-period triggers run as they would in
production), brings the database to a running system's steady state (`VACUUM ANALYZE`), then
times the recompute of each contract and the COUNT(*) interleaved, `BENCH_RUNS` rounds (default
15), and prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_RUNS", "15")

import cost_recompute as base  # after the path and the default rounds

AS_OF = dt.date(2027, 2, 5)  # in the term's last period (13 Jan – 12 Feb 2027)
DB_NAME = f"seatplan_bench_engaged_{os.getpid()}"


def business_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def run() -> None:
    from django.core.management import call_command
    from django.db import connection

    from licensing import pricing
    from licensing.models import Contract
    from licensing.services.cost import contract_cost_snapshot
    from licensing.services.tally import active_tally_rebuild

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    t = time.perf_counter()
    small = base.build("SMALL", 1_000, rng)
    large = base.build("LARGE", 40_000, rng)
    Contract.objects.filter(pk__in=[small.pk, large.pk]).update(billing_basis="engaged")
    days = business_days(small.start_date, AS_OF)
    with connection.cursor() as cur:
        for day in days:
            cur.execute(
                "INSERT INTO licensing_usageday (seat_id, date, messages) "
                "SELECT s.id, %s, 3 FROM licensing_seat s",
                [day],
            )
    built = time.perf_counter() - t
    for contract in (small, large):
        contract.refresh_from_db()
        active_tally_rebuild(contract_id=contract.pk)
    current = next(
        p
        for p in pricing.billing_periods(large.start_date, large.end_date)
        if p.start <= AS_OF <= p.end
    )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT COUNT(*) FROM licensing_usageday")
        usage_rows = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM licensing_usageperiod")
        summary_rows = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM licensing_usageday WHERE date >= %s AND date <= %s",
            [current.start, AS_OF],
        )
        current_rows = cur.fetchone()[0]

    def count_current_usage():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM licensing_usageday WHERE date >= %s AND date <= %s",
                [current.start, AS_OF],
            )
            cur.fetchone()

    first, queries = base.recompute_statements((small, large), AS_OF)
    series = {"count": count_current_usage}
    for contract in (small, large):
        series[contract] = lambda c=contract: contract_cost_snapshot(contract=c, as_of=AS_OF)
    medians = base.timed_rounds(series)
    baseline = medians.pop("count")

    print(
        f"built 41,000 seats and {usage_rows:,} usage days ({len(days)} business days) in "
        f"{built:.0f} s; usage-period summary: {summary_rows:,} rows\n"
    )
    print(
        f"| seats | usage days of the contract | queries per recompute "
        f"| recompute (median of {base.RUNS}) | × COUNT(*) over the current period's usage |"
    )
    print("|---:|---:|---:|---:|---:|")
    for contract, seconds in medians.items():
        seats = contract.seats.count()
        print(
            f"| {seats:,} | {seats * len(days):,} | {queries[contract]} "
            f"| {seconds * 1000:.1f} ms | {seconds / baseline:.2f}× |"
        )
    print(
        f"\nbaseline: SELECT COUNT(*) FROM licensing_usageday over the current period "
        f"({current.start} – {AS_OF}, {current_rows:,} rows): {baseline * 1000:.1f} ms "
        f"(median of {base.RUNS})"
    )
    print(
        "first recompute of each contract (closed billing lines written, threshold events "
        "dispatched in-process): " + ", ".join(f"{c.number} {n} queries" for c, n in first.items())
    )


def main() -> None:
    import psycopg

    with psycopg.connect(base.ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = base.BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
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
            with psycopg.connect(base.ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


if __name__ == "__main__":
    main()
