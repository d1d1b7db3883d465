"""The circuit breaker of a vendor endpoint, as one provisioning run sees it.

A run loads the endpoint's `VendorCircuit` once and counts successes and failures in memory as
its calls come back — from several threads at once, so under a lock, and without touching the
database (a thread would open a connection of its own). The run's main thread writes the row
(`flush`) after each batch, and at once when the circuit opens or the vendor asks to pause, so
other workers see it. Successes in a row cost no write. Two workers on one endpoint may both
write; the last word wins, which at worst costs one extra probe.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import VendorCircuit
from ..rules import cooldown


class Breaker:
    """One endpoint's circuit during one run: `allows()` before a call, then `succeeded()`,
    `failed(detail)` (True when that failure opened the circuit) or `paused(seconds, detail)`;
    `flush()` from the run's own thread. Once a run has seen the circuit open or pause, it stops
    calling that endpoint (`stopped`): beat's next run probes again when the cooldown is over."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.row, _ = VendorCircuit.objects.get_or_create(endpoint=endpoint)
        self.stopped = False
        self.stop_reason = ""
        self._dirty = False
        self._lock = threading.Lock()

    def allows(self, now: dt.datetime | None = None) -> bool:
        with self._lock:
            return not self.stopped and self.row.waits_until(now or timezone.now()) is None

    def succeeded(self) -> None:
        with self._lock:
            row = self.row
            if row.failures or row.openings or row.open_until or row.last_success_at is None:
                row.failures = row.openings = 0
                row.opened_at = row.open_until = None
                row.last_error = ""
                row.last_success_at = timezone.now()
                self._dirty = True

    def failed(self, detail: str) -> bool:
        with self._lock:
            row = self.row
            now = timezone.now()
            row.failures += 1
            row.last_error = detail
            self._dirty = True
            if self.stopped or row.failures < settings.VENDOR_CIRCUIT_THRESHOLD:
                return False
            row.openings += 1
            row.opened_at = row.opened_at if row.open_until else now
            wait = cooldown(
                row.openings,
                base=settings.VENDOR_CIRCUIT_COOLDOWN_SECONDS,
                cap=settings.VENDOR_CIRCUIT_COOLDOWN_MAX_SECONDS,
            )
            row.open_until = now + dt.timedelta(seconds=wait)
            self.stopped = True
            self.stop_reason = detail
            return True

    def paused(self, seconds: float, detail: str) -> dt.datetime:
        with self._lock:
            until = timezone.now() + dt.timedelta(seconds=seconds)
            self.row.paused_until = max(until, self.row.paused_until or until)
            self.row.last_error = detail
            self.stopped = True
            self.stop_reason = detail
            self._dirty = True
            return self.row.paused_until

    def resumes_at(self) -> dt.datetime | None:
        with self._lock:
            return self.row.waits_until()

    def flush(self) -> None:
        """Write what changed (from the run's own thread)."""
        with self._lock:
            if not self._dirty:
                return
            self._dirty = False
            with transaction.atomic():
                self.row.save()


@transaction.atomic
def circuit_close(*, endpoint: str) -> None:
    """Close an endpoint's circuit now (a manager knows the vendor is back): the next run calls."""
    VendorCircuit.objects.filter(endpoint=endpoint).update(
        failures=0, openings=0, opened_at=None, open_until=None, paused_until=None
    )
