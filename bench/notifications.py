"""Benchmark: what notifications cost on PostgreSQL with the demo data (issue 17), each figure
against a baseline measured in the same run, interleaved so load on the machine hits both alike.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/notifications.py

1. **Gates judged** (`cohort_gates_observe()`, every open cohort: lock the state rows, judge,
   record) against the read it judges from (`cohorts_readiness(cohorts_open())`): the price a
   roster import pays twice, and beat every 15 minutes.
2. **The outbox consumers** handed 1,000 events: the dispatcher with both consumers and one
   endpoint subscribed (1,000 delivery rows recorded), with both consumers and nobody subscribed,
   against the dispatcher with no consumer at all.
3. **One webhook delivered** (claim with a lease, audience, body, signature, the pinned POST,
   the outcome) to a receiver on 127.0.0.1, against a bare httpx POST of the same body there.

It creates a throwaway database next to the one named (dropped at the end; `BENCH_KEEP_DB=1`
keeps it, `BENCH_DB=<name>` reuses a seeded one), migrates it and runs `seed_demo` (scale 1, or
`BENCH_SCALE`). Prints medians and ratios, and Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not BASE_URL.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark needs one.")
REUSE = os.environ.get("BENCH_DB")
DB_NAME = REUSE or f"seatplan_bench_notify_{os.getpid()}"
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
SCALE = os.environ.get("BENCH_SCALE", "1")
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
EVENTS = 1000
LEASE = dt.timedelta(seconds=120)
DELIVERIES = 200


def main() -> None:
    if not REUSE:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    try:
        os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        os.environ["DEBUG"] = "0"
        os.environ["WEBHOOK_ALLOW_PRIVATE"] = "true"
        os.environ.pop("CELERY_BROKER_URL", None)
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


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Receiver:
    """A receiver on 127.0.0.1 that answers 204 to everything."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def run() -> None:
    from io import StringIO

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Q

    from agencies.models import Employee
    from core.models import Event
    from core.outbox import events_dispatch_all
    from notifications.models import WebhookDelivery
    from notifications.services import webhooks
    from notifications.services.gates import cohort_gates_observe
    from notifications.services.leases import deliveries_claim
    from rollout.selectors import cohorts_open, cohorts_readiness

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--scale", SCALE, stdout=StringIO())
    print(f"seed_demo (scale {SCALE}): {time.perf_counter() - started:.1f}s")
    print(
        f"data: {Employee.objects.count():,} employees, {cohorts_open().count()} open cohorts, "
        f"{Event.objects.count():,} events"
    )
    events_dispatch_all(max_batches=10_000)

    # 1. gates judged, against the read they are judged from
    cohort_gates_observe()  # the first judgement creates the state rows
    read, observe = [], []
    for _ in range(RUNS):
        t = time.perf_counter()
        cohorts_readiness(cohorts_open())
        read.append(time.perf_counter() - t)
        t = time.perf_counter()
        cohort_gates_observe()
        observe.append(time.perf_counter() - t)

    # 2. the consumers handed 1,000 events
    owner = get_user_model().objects.create_user("bench-notify", "bench@example.gov")
    owner.groups.add(Group.objects.get_or_create(name="rollout_manager")[0])
    receiver = Receiver()
    endpoint = webhooks.webhook_endpoint_create(
        owner=owner, url=receiver.url, event_types=["seat.status_changed"]
    )
    webhooks._queue = lambda endpoint_ids: None  # record only: sending is measured in 3
    consumers = list(settings.OUTBOX_CONSUMERS)

    def batch() -> None:
        with transaction.atomic():
            Event.objects.bulk_create(
                Event(type="seat.status_changed", subject=f"seat:{n}", payload={"seat": n})
                for n in range(EVENTS)
            )

    def dispatch(consumer_paths: list[str], active: bool) -> float:
        settings.OUTBOX_CONSUMERS = consumer_paths
        type(endpoint).objects.filter(pk=endpoint.pk).update(is_active=active)
        batch()
        t = time.perf_counter()
        events_dispatch_all()
        return time.perf_counter() - t

    bare, idle, subscribed = [], [], []
    for _ in range(RUNS):
        bare.append(dispatch([], False))
        idle.append(dispatch(consumers, False))
        subscribed.append(dispatch(consumers, True))
    settings.OUTBOX_CONSUMERS = consumers
    recorded = WebhookDelivery.objects.filter(endpoint=endpoint).count()

    # 3. one webhook delivered, against a bare POST of the same body
    import httpx

    WebhookDelivery.objects.filter(endpoint=endpoint).delete()
    sample = list(Event.objects.filter(type="seat.status_changed").order_by("-id")[:DELIVERIES])
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=e, endpoint=endpoint, created_at=e.created_at) for e in sample
    )
    body = webhooks.webhook_body(sample[0], {"seat": 1})
    delivered, posted = [], []
    with httpx.Client(trust_env=False) as client:
        for _ in range(DELIVERIES // 10):
            t = time.perf_counter()
            for _ in range(10):
                client.post(receiver.url, content=body)
            posted.append((time.perf_counter() - t) / 10)
            t = time.perf_counter()
            for _ in range(10):
                (claimed,) = deliveries_claim(
                    WebhookDelivery, where=Q(endpoint_id=endpoint.pk), limit=1, lease=LEASE
                )
                webhooks._attempt(endpoint, claimed)
            delivered.append((time.perf_counter() - t) / 10)
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").count() == (
        DELIVERIES
    )

    rows = [
        ("gates judged, every open cohort", ms(observe), "their readiness read", ms(read)),
        (
            f"dispatch {EVENTS:,} events, one endpoint subscribed",
            ms(subscribed),
            "no consumer",
            ms(bare),
        ),
        (f"dispatch {EVENTS:,} events, nobody subscribed", ms(idle), "no consumer", ms(bare)),
        (
            "one webhook delivered (claim, sign, POST, outcome)",
            ms(delivered),
            "bare httpx POST",
            ms(posted),
        ),
    ]
    print(f"\n{recorded:,} delivery rows recorded over {RUNS} subscribed batches\n")
    print("| measured | median | baseline | median | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, value, base_name, base in rows:
        print(f"| {name} | {value:.1f} ms | {base_name} | {base:.1f} ms | {value / base:.1f}× |")


if __name__ == "__main__":
    main()
