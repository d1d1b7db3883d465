"""Benchmark: the 40,000-row roster import on PostgreSQL, against django-import-export's defaults.

Shows (issue 6) in one run, on the same files:

- creating 40,000 employees and then updating all of them with `roster_import`, against a
  django-import-export `ModelResource` with its default settings (row by row, `use_bulk` off)
  importing the same two files into the same empty table; rows per second and the ratio;
- the SQL statements each of our imports issues (CaptureQueriesContext), against the budget
  c + 3·⌈N/1000⌉;
- the peak Python memory (tracemalloc) of our import for 1,000 rows and for 40,000 rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/roster_import.py [--rows 40000] [--skip-default]

It creates a throwaway database next to the one named (dropped at the end, unless
BENCH_KEEP_DB=1), writes the roster files to a temporary folder and prints Markdown for
docs/benchmarks.md. Both importers write employee history rows (simple_history: ours in bulk,
the default through the post_save signal), so they do the same work.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
DB_NAME = f"seatplan_bench_roster_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
HEADER = (
    "employee_number,email,first_name,last_name,agency_code,bargaining_unit_code,job_title,"
    "employment_status,training_completed_on,policy_acknowledged_on"
)
FIRST = ["Zoë", "Ana", "José", "Mary", "Wei", "Ñuria", "John", "Aisha", "Liam", "Olga", "Sean"]
LAST = ["Nunez-Ñúñez", "OBrien", "Smith", "Nguyen", "García", "Kowalski", "Lee", "Murphy", "Dubois"]
TITLES = ["Program Coordinator", "Analyst", "Case Worker", "Engineer", "Clerk", "Manager"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--skip-default", action="store_true", help="Only our importer.")
    args = parser.parse_args()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        os.environ["DEBUG"] = "false"
        os.environ.pop("CELERY_BROKER_URL", None)
        import django

        django.setup()
        with tempfile.TemporaryDirectory(prefix="seatplan-bench-roster-") as folder:
            run(Path(folder), args.rows, with_default=not args.skip_default)
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def write_roster(path: Path, rows: int, *, version: int, encoding: str = "utf-8") -> Path:
    """`rows` employees over 15 agencies; version 2 changes every row's job title and, for one
    row in ten, the agency or the training date."""
    rng = random.Random(6)
    lines = [HEADER]
    for i in range(rows):
        agency = f"AG{i % 15:02d}"
        title = TITLES[i % len(TITLES)]
        training = f"2026-01-{1 + i % 28:02d}"
        if version == 2:
            title = f"Senior {title}"
            if i % 10 == 0:
                agency = f"AG{(i + 1) % 15:02d}"
            if i % 10 == 5:
                training = f"02/{1 + i % 28:02d}/2026"
        unit = "" if i % 3 else f"U{i % 4}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lines.append(
            f'E{i:07d},e{i:07d}.{last[:3].lower()}@bench.example.gov,{first},"{last}",{agency},{unit},'
            f"{title},active,{training},2026-01-20"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding=encoding)
    return path


def setup_codes() -> None:
    from agencies.models import Agency, BargainingUnit

    Agency.objects.bulk_create(Agency(code=f"AG{i:02d}", name=f"Agency {i}") for i in range(15))
    BargainingUnit.objects.bulk_create(
        BargainingUnit(code=f"U{i}", name=f"Unit {i}", union="NAGE") for i in range(4)
    )


def wipe() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE agencies_employee, agencies_historicalemployee, rollout_job RESTART IDENTITY"
            " CASCADE"
        )
        cursor.execute("VACUUM ANALYZE agencies_employee")
        cursor.execute("VACUUM ANALYZE agencies_historicalemployee")


def ours(path: Path, *, capture: bool = True):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.imports import roster_import

    gc.collect()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        report = roster_import(file=path, filename=path.name)
        seconds = time.perf_counter() - started
    assert not report.rejected, report.errors[:5]
    statements = len(ctx.captured_queries) if capture else None
    return report, seconds, statements


def ours_peak(path: Path) -> int:
    from agencies.imports import roster_import

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        report = roster_import(file=path, filename=path.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.rejected, report.errors[:5]
    return peak


def default_resource_class():
    from import_export import fields, resources, widgets

    from agencies.models import Agency, BargainingUnit, Employee

    class DefaultEmployeeResource(resources.ModelResource):
        """django-import-export's defaults: only the agency and unit columns mapped to the
        roster's names (dates use Django's DATE_INPUT_FORMATS: ISO and US both)."""

        agency = fields.Field(
            attribute="agency",
            column_name="agency_code",
            widget=widgets.ForeignKeyWidget(Agency, field="code"),
        )
        bargaining_unit = fields.Field(
            attribute="bargaining_unit",
            column_name="bargaining_unit_code",
            widget=widgets.ForeignKeyWidget(BargainingUnit, field="code"),
        )

        class Meta:
            model = Employee
            fields = (
                "employee_number",
                "email",
                "first_name",
                "last_name",
                "agency",
                "bargaining_unit",
                "job_title",
                "employment_status",
                "training_completed_on",
                "policy_acknowledged_on",
            )
            import_id_fields = ("employee_number",)

    return DefaultEmployeeResource


def default(path: Path):
    import tablib

    resource = default_resource_class()()
    gc.collect()
    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    result = resource.import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        rows = result.invalid_rows[:3] or result.row_errors()[:3]
        raise SystemExit(f"django-import-export refused the file: {rows!r}")
    return result, seconds


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def budget(rows: int) -> int:
    return 3 * math.ceil(rows / 1000)


def run(folder: Path, rows: int, *, with_default: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    from agencies.models import Employee

    call_command("migrate", verbosity=0)
    setup_codes()
    create_file = write_roster(folder / "roster-v1.csv", rows, version=1)
    update_file = write_roster(folder / "roster-v2.csv", rows, version=2)
    small_file = write_roster(folder / "roster-small.csv", 1000, version=1)
    print(f"PostgreSQL {connection.pg_version // 10000}, {rows:,} rows, files in {folder}\n")

    wipe()
    created, t_create, q_create = ours(create_file)
    assert created.new == rows
    say(f"ours, create: {t_create:.1f} s, {q_create} statements")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    updated, t_update, q_update = ours(update_file)
    assert updated.updated == rows, updated.counts()
    say(f"ours, update: {t_update:.1f} s, {q_update} statements")
    again, t_again, q_again = ours(update_file)
    assert again.unchanged == rows
    say(f"ours, unchanged: {t_again:.1f} s, {q_again} statements")

    wipe()
    peak_small = ours_peak(small_file)
    wipe()
    peak_large = ours_peak(create_file)
    wipe()
    ours(small_file)
    peak_small_update = ours_peak(write_roster(folder / "roster-small-v2.csv", 1000, version=2))
    wipe()
    ours(create_file)
    peak_large_update = ours_peak(update_file)
    say(f"peaks: {peak_small}, {peak_large}, {peak_small_update}, {peak_large_update} bytes")

    d_create = d_update = None
    if with_default:
        wipe()
        result, d_create = default(create_file)
        assert Employee.objects.count() == rows
        say(f"default, create: {d_create:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result, d_update = default(update_file)
        assert result.totals["update"] == rows, result.totals
        say(f"default, update: {d_update:.1f} s")

    print("| import | rows | ours s | ours rows/s | default s | default rows/s | × |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, ours_s, default_s in (
        ("create all", t_create, d_create),
        ("update all", t_update, d_update),
    ):
        cells = f"| {label} | {rows:,} | {ours_s:.1f} | {rows / ours_s:,.0f} |"
        if default_s:
            cells += f" {default_s:.1f} | {rows / default_s:,.0f} | {default_s / ours_s:.1f}× |"
        else:
            cells += " – | – | – |"
        print(cells)
    print(f"| re-import, all unchanged | {rows:,} | {t_again:.1f} | {rows / t_again:,.0f} | | | |")
    print()
    print("| our import | SQL statements | budget c + 3·⌈N/1000⌉ with c = 10 |")
    print("|---|---:|---:|")
    for label, statements in (
        ("create all", q_create),
        ("update all", q_update),
        ("re-import, unchanged", q_again),
    ):
        print(f"| {label} | {statements} | {10 + budget(rows)} |")
    print()
    print(f"| our import | peak, 1,000 rows | peak, {rows:,} rows | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| create | {peak_small / 2**20:.2f} MiB | {peak_large / 2**20:.2f} MiB | "
        f"{peak_large / peak_small:.2f}× |"
    )
    print(
        f"| update | {peak_small_update / 2**20:.2f} MiB | {peak_large_update / 2**20:.2f} MiB | "
        f"{peak_large_update / peak_small_update:.2f}× |"
    )


if __name__ == "__main__":
    main()
