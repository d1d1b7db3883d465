"""A small, bounded load generator for the Seatplan API on 127.0.0.1 (stdlib only).

Virtual users (VUs) are threads, each with its own API key and one keep-alive connection, like
locust's headless mode with `-u N -t T`: they start staggered over a second, wait a random think
time between requests, and stop when the time is up (a request in flight finishes, bounded by
the client timeout). Kinds of user:

- `poller_etag`: a dashboard polling `GET /api/v1/seat-counts/` and sending back its last ETag
  in `If-None-Match` (304 when nothing changed);
- `poller`: the same poll without ETag (always the full answer);
- `coordinator`: an agency coordinator listing their agency's seats (`GET /api/v1/seats/`, the
  first page and the next one through the cursor);
- `manager`: a rollout manager requesting a seat for an eligible employee
  (`POST /api/v1/seats/`) and activating it (`POST /api/v1/seats/<id>/activate/`); when their
  list of employees is used up, or after `write_until` seconds, they read the contract's cost
  (`GET /api/v1/contracts/<id>/cost/`).

Every request is recorded (label, status, latency, time); `Stats` turns them into requests/s,
percentiles and the error rate. An *error* is a transport failure, a timeout, a 5xx, or any
status the action does not expect (a 409 refusal is counted separately as `refused`).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT = 30.0
EXPECTED = {
    "seat-counts (etag)": {200, 304},
    "seat-counts": {200},
    "seats list": {200},
    "seats list next": {200},
    "seat request": {201},
    "seat activate": {200},
    "contract cost": {200},
}


@dataclass
class Sample:
    label: str
    status: int  # 0: transport error or timeout
    ms: float
    t: float  # seconds since the run started
    body: bytes = b""


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)  # list.append is atomic under the GIL

    @staticmethod
    def percentile(values: list[float], q: float) -> float:
        if not values:
            return 0.0
        ordered = sorted(values)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    def is_error(self, s: Sample) -> bool:
        if s.status == 409:
            return False
        return s.status not in EXPECTED.get(s.label, {200})

    def summary(self, samples: list[Sample] | None = None, elapsed: float | None = None) -> dict:
        samples = self.samples if samples is None else samples
        elapsed = elapsed or self.elapsed or 1.0
        ms = [s.ms for s in samples]
        errors = [s for s in samples if self.is_error(s)]
        return {
            "requests": len(samples),
            "rps": round(len(samples) / elapsed, 1),
            "p50_ms": round(self.percentile(ms, 50), 1),
            "p95_ms": round(self.percentile(ms, 95), 1),
            "p99_ms": round(self.percentile(ms, 99), 1),
            "errors": len(errors),
            "error_rate": round(len(errors) / len(samples), 4) if samples else 0.0,
            "refused": sum(1 for s in samples if s.status == 409),
            "statuses": dict(sorted(Counter(s.status for s in samples).items())),
        }

    def by_label(self) -> dict[str, dict]:
        labels = sorted({s.label for s in self.samples})
        return {
            label: self.summary([s for s in self.samples if s.label == label]) for label in labels
        }


class Client:
    """One keep-alive HTTP/1.1 connection to the stack; reconnects after any failure."""

    def __init__(self, port: int, key: str):
        self.port = port
        self.headers = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """(status, headers, body, ms); status 0 on a transport error or timeout."""
        all_headers = dict(self.headers, **(headers or {}))
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            self.conn.request(method, path, body=payload, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, response, data, (time.perf_counter() - t0) * 1000
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None, b"", (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class VirtualUser:
    kind: str
    key: str
    # manager: (employee id, cohort id) pairs this manager gives seats to
    employees: list[tuple[int, int]] = field(default_factory=list)
    think: tuple[float, float] = (0.2, 0.6)


class LoadGenerator:
    """Runs the virtual users for `duration` seconds against the stack on `port`."""

    def __init__(
        self,
        port: int,
        contract_id: int,
        users: list[VirtualUser],
        seed: int = 8,
        write_until: float | None = None,
    ):
        self.port = port
        # Managers stop writing this many seconds in (then read the cost), so the rest of the
        # run shows what pollers cost when nothing changes (ETag answers 304).
        self.write_until = write_until
        self.contract_id = contract_id
        self.users = users
        self.stats = Stats()
        self.stop = threading.Event()
        self.t0 = 0.0
        self.t0_wall = dt.datetime.now(dt.UTC)
        self.activated: list[int] = []
        self.random = random.Random(seed)

    def _record(self, label: str, status: int, ms: float, body: bytes = b"") -> None:
        keep = body[:2000] if status >= 400 or status == 0 else b""
        self.stats.add(Sample(label, status, ms, time.monotonic() - self.t0, keep))

    def _poll(self, client: Client, etag_state: dict, use_etag: bool) -> None:
        headers = (
            {"If-None-Match": etag_state["etag"]} if use_etag and etag_state.get("etag") else {}
        )
        status, response, body, ms = client.request(
            "GET", "/api/v1/seat-counts/?group_by=agency", headers=headers
        )
        self._record("seat-counts (etag)" if use_etag else "seat-counts", status, ms, body)
        if response is not None and response.getheader("ETag"):
            etag_state["etag"] = response.getheader("ETag")

    def _list(self, client: Client) -> None:
        status, _, body, ms = client.request("GET", "/api/v1/seats/?status=active")
        self._record("seats list", status, ms, body)
        if status == 200:
            nxt = json.loads(body).get("next")
            if nxt:
                parts = urlsplit(nxt)
                path = f"{parts.path}?{parts.query}" if parts.query else parts.path
                status, _, body, ms = client.request("GET", path)
                self._record("seats list next", status, ms, body)

    def _activate(self, client: Client, user: VirtualUser) -> None:
        quiet = self.write_until is not None and time.monotonic() - self.t0 > self.write_until
        if quiet or not user.employees:
            status, _, body, ms = client.request(
                "GET", f"/api/v1/contracts/{self.contract_id}/cost/"
            )
            self._record("contract cost", status, ms, body)
            return
        employee, cohort = user.employees.pop()
        status, _, body, ms = client.request(
            "POST",
            "/api/v1/seats/",
            {"employee": employee, "contract": self.contract_id, "cohort": cohort},
        )
        self._record("seat request", status, ms, body)
        if status != 201:
            return
        seat = json.loads(body)["id"]
        status, _, body, ms = client.request("POST", f"/api/v1/seats/{seat}/activate/", {})
        self._record("seat activate", status, ms, body)
        if status == 200:
            self.activated.append(seat)

    def _run_user(self, index: int, user: VirtualUser) -> None:
        rng = random.Random(self.random.random() + index)
        client = Client(self.port, user.key)
        etag_state: dict = {}
        time.sleep(rng.uniform(0, 1.0))  # staggered start
        try:
            while not self.stop.is_set():
                if user.kind == "poller_etag":
                    self._poll(client, etag_state, True)
                elif user.kind == "poller":
                    self._poll(client, etag_state, False)
                elif user.kind == "coordinator":
                    self._list(client)
                elif user.kind == "manager":
                    self._activate(client, user)
                self.stop.wait(rng.uniform(*user.think))
        finally:
            client.close()

    def run(self, duration: float) -> Stats:
        """Run every user for `duration` seconds; returns the stats. Bounded: threads are
        joined with a deadline of the client timeout."""
        self.t0 = time.monotonic()
        self.t0_wall = dt.datetime.now(dt.UTC)
        threads = [
            threading.Thread(target=self._run_user, args=(i, u), daemon=True, name=f"vu-{i}")
            for i, u in enumerate(self.users)
        ]
        for thread in threads:
            thread.start()
        self.stop.wait(duration)
        self.stop.set()
        deadline = time.monotonic() + TIMEOUT + 5
        for thread in threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.stats.elapsed = time.monotonic() - self.t0
        return self.stats

    def start_background(self, duration: float) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(duration,), daemon=True)
        thread.start()
        return thread
