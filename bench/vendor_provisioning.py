"""Benchmark: vendor provisioning of a 10,000-seat cohort activation against scim2-server, and what
the outbox adds to the activation itself (must stay ≤ 10%).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/vendor_provisioning.py        # BENCH_SEATS, BENCH_RUNS to change

It creates a throwaway database `seatplan_bench_<pid>` on the server `DATABASE_URL` names
(dropped at the end; `BENCH_KEEP_DB=1` keeps it), migrates it, and starts the real `scim2-server`
command on 127.0.0.1 (a free port, a bearer token) as the vendor, in its own process.

1. The activation itself, same run, interleaved (each run builds a fresh contract, an agency of
   N trained employees and a cohort of quota N, and times `cohort_activate` the way
   bench/activate_cohort.py does; the outbox's dispatch is left for later, as the broker does):
   - `no outbox`: the seat services write no outbox event (the baseline);
   - `outbox, ORM insert`: the events written by Django's bulk_create (before the COPY path);
   - `outbox`: the events as the code writes them now (COPY on PostgreSQL);
   - `outbox + vendor`: the same, the contract connected to the vendor. The activation does
     exactly what `outbox` does: provisioning happens after, elsewhere.
2. Delivery, once, for the last `outbox + vendor` cohort: the dispatcher hands the N events to the
   consumer (intents recorded), then the provisioning drain pushes every seat to scim2-server
   (find by userName, by externalId, create): seats per second, checked against the vendor's own
   count of users. Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
DB_NAME = f"seatplan_bench_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
SEATS = int(os.environ.get("BENCH_SEATS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MODES = ("no outbox", "outbox, ORM insert", "outbox", "outbox + vendor")
LIMIT = 1.10
SCIM_SERVER = Path(sys.executable).parent / "scim2-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Vendor:
    """The `scim2-server` command, as the vendor, in its own process."""

    def __init__(self):
        self.token = secrets.token_urlsafe(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v2"
        self.process = subprocess.Popen(
            [str(SCIM_SERVER), "--port", str(self.port), "--bearer-token", self.token],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.users()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("scim2-server did not answer within 30 s")

    def users(self) -> int:
        request = urllib.request.Request(
            f"{self.url}/Users?count=0", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)["totalResults"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    vendor = None
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.pop("VENDOR_SCIM_URL", None)
        os.environ.setdefault("DEBUG", "False")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        vendor = Vendor()
        activation = run_activations(vendor)
        delivery = deliver(vendor, activation.pop("last_cohort"))
        report(activation, delivery)
    finally:
        if vendor is not None:
            vendor.stop()
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB"):
            print(f"kept database {DB_NAME}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def run_activations(vendor: Vendor) -> dict:
    """Part 1: the activation, in each mode, interleaved run by run."""
    from activate_cohort import build
    from django.db import connection

    import core.outbox as outbox
    import licensing.services.seats as seat_services
    from core.models import Event
    from rollout.services import cohort_activate
    from vendor.models import VendorConnection

    real_announce = seat_services.seat_changes_announce
    real_copy_from = outbox.COPY_FROM
    # The dispatch is the broker's business, after the activation: not inside its timing.
    outbox._schedule = lambda: None
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    last_cohort = None
    for r in range(RUNS):
        for m, mode in enumerate(MODES):
            cohort = build(f"V{r}M{m}", SEATS)
            if mode == "outbox + vendor":
                VendorConnection.objects.create(
                    contract=cohort.wave.contract, base_url=vendor.url, token=vendor.token
                )
            seat_services.seat_changes_announce = (
                (lambda events: None) if mode == "no outbox" else real_announce
            )
            outbox.COPY_FROM = 10**9 if mode == "outbox, ORM insert" else real_copy_from
            wall, used = time.perf_counter(), time.process_time()
            job = cohort_activate(cohort=cohort)
            wall, used = time.perf_counter() - wall, time.process_time() - used
            assert job.outcome["activated"] == SEATS, job.outcome
            times[mode].append(wall)
            cpu[mode].append(used)
            print(
                f"run {r + 1}/{RUNS} {mode:<20} {wall:6.2f} s ({used:.2f} s CPU)", file=sys.stderr
            )
            if mode == "outbox + vendor" and r == RUNS - 1:
                last_cohort = cohort
            else:
                # Not for delivery: out of the way of part 2's dispatcher.
                Event.objects.filter(dispatched_at__isnull=True).update(dispatched_at=django_now())
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
    seat_services.seat_changes_announce = real_announce
    outbox.COPY_FROM = real_copy_from
    return {"times": times, "cpu": cpu, "last_cohort": last_cohort}


def django_now():
    from django.utils import timezone

    return timezone.now()


def deliver(vendor: Vendor, cohort) -> dict:
    """Part 2: dispatch the last cohort's events, then push its seats to the vendor."""
    import vendor.services.provisioning as provisioning
    from core.outbox import events_dispatch_all
    from vendor.models import ProvisioningIntent, SeatProvisioning
    from vendor.services import provisioning_drain

    # Timed apart: the drain the consumer asks for on commit is run below, on its own.
    provisioning._schedule_drain = lambda: None
    before = vendor.users()
    dispatch = time.perf_counter()
    handed = events_dispatch_all()
    dispatch = time.perf_counter() - dispatch
    assert ProvisioningIntent.objects.count() == SEATS, handed

    drain = time.perf_counter()
    pushed = 0
    while True:
        result = provisioning_drain(budget_seconds=3600)
        pushed += result.pushed
        assert not result.stopped, result.stopped
        if not result.more_due:
            break
    drain = time.perf_counter() - drain
    provisioned = SeatProvisioning.objects.filter(
        contract=cohort.wave.contract, state="provisioned"
    ).count()
    created = vendor.users() - before
    assert provisioned == SEATS and created == SEATS, (provisioned, created)
    assert not ProvisioningIntent.objects.filter(delivered_at__isnull=True).exists()
    return {"events": handed, "dispatch": dispatch, "drain": drain, "pushed": pushed}


