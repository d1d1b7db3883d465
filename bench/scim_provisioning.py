"""Benchmark: an identity provider's initial sync (40,000 sequential SCIM POSTs) and a burst of
separations (PATCH active=false), against the cost engine, on PostgreSQL with Redis and a real
Celery worker (issue 15).

Shows, in one run on one database:

- the POSTs' cost as the provisioned population grows: the CPU time each request takes in its
  thread, in the first, the last and the most costly 1,000 (CPU rather than wall time: the
  development machine is shared, its load changes by the minute), and how many cost recomputes
  they caused (none: linking the roster's people moves no money);
- the cost engine (one `contract_cost_snapshot`) while the POSTs run, timed in pairs, the
  request stream paused then flowing, so the machine's load weighs on both alike; and before
  the 40,000 users against after them;
- the separations (PATCH active=false), each revoking the person's seats in its request: the
  recomputes they ask for coalesce (licensing/services/scheduling.py) into a handful the worker
  runs, the last of which equals a from-scratch recomputation; the cost engine timed in pairs
  during them as above; and, as the baseline, the same separation with eager tasks (no broker:
  the request recomputes the contract inline, the embedded default's behaviour), interleaved
  with coalesced ones.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/10 CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/scim_provisioning.py [--scale 1.0] [--users 40000] \\
        [--separations 1000] [--eager 25]

It creates a throwaway database next to the one named (dropped at the end unless
BENCH_KEEP_DB=1), flushes the two Redis databases given (use your own), starts one Celery
worker on them (stopped by its process id at the end) and prints Markdown for
docs/benchmarks.md. Requests go through Django's whole middleware stack in-process (the test
client), so the figures are the application's, without a web server's.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
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
    parser.add_argument(
        "--eager", type=int, default=25, help="separations run with eager tasks (and as many not)"
    )
    args = parser.parse_args()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    worker = None
    # A SIGTERM (timeout, kill) runs the clean-up below too: the worker stopped, the database gone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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


class Traffic:
    """A stream of SCIM requests in a thread of its own, which the measuring thread can pause:
    the cost engine is timed alternately with the stream paused and flowing, so the machine's
    load (shared, and changing by the minute) weighs on both sides of the comparison alike."""

    def __init__(self, requests, on_batch=None):
        self.requests = requests
        self.on_batch = on_batch
        self.pause = threading.Event()
        self.paused = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.cpu_ms: list[float] = []
        self.wall_ms: list[float] = []
        self.last_done = None  # when the last request finished (an aware datetime)

    def _run(self) -> None:
        from django.db import connections
        from django.utils import timezone

        try:
            for request in self.requests:
                while self.pause.is_set():
                    self.paused.set()
                    time.sleep(0.01)
                self.paused.clear()
                t, c = time.perf_counter(), time.thread_time()
                request()
                self.last_done = timezone.now()
                self.cpu_ms.append((time.thread_time() - c) * 1000)
                self.wall_ms.append((time.perf_counter() - t) * 1000)
                if self.on_batch and len(self.cpu_ms) % 1000 == 0:
                    self.on_batch(self)
        except BaseException as exc:  # reported by the measuring thread
            self.error = exc
        finally:
            self.paused.set()
            connections.close_all()

    def alive(self) -> bool:
        return self.thread.is_alive()


def _snapshot_timed(contract) -> tuple[float, float]:
    """One cost snapshot: (wall ms, this thread's CPU ms)."""
    from licensing.services.cost import contract_cost_snapshot

    t, c = time.perf_counter(), time.thread_time()
    contract_cost_snapshot(contract=contract)
    return (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000


def _ab(contract, traffic: Traffic, gap: float) -> dict:
    """Time the cost engine while the traffic runs: each round one snapshot with the traffic
    paused, one with it flowing. Returns the medians of both and the pairs measured."""
    quiet, busy = [], []
    traffic.thread.start()
    while traffic.alive():
        time.sleep(gap)
        traffic.pause.set()
        traffic.paused.wait(30)
        if not traffic.alive():
            break
        quiet.append(_snapshot_timed(contract))
        traffic.pause.clear()
        time.sleep(0.3)
        if not traffic.alive():
            break
        busy.append(_snapshot_timed(contract))
    traffic.thread.join()
    if traffic.error is not None:
        raise traffic.error
    return {
        "rounds": min(len(quiet), len(busy)),
        "measured": len(quiet) + len(busy),
        "quiet_ms": statistics.median(w for w, _ in quiet) if quiet else None,
        "busy_ms": statistics.median(w for w, _ in busy) if busy else None,
        "quiet_cpu": statistics.median(c for _, c in quiet) if quiet else None,
        "busy_cpu": statistics.median(c for _, c in busy) if busy else None,
    }


class Run:
    def __init__(self, args):
        self.args = args

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def execute(self) -> None:
        from django.conf import settings

        from agencies.demo import demo_seed
        from identity.services.tokens import scim_token_create
        from licensing.models import Contract

        started = time.perf_counter()
        demo_seed(scale=self.args.scale)
        self.say(f"seeded the demo in {time.perf_counter() - started:.0f}s")
        self.contract = Contract.objects.get()
        _, self.raw = scim_token_create(name="bench")
        assert not settings.CELERY_TASK_ALWAYS_EAGER, "the worker path needs CELERY_BROKER_URL"
        self.analyse()
        before = _median_snapshot(self.contract)
        provisioning, ids = self.provision()
        self.analyse()
        after = _median_snapshot(self.contract)
        separations = self.separate(ids)
        eager = self.separate_eagerly(ids)
        self.report(before, after, provisioning, separations, eager)

    def client(self):
        from django.test import Client

        return Client(
            HTTP_AUTHORIZATION=f"Bearer {self.raw}",
            REMOTE_ADDR="127.0.0.10",
            HTTP_HOST="127.0.0.1",
        )

    def analyse(self) -> None:
        """ANALYZE, as autovacuum would after bulk writes, so a comparison of the cost engine
        before and after compares the engine and not the planner's statistics."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def snapshots(self) -> int:
        from licensing.models import CostSnapshot

        return CostSnapshot.objects.filter(contract=self.contract).count()

    # --- the initial sync --------------------------------------------------------------------

    def provision(self):
        from agencies.models import Employee

        employees = list(
            Employee.objects.select_related("agency").order_by("id")[: self.args.users]
        )
        client = self.client()
        ids: dict[int, str] = {}
        batches: list[float] = []

        def post(employee):
            def send():
                response = client.post(
                    "/scim/v2/Users", _user(employee), content_type="application/scim+json"
                )
                if response.status_code != 201:
                    raise RuntimeError(f"POST answered {response.status_code}: {response.content}")
                ids[employee.pk] = response.json()["id"]

            return send

        def batch(traffic: Traffic) -> None:
            batches.append(statistics.mean(traffic.cpu_ms[-1000:]))
            self.say(
                f"  {len(traffic.cpu_ms):,} POSTs; last 1,000: {batches[-1]:.1f} ms CPU and "
                f"{statistics.median(traffic.wall_ms[-1000:]):.0f} ms wall (median) a request"
            )

        before = self.snapshots()
        traffic = Traffic([post(e) for e in employees], on_batch=batch)
        started = time.perf_counter()
        ab = _ab(self.contract, traffic, gap=20)
        elapsed = time.perf_counter() - started
        self.drain()
        return {
            "count": len(traffic.cpu_ms),
            "seconds": elapsed,
            "batches": batches,
            "recomputes": self.snapshots() - before - ab["measured"],
            **ab,
        }, ids

    # --- separations -------------------------------------------------------------------------

    def _seated(self, ids: dict[int, str], count: int) -> list[str]:
        from licensing.models import Seat

        holders = (
            Seat.objects.filter(contract=self.contract, status="active", employee_id__in=ids)
            .order_by("employee_id")
            .values_list("employee_id", flat=True)
            .distinct()
        )
        return [ids[e] for e in list(holders[:count])]

    def _deactivate(self, client, scim_id: str):
        def send():
            response = client.patch(
                f"/scim/v2/Users/{scim_id}",
                {
                    "schemas": [PATCH],
                    "Operations": [{"op": "Replace", "path": "active", "value": False}],
                },
                content_type="application/scim+json",
            )
            if response.status_code != 200:
                raise RuntimeError(f"PATCH answered {response.status_code}: {response.content}")

        return send

    def separate(self, ids: dict[int, str]) -> dict:

        from licensing.models import CostSnapshot, Seat
        from licensing.services.cost import contract_cost_report

        targets = self._seated(ids, self.args.separations)
        client = self.client()
        active_before = Seat.objects.filter(contract=self.contract, status="active").count()
        before = self.snapshots()
        traffic = Traffic([self._deactivate(client, t) for t in targets])
        started = time.perf_counter()
        ab = _ab(self.contract, traffic, gap=3)
        burst = time.perf_counter() - started
        # The last recompute comes after the last separation: wait for a snapshot since then,
        # and say how long after it the snapshot was written.
        self.drain(since=traffic.last_done)
        lag = (latest_snapshot_at(self.contract) - traffic.last_done).total_seconds()
        written = self.snapshots() - before - ab["measured"]
        latest = CostSnapshot.objects.filter(contract=self.contract).latest("computed_at", "id")
        fresh = contract_cost_report(contract=self.contract)
        return {
            "count": len(targets),
            "seats_before": active_before,
            "seats_after": Seat.objects.filter(contract=self.contract, status="active").count(),
            "cpu_ms": statistics.median(traffic.cpu_ms),
            "wall_ms": statistics.median(traffic.wall_ms),
            "burst_s": burst,
            "recomputes": written,
            "lag_s": lag,
            "matches": latest.active_seats == fresh.active_seats
            and latest.projected_total == fresh.projected_total,
            **ab,
        }

    def separate_eagerly(self, ids: dict[int, str]) -> dict:
        """The same separation with eager tasks (the embedded default's way: the recompute runs
        in the request) against coalesced ones, in alternating blocks of five so both meet the
        same load. The worker drains between blocks: an eager recompute that met the coalescing
        marker of a queued one would wait for it, which never happens when a process runs one
        way only."""
        from django.conf import settings

        from config.celery import app

        targets = self._seated(ids, 2 * self.args.eager)
        client = self.client()
        before = self.snapshots()
        eager_cpu, coalesced_cpu = [], []
        for block in range(0, len(targets), 5):
            eager = (block // 5) % 2 == 0
            settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = eager
            try:
                for scim_id in targets[block : block + 5]:
                    c = time.thread_time()
                    self._deactivate(client, scim_id)()
                    (eager_cpu if eager else coalesced_cpu).append((time.thread_time() - c) * 1000)
            finally:
                settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
            self.drain()
        return {
            "count": min(len(eager_cpu), len(coalesced_cpu)),
            "eager_cpu_ms": statistics.median(eager_cpu) if eager_cpu else 0,
            "coalesced_cpu_ms": statistics.median(coalesced_cpu) if coalesced_cpu else 0,
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

    def report(self, before, after, prov, sep, eager) -> None:
        batches = prov["batches"]
        first, last, worst = batches[0], batches[-1], max(batches)
        rows = [
            (
                "sequential POST /Users (each links a roster employee)",
                f"{prov['count']:,} in {prov['seconds'] / 60:.0f} min",
            ),
            (
                "CPU a POST (its thread), first 1,000 / last 1,000 / most costly 1,000",
                f"{first:.1f} / {last:.1f} / {worst:.1f} ms (last ÷ first {last / first:.2f})",
            ),
            ("cost recomputes the POSTs caused", f"{prov['recomputes']}"),
            (
                "one cost snapshot while the POSTs run, paused / flowing: CPU; wall "
                f"(medians of {prov['rounds']} pairs)",
                f"{prov['quiet_cpu']:.1f} / {prov['busy_cpu']:.1f} ms "
                f"(÷ {prov['busy_cpu'] / prov['quiet_cpu']:.2f}); "
                f"{prov['quiet_ms']:.0f} / {prov['busy_ms']:.0f} ms "
                f"(÷ {prov['busy_ms'] / prov['quiet_ms']:.2f})",
            ),
            (
                f"one cost snapshot before the {prov['count']:,} users / after them: CPU; "
                "wall (medians of 7)",
                f"{before[1]:.1f} / {after[1]:.1f} ms (÷ {after[1] / before[1]:.2f}); "
                f"{before[0]:.0f} / {after[0]:.0f} ms (÷ {after[0] / before[0]:.2f})",
            ),
            (
                "separations (PATCH active=false, sequential)",
                f"{sep['count']:,} in {sep['burst_s']:.0f} s; active seats "
                f"{sep['seats_before']:,} → {sep['seats_after']:,}",
            ),
            (
                "a separation request: CPU / wall (medians)",
                f"{sep['cpu_ms']:.1f} / {sep['wall_ms']:.0f} ms",
            ),
            (
                "cost recomputes the separations caused (coalesced, by the worker)",
                f"{sep['recomputes']} for {sep['count']:,}",
            ),
            (
                "one cost snapshot while the separations run, paused / flowing: CPU; wall "
                f"(medians of {sep['rounds']} pairs)",
                f"{sep['quiet_cpu']:.1f} / {sep['busy_cpu']:.1f} ms "
                f"(÷ {sep['busy_cpu'] / sep['quiet_cpu']:.2f}); "
                f"{sep['quiet_ms']:.0f} / {sep['busy_ms']:.0f} ms "
                f"(÷ {sep['busy_ms'] / sep['quiet_ms']:.2f})",
            ),
            (
                "the last snapshot",
                f"written {sep['lag_s']:.1f} s after the last separation; equals a "
                f"from-scratch recompute: {'yes' if sep['matches'] else 'NO'}",
            ),
            (
                "baseline: a separation with eager tasks (recompute inline) / coalesced, CPU",
                f"{eager['eager_cpu_ms']:.1f} / {eager['coalesced_cpu_ms']:.1f} ms "
                f"({eager['eager_cpu_ms'] / eager['coalesced_cpu_ms']:.1f}×), in alternating "
                f"blocks, {eager['count']} each",
            ),
        ]
        print("\n### SCIM provisioning against the cost engine\n")
        print(
            f"PostgreSQL, Redis, one Celery worker (solo pool); demo at scale "
            f"{self.args.scale:g}; requests through Django's middleware in-process.\n"
        )
        print("| measure | figure |")
        print("| --- | --- |")
        for name, figure in rows:
            print(f"| {name} | {figure} |")


def latest_snapshot_at(contract):
    from licensing.models import CostSnapshot

    return CostSnapshot.objects.filter(contract=contract).latest("computed_at", "id").computed_at


def _median_snapshot(contract) -> tuple[float, float]:
    """Seven cost snapshots: the medians of their wall and CPU milliseconds."""
    timed = [_snapshot_timed(contract) for _ in range(7)]
    return statistics.median(w for w, _ in timed), statistics.median(c for _, c in timed)


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
