"""Fault (c): PostgreSQL stops and starts again under load.

    .venv/bin/python bench/faults/postgres_restart.py [--scale 1]
    .venv/bin/python bench/stack.py run-scenario postgres-restart

Pollers, coordinators and managers run for `DOWN_AT + DOWN + AFTER` seconds. `DOWN_AT` seconds
in, PostgreSQL gets a fast shutdown (every session cut, as `pg_ctl restart` does) and stays down
`DOWN` seconds, so the outage can be probed, then starts again. Nothing else is touched: no
process is restarted by hand. Checks:

- requests fail cleanly: no 500 and no transport error at any time; every failure is a 503 whose
  body is the API's error shape `{"code": "service_unavailable", "detail", "fields": {}}`, with
  no traceback;
- during the outage `GET /api/v1/health` answers 503 `{"status": "error", "database": "error"}`,
  an API list answers 503 in the error shape, and a web page that reads the database (the
  admin, whose session lives in the database) answers a plain 503 page;
- recovery without manual action: the first success comes within seconds of PostgreSQL
  accepting connections, and the last `AFTER - 5` seconds have no error at all;
- the cost snapshot is current again (== a fresh recomputation) and the invariants hold.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import world
from load.generator import LoadGenerator

from faults import invariants
from faults.common import api, scenario_main
from faults.report import Result

DOWN_AT, DOWN, AFTER = 10.0, 8.0, 20.0


def _clean_503(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return (
        data.get("code") == "service_unavailable"
        and bool(data.get("detail"))
        and data.get("fields") == {}
        and b"Traceback" not in body
    )


def _admin_with_session(stack) -> tuple[int, bytes]:
    """GET /admin/ with a session cookie: the session is read from the database."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(stack.base_url + "/admin/")
    request.add_header("Cookie", "sessionid=k3p8c0v1x9q2w7e5r4t6y1u0i9o8p7a6")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run(stack, args) -> Result:
    result = Result("postgres-restart")
    print(f"\n=== fault: PostgreSQL down for {DOWN:.0f}s under load ===", flush=True)
    stack.django()
    from django.db import connections
    from django.utils import timezone

    users = world.build_users(stack, 12, f"pg{int(time.time()) % 100000}", 600)
    generator = LoadGenerator(stack.web_port, world.contract_id(), users)
    connections.close_all()
    thread = generator.start_background(DOWN_AT + DOWN + AFTER)

    time.sleep(DOWN_AT)
    t_down = time.monotonic() - generator.t0
    stack.postgres_stop()
    print(f"    PostgreSQL stopped at t={t_down:.1f}s")
    time.sleep(1.0)
    health_status, health_body = stack.get("/api/v1/health", timeout=15)
    list_status, list_body = api(stack, "GET", "/api/v1/seats/")
    page_status, page_body = _admin_with_session(stack)
    time.sleep(max(0.0, DOWN - (time.monotonic() - generator.t0 - t_down)))
    stack.postgres_start()
    t_up = time.monotonic() - generator.t0
    back = timezone.now()
    print(f"    PostgreSQL accepting connections again at t={t_up:.1f}s")
    thread.join(AFTER + 60)
    stats = generator.stats
    samples = stats.samples

    failures = [s for s in samples if s.status not in (200, 201, 304, 409)]
    unclean = [s for s in failures if s.status != 503 or not _clean_503(s.body)]
    result.check(
        "every failed request is a clean 503 in the error shape (no 500, no traceback)",
        not unclean,
        f"{len(failures)} failed requests, {len(unclean)} not clean"
        + (f": {unclean[0].status} {unclean[0].body[:200]!r}" if unclean else ""),
    )
    result.check(
        "no 500 and no dropped connection at any time",
        not any(s.status in (0, 500) for s in samples),
        f"500: {sum(s.status == 500 for s in samples)}, transport: "
        f"{sum(s.status == 0 for s in samples)}",
    )
    health = json.loads(health_body) if health_body.startswith(b"{") else {}
    result.check(
        "health answers 503 database error during the outage",
        health_status == 503 and health.get("database") == "error",
        f"{health_status} {health}",
    )
    result.check(
        "an API list answers 503 service_unavailable during the outage",
        list_status == 503
        and isinstance(list_body, dict)
        and list_body.get("code") == "service_unavailable",
        f"{list_status} {list_body}",
    )
    result.check(
        "a web page answers a plain 503 page during the outage (no traceback)",
        page_status == 503 and b"Traceback" not in page_body and not page_body.startswith(b"{"),
        f"{page_status} {page_body[:80]!r}",
    )
    recovered = [s for s in samples if s.t > t_up and s.status in (200, 201, 304)]
    first_ok = min((s.t for s in recovered), default=None)
    result.check(
        "requests succeed again without manual action",
        first_ok is not None,
        f"first success {first_ok - t_up:.2f}s after PostgreSQL was back" if first_ok else "none",
    )
    tail_from = t_up + 5
    tail = [s for s in samples if s.t >= tail_from]
    tail_errors = [s for s in tail if stats.is_error(s)]
    result.check(
        f"no error from {tail_from - t_up:.0f}s after the restart to the end",
        bool(tail) and not tail_errors,
        f"{len(tail_errors)} errors in {len(tail)} requests",
    )
    healed = invariants.wait_for_current_snapshot(back, timeout=stack.safety_net + 120)
    result.check(
        "the cost snapshot is current again (== a fresh recomputation)",
        healed is not None,
        f"{healed:.1f}s after the restart"
        if healed is not None
        else "not within the timeout: " + invariants.LAST_REASON.get("why", ""),
    )
    result.extend(invariants.all_invariants())
    window = [s for s in samples if t_down <= s.t <= t_up + 1]
    result.figures = {
        "down_s": round(t_up - t_down, 1),
        "requests_in_outage_window": len(window),
        "statuses_in_outage_window": {
            str(k): sum(s.status == k for s in window) for k in sorted({s.status for s in window})
        },
        "first_success_after_up_s": None if first_ok is None else round(first_ok - t_up, 2),
        "overall": stats.summary(),
        "snapshot_current_after_s": None if healed is None else round(healed, 1),
    }
    return result


if __name__ == "__main__":
    sys.exit(scenario_main(run, "Restart PostgreSQL under load."))