def report(activation: dict, delivery: dict) -> None:
    times, cpu = activation["times"], activation["cpu"]
    base = statistics.median(times["no outbox"])
    base_cpu = statistics.median(cpu["no outbox"])
    print(f"Activation of a {SEATS:,}-seat cohort, {RUNS} runs per mode, interleaved:")
    print()
    print(
        "| mode | wall s (median, min–max) | against no outbox | CPU s (median) "
        "| against no outbox |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode in MODES:
        median = statistics.median(times[mode])
        used = statistics.median(cpu[mode])
        print(
            f"| {mode} | {median:.2f} ({min(times[mode]):.2f}–{max(times[mode]):.2f}) | "
            f"{median / base:.2f}× | {used:.2f} | {used / base_cpu:.2f}× |"
        )
    outbox = statistics.median(times["outbox"]) / base
    vendor = statistics.median(times["outbox + vendor"]) / statistics.median(times["outbox"])
    print()
    print(
        f"The outbox adds {100 * (outbox - 1):+.1f}% to the activation (limit +10%: "
        f"{'met' if outbox <= LIMIT else 'MISSED'}); connecting the vendor adds "
        f"{100 * (vendor - 1):+.1f}% on top (the calls are made after, by the drain)."
    )
    print()
    print("Delivery of the last connected cohort to scim2-server:")
    print()
    print("| step | seats | s | seats/s |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| dispatch (intents recorded) | {delivery['events']:,} | {delivery['dispatch']:.2f} | "
        f"{delivery['events'] / delivery['dispatch']:,.0f} |"
    )
    print(
        f"| drain (pushed to the vendor) | {delivery['pushed']:,} | {delivery['drain']:.2f} | "
        f"{delivery['pushed'] / delivery['drain']:,.0f} |"
    )


if __name__ == "__main__":
    main()
