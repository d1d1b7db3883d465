"""Webhook delivery on the real stack: PostgreSQL, Redis as broker, and Celery workers this test
starts itself on the `notify` queue (copying how .ci/run starts CI's worker), so it can kill one
in the middle of a delivery without disturbing the worker the other broker tests use.

What it shows: every event is delivered, one delivery row per (event, endpoint), and a receiver
that deduplicates on `webhook-id` processes each event exactly once, even though the worker was
SIGKILLed after the receiver had the request and before the answer could be recorded: the row's
lease runs out and the event goes out again with the same id, never while the first attempt's
lease still holds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from config.celery import app
from core.models import Event
from core.outbox import event_emit, events_dispatch_all
from notifications.models import WebhookDelivery
from notifications.services.webhooks import webhook_deliveries_sweep, webhook_endpoint_create

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 15
EVENTS = 20
HELD = 3  # the request the receiver holds while the worker is killed


def _database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class NotifyWorker:
    """A Celery worker on the `notify` queue only, in its own process group, pointed at the
    test database with a short lease (the worker is another process: settings reach it only
    through the environment)."""

    def __init__(self, log: Path, number: int):
        self.name = f"notify-test-{os.getpid()}-{number}@{socket.gethostname()}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "REDIS_URL": settings.REDIS_URL,
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
            "WEBHOOK_TIMEOUT": "1.5",
        }
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                settings.CELERY_QUEUE_NOTIFY,
                "--pool=prefork",
                "--concurrency=2",
                "-l",
                "warning",
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the notify worker exited during startup"
            if app.control.ping(destination=[self.name], timeout=1):
                return
        raise AssertionError("the notify worker did not answer a ping")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: no warm shutdown, no ack."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def workers(tmp_path):
    started: list[NotifyWorker] = []
    log = tmp_path / "notify-worker.log"

    def start() -> NotifyWorker:
        worker = NotifyWorker(log, len(started) + 1)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    print(log.read_text()[-4000:])


def _wait(predicate, timeout: float, step: float = 0.1, tick=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_worker_killed_mid_delivery__every_event_delivered_once(manager, receiver, workers):
    # Given an endpoint for wave changes and a worker on the notify queue; the receiver will
    # hold the third request it gets, as if it were slow to answer
    endpoint = webhook_endpoint_create(
        owner=manager, url=receiver.url, event_types=["wave.status_changed"]
    )
    receiver.secret = endpoint.secret
    receiver.hold = lambda number: number == HELD
    first = workers()

    # When 20 events are written and handed out (the consumer queues the endpoint's delivery)
    with transaction.atomic():
        events = [
            event_emit(type="wave.status_changed", subject=f"wave:{n}", payload={"wave": n})
            for n in range(EVENTS)
        ]
    events_dispatch_all()

    # And the worker is SIGKILLed while the receiver has the third request in hand
    assert receiver.holding.wait(timeout=60), "the worker never reached the third delivery"
    first.kill()
    receiver.release.set()  # the receiver answers a dead socket: it did get the event
    held_id = receiver.requests[HELD - 1].headers["webhook-id"]
    held = WebhookDelivery.objects.get(endpoint=endpoint, event_id=int(held_id[4:]))
    assert (held.status, held.attempts) == ("pending", 1)
    assert held.lease_until is not None

    # Then a new worker and beat's sweep deliver the rest, and the held one once its lease ran out
    workers()

    def all_delivered() -> bool:
        return WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").count() == (
            EVENTS
        )

    assert _wait(all_delivered, timeout=120, step=1, tick=webhook_deliveries_sweep), list(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", "attempts")
    )

    # One row per event, every request signed, every event processed once by id
    expected = {f"evt_{e.pk}" for e in events}
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == EVENTS
    assert all(r.verified for r in receiver.requests)
    assert set(receiver.processed()) == expected
    # The only request sent twice is the one whose worker died, and the second time only after
    # the first attempt's lease had run out
    sent = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(sent) == EVENTS + 1
    assert [i for i in set(sent) if sent.count(i) > 1] == [held_id]
    again = [r for r in receiver.requests if r.headers["webhook-id"] == held_id]
    assert again[1].at - again[0].at >= LEASE_SECONDS - 1
    held.refresh_from_db()
    assert held.attempts == 2
    assert Event.objects.filter(pk__in=[e.pk for e in events], dispatched_at=None).count() == 0
