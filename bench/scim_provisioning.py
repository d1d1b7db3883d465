"""Benchmark: an identity provider's initial sync (40,000 sequential SCIM POSTs) and a burst of
separations (PATCH active=false), against the cost engine, on PostgreSQL with Redis and a real
Celery worker (issue 15).

Shows, in one run on one database:

- the POSTs' throughput in the first and in the last 1,000 (a request must not slow down as the
  provisioned population grows), and how many cost recomputes they caused (none: linking the
  roster's people moves no money);
- the cost engine (one `contract_cost_snapshot`) before the 40,000 users and after them, and
  while the separations run: the ratio to the baseline measured at the start of this run;
- the separations: each revokes the person's seats in its request, and the recomputes they ask
  for coalesce (services/scheduling.py) into a handful of snapshots, the last of which equals a
  from-scratch recomputation; against the same separations with eager tasks (no broker, so each
  request recomputes the contract inline: the embedded default's behaviour) as the baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/10 CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/scim_provisioning.py [--scale 1.0] [--users 40000] \\
        [--separations 1000] [--eager 50]

It creates a throwaway database next to the one named (dropped at the end unless
BENCH_KEEP_DB=1), flushes the two Redis databases given (use your own), starts one Celery
worker on them (stopped by its process id at the end) and prints Markdown for
docs/benchmarks.md. Requests go through Django's whole middleware stack in-process (the test
client), so the figures are the application's, without a web server's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
if not (os.environ.get("REDIS_URL") and os.environ.get("CELERY_BROKER_URL")):
    sys.exit("Set REDIS_URL and CELERY_BROKER_URL to Redis databases of your own.")
DB_NAME = f"seatplan_bench_scim_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="seed_demo scale (1.0: 40,000)")
    parser.add_argument("--users", type=int, default=40_000)
    parser.add_argument("--separations", type=int, default=1_000)
    parser.add_argument("--eager", type=int, default=50, help="separations run with eager tasks")
    args = parser.parse_args()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    worker = None
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        os.environ["DEBUG"] = "false"
        os.environ["SCIM_THROTTLE_TOKEN"] = "100000000/min"
        os.environ["LOG_LEVEL"] = "WARNING"
        import django

        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _flush_redis()
        worker = _start_worker()
        Run(args).execute()
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _flush_redis() -> None:
    import redis

    for url in (os.environ["REDIS_URL"], os.environ["CELERY_BROKER_URL"]):
        redis.Redis.from_url(url).flushdb()


def _start_worker() -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "default,costs,bulk",
            "--pool=solo",
            "-l",
            "warning",
            "-n",
            f"bench-scim-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=REPO,
        env={**os.environ, "CONN_MAX_AGE": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from config.celery import app

    deadline = time.time() + 60
    while not app.control.ping(timeout=1):
        if worker.poll() is not None or time.time() > deadline:
            raise RuntimeError("the Celery worker did not start")
    return worker


def _median_ms(action, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Run:
    def __init__(self, args):
        self.args = args
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def execute(self) -> None:
        from django.conf import settings
        from django.test import Client

        from agencies.demo import demo_seed
        from identity.services.tokens import scim_token_create
        from licensing.models import Contract

        started = time.perf_counter()
        demo_seed(scale=self.args.scale)
        self.say(f"seeded the demo in {time.perf_counter() - started:.0f}s")
        self.contract = Contract.objects.get()
        _, raw = scim_token_create(name="bench")
        self.client = Client(
            HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="127.0.0.10", HTTP_HOST="127.0.0.1"
        )
        assert not settings.CELERY_TASK_ALWAYS_EAGER, "the worker path needs CELERY_BROKER_URL"

        base = self.cost_ms()
        self.say(f"cost engine baseline {base:.0f} ms")
        batches, ids, post_snapshots = self.provision()
        after = self.cost_ms()
        separations = self.separate(ids)
        eager = self.separate_eagerly(ids)
        self.report(base, batches, post_snapshots, after, separations, eager)

    # --- the cost engine -------------------------------------------------------------------

    def cost_ms(self) -> float:
        """One snapshot's time, median of seven, on freshly analysed tables (as autovacuum
        would leave them), so before and after compare the engine and not the planner."""
        from django.db import connection

        from licensing.services.cost import contract_cost_snapshot

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return _median_ms(lambda: contract_cost_snapshot(contract=self.contract), repeat=7)

    def snapshots(self) -> int:
        from licensing.models import CostSnapshot

        return CostSnapshot.objects.filter(contract=self.contract).count()

    # --- the initial sync --------------------------------------------------------------------

    def provision(self):
        from agencies.models import Employee

        employees = list(
            Employee.objects.select_related("agency").order_by("id")[: self.args.users]
        )
        before = self.snapshots()
        batches: list[float] = []
        ids: dict[int, str] = {}
        started = time.perf_counter()
        batch_started = started
        for n, employee in enumerate(employees, 1):
            response = self.client.post(
                "/scim/v2/Users",
                _user(employee),
                content_type="application/scim+json",
            )
            if response.status_code != 201:
                raise RuntimeError(f"POST {n} answered {response.status_code}: {response.content}")
            ids[employee.pk] = response.json()["id"]
            if n % 1000 == 0:
                now = time.perf_counter()
                batches.append(1000 / (now - batch_started))
                batch_started = now
                self.say(f"  {n:,} POSTs, {batches[-1]:.0f}/s in the last 1,000")
        self.say(f"{len(employees):,} POSTs in {time.perf_counter() - started:.0f}s")
        self.drain()
        return batches, ids, self.snapshots() - before

    # --- separations -------------------------------------------------------------------------

    def _seated(self, ids: dict[int, str], count: int, skip: int = 0) -> list[str]:
        from licensing.models import Seat

        holders = (
            Seat.objects.filter(contract=self.contract, status="active", employee_id__in=ids)
            .order_by("employee_id")
            .values_list("employee_id", flat=True)
            .distinct()
        )
        return [ids[e] for e in list(holders[skip : skip + count])]

    def _deactivate(self, scim_id: str) -> None:
        response = self.client.patch(
            f"/scim/v2/Users/{scim_id}",
            {
                "schemas": [PATCH],
                "Operations": [{"op": "Replace", "path": "active", "value": False}],
            },
            content_type="application/scim+json",
        )
        if response.status_code != 200:
            raise RuntimeError(f"PATCH answered {response.status_code}: {response.content}")

    def separate(self, ids: dict[int, str]) -> dict:
        from licensing.models import Seat
        from licensing.services.cost import contract_cost_snapshot

        targets = self._seated(ids, self.args.separations)
        before = self.snapshots()
        active_before = Seat.objects.filter(contract=self.contract, status="active").count()
        times, during = [], []
        started = time.perf_counter()
        for n, scim_id in enumerate(targets, 1):
            t = time.perf_counter()
            self._deactivate(scim_id)
            times.append((time.perf_counter() - t) * 1000)
            if n % max(1, len(targets) // 4) == 0:
                # The cost engine, measured while the burst goes on.
                t = time.perf_counter()
                contract_cost_snapshot(contract=self.contract)
                during.append((time.perf_counter() - t) * 1000)
        burst = time.perf_counter() - started
        measured = len(during)
        from django.utils import timezone

        lag = self.drain(since=timezone.now())
        written = self.snapshots() - before - measured
        from licensing.models import CostSnapshot
        from licensing.services.cost import contract_cost_report

        latest = CostSnapshot.objects.filter(contract=self.contract).latest("computed_at", "id")
        fresh = contract_cost_report(contract=self.contract)
        return {
            "count": len(targets),
            "seats_before": active_before,
            "seats_after": Seat.objects.filter(contract=self.contract, status="active").count(),
            "median_ms": statistics.median(times),
            "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
            "burst_s": burst,
            "recomputes": written,
            "lag_s": lag,
            "during_ms": statistics.median(during) if during else None,
            "matches": latest.active_seats == fresh.active_seats
            and latest.projected_total == fresh.projected_total,
        }

    def separate_eagerly(self, ids: dict[int, str]) -> dict:
        from django.conf import settings

        from config.celery import app

        targets = self._seated(ids, self.args.eager, skip=0)
        before = self.snapshots()
        settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True
        try:
            times = []
            for scim_id in targets:
                t = time.perf_counter()
                self._deactivate(scim_id)
                times.append((time.perf_counter() - t) * 1000)
        finally:
            settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
        return {
            "count": len(targets),
            "median_ms": statistics.median(times) if times else 0,
            "recomputes": self.snapshots() - before,
        }

    def drain(self, since=None, timeout: float = 900) -> float:
        """Wait until the worker has no cost recompute left to run (the coalescing marker gone,
        nothing queued) and, when `since` is given, has written a snapshot after it; return how
        long that took."""
        from django.core.cache import cache

        from licensing.models import CostSnapshot
        from licensing.services.scheduling import _keys

        scheduled, _ = _keys(self.contract.pk)
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            idle = cache.get(scheduled) is None and _queued() == 0
            written = (
                since is None
                or CostSnapshot.objects.filter(
                    contract=self.contract, computed_at__gt=since
                ).exists()
            )
            if idle and written:
                return time.perf_counter() - started
            time.sleep(0.2)
        raise RuntimeError("the cost recompute did not finish")

    # --- report ------------------------------------------------------------------------------

    def report(self, base, batches, post_snapshots, after, sep, eager) -> None:
        first, last = batches[0], batches[-1]
        print("\n### SCIM provisioning against the cost engine\n")
        print(
            f"PostgreSQL, Redis, one Celery worker (solo pool); demo at scale "
            f"{self.args.scale:g}; requests through Django's middleware in-process.\n"
        )
        print("| measure | figure |")
        print("| --- | --- |")
        print(
            f"| sequential POST /Users (each links a roster employee) | {len(batches) * 1000:,} |"
        )
        print(
            f"| throughput, first 1,000 / last 1,000 | {first:.0f}/s / {last:.0f}/s "
            f"(last ÷ first {last / first:.2f}) |"
        )
        print(f"| cost recomputes the POSTs caused | {post_snapshots} |")
        print(f"| one cost snapshot: before the POSTs (baseline) | {base:.0f} ms |")
        print(f"| one cost snapshot: after them | {after:.0f} ms ({after / base:.2f}× baseline) |")
        if sep["during_ms"] is not None:
            print(
                f"| one cost snapshot: during the separations | {sep['during_ms']:.0f} ms "
                f"({sep['during_ms'] / base:.2f}× baseline) |"
            )
        print(
            f"| separations (PATCH active=false, sequential) | {sep['count']:,} in "
            f"{sep['burst_s']:.0f}s; active seats {sep['seats_before']:,} → "
            f"{sep['seats_after']:,} |"
        )
        print(
            f"| separation request, median / p95 | {sep['median_ms']:.0f} ms / "
            f"{sep['p95_ms']:.0f} ms |"
        )
        print(
            f"| recomputes the separations caused (coalesced) | {sep['recomputes']} for "
            f"{sep['count']:,} separations |"
        )
        print(
            f"| last snapshot after the burst | {sep['lag_s']:.1f} s after the last request; "
            f"equals a from-scratch recompute: {'yes' if sep['matches'] else 'NO'} |"
        )
        print(
            f"| baseline: separation request with eager tasks (no broker), median | "
            f"{eager['median_ms']:.0f} ms ({eager['median_ms'] / sep['median_ms']:.1f}× the "
            f"coalesced request), {eager['recomputes']} recomputes for {eager['count']} |"
        )


def _queued() -> int:
    import redis

    connection = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    return sum(connection.llen(q) for q in ("costs", "default", "bulk"))


def _user(employee) -> dict:
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": employee.email,
        "externalId": f"ext-{employee.employee_number}",
        "active": True,
        "name": {"givenName": employee.first_name, "familyName": employee.last_name},
        "displayName": f"{employee.first_name} {employee.last_name}",
        "title": employee.job_title,
        "emails": [{"type": "work", "value": employee.email, "primary": True}],
        ENTERPRISE: {
            "employeeNumber": employee.employee_number,
            "department": employee.agency.code,
        },
    }


if __name__ == "__main__":
    main()
