"""Fault (b): Redis (broker and cache) stops during a burst of seat activations.

    .venv/bin/python bench/faults/redis_down.py [--scale 1]
    .venv/bin/python bench/stack.py run-scenario redis-down

Managers request and activate seats through the API and pollers read seat counts; Redis is
stopped `OUTAGE_AT` seconds in (it keeps nothing on disk, so the cost-coalescing keys and any
queued message are gone) and started again `OUTAGE` seconds later; the managers stop writing
then, and the pollers go on for `AFTER` seconds. Checks:

- the burst is clean before the outage (no error: concurrent requests and activations do not
  deadlock);
- activations go on committing while Redis is away (PostgreSQL is the truth): every activation
  answered during the outage is 200 and its seat is active, none is a 500;
- `GET /api/v1/health` answers 200 `degraded` (broker) during the outage, `ok` after;
- the worker and beat serve again by themselves (the worker answers a ping), nobody touching
  them. The Celery worker can exit on the broker loss (kombu's Redis transport fails to restore
  the unacked ETA message of a delayed cost recompute: `AttributeError: 'NoneType' object has
  no attribute 'hostname'`); it runs under supervisord with the production config
  (deploy/supervisord-worker.conf), which starts it again, and the check counts those restarts;
- the cost snapshot heals: once Redis is back, a snapshot computed after the outage equals a
  fresh `contract_cost_report`. No seat changes after the outage, and the recomputes asked
  for during it were dropped (logged, not raised), so it is beat's safety net (every
  `--safety-net` s) that heals it;
- the invariants of invariants.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import world
from load.generator import LoadGenerator, VirtualUser
from stack import StackError, alive

from faults import invariants
from faults.common import scenario_main, wait
from faults.report import Result

OUTAGE_AT, OUTAGE, AFTER = 8.0, 20.0, 12.0


def _ask_cohort_dry_run(stack, key: str, cohort_id: int) -> tuple[int, tuple | None]:
    """A manager asks for a cohort's activation dry run; the answer and the newest job row of
    the cohort afterwards (status, first error code)."""
    from core.models import Job

    request = urllib.request.Request(
        f"{stack.base_url}/api/v1/cohorts/{cohort_id}/activate/",
        data=json.dumps({"dry_run": True}).encode(),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    job = Job.objects.filter(cohort_id=cohort_id).order_by("-id").first()
    return status, None if job is None else (job.status, (job.errors or [{}])[0].get("code"))


def run(stack, args) -> Result:
    result = Result("redis-down")
    print(f"\n=== fault: stop Redis for {OUTAGE:.0f}s during a burst of activations ===")
    stack.django()
    from django.utils import timezone

    from licensing.models import Seat

    tag = f"redis{int(time.time()) % 100000}"
    keys = stack.create_api_users(
        [(f"{tag}-manager-{i}", "rollout_manager", ()) for i in range(3)]
        + [(f"{tag}-poller-{i}", "api_reader", ()) for i in range(2)]
    )
    pool = world.activatable_employees(600)
    shares = [pool[i::3] for i in range(3)]
    users = [VirtualUser("manager", k, shares[i], think=(0.1, 0.3)) for i, k in enumerate(keys[:3])]
    users += [VirtualUser("poller_etag", k) for k in keys[3:]]
    # Writes stop when Redis comes back, so only the safety net can heal the cost afterwards.
    generator = LoadGenerator(
        stack.web_port, world.contract_id(), users, write_until=OUTAGE_AT + OUTAGE
    )
    thread = generator.start_background(OUTAGE_AT + OUTAGE + AFTER)

    time.sleep(OUTAGE_AT)
    t_stop = time.monotonic() - generator.t0
    stack.redis_stop()
    print(f"    Redis stopped at t={t_stop:.1f}s")
    health_during: list[dict] = []

    def probe():
        while time.monotonic() - generator.t0 < t_stop + OUTAGE - 1:
            try:
                health_during.append(stack.health())
            except Exception as exc:
                health_during.append({"error": repr(exc)})
            time.sleep(2)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    time.sleep(2)
    job_asked = _ask_cohort_dry_run(stack, keys[0], pool[0][1])
    prober.join(OUTAGE + 5)
    stack.redis_start()
    t_start = time.monotonic() - generator.t0
    restarted = timezone.now()
    print(f"    Redis started again at t={t_start:.1f}s")
    thread.join(AFTER + 60)
    stats = generator.stats

    during = [s for s in stats.samples if t_stop <= s.t <= t_start]
    activations = [s for s in during if s.label == "seat activate"]
    requests_during = [s for s in during if s.label == "seat request"]
    ok_during = [s for s in activations if s.status == 200]
    by_request: dict[str, dict[int, int]] = {}
    for s in during:
        by_request.setdefault(s.label, {}).setdefault(s.status, 0)
        by_request[s.label][s.status] += 1
    result.check(
        "activations commit while Redis is down",
        len(ok_during) > 0
        and all(s.status == 200 for s in activations)
        and all(s.status == 201 for s in requests_during),
        f"{len(ok_during)} activations committed during the outage; answers by request: "
        f"{by_request}"
        + (
            ""
            if activations
            else f" (none was attempted: the {len(pool)} activatable people ran out before the "
            "outage; run at --scale 1)"
        ),
    )
    before = [s for s in stats.samples if s.t < t_stop]
    before_errors = [s for s in before if stats.is_error(s)]
    result.check(
        "no error before the outage (the burst itself is clean)",
        bool(before) and not before_errors,
        f"{len(before_errors)} of {len(before)} requests failed"
        + (f", e.g. {before_errors[0].label} {before_errors[0].status}" if before_errors else ""),
    )
    result.check(
        "no 500 at any time",
        not any(s.status == 500 for s in stats.samples),
        f"{sum(s.status == 500 for s in stats.samples)} responses were 500",
    )
    active = Seat.objects.filter(pk__in=generator.activated, status="active").count()
    result.check(
        "every activation answered 200 is an active seat",
        active == len(generator.activated),
        f"{active} of {len(generator.activated)}",
    )
    degraded = [h for h in health_during if h.get("broker") == "degraded"]
    result.check(
        "health says the broker is degraded during the outage (HTTP 200)",
        bool(health_during)
        and len(degraded) == len(health_during)
        and all(h.get("http") == 200 for h in health_during),
        f"{len(degraded)} of {len(health_during)} probes degraded: {health_during[:1]}",
    )
    status, job = job_asked
    result.check(
        "a cohort activation asked during the outage answers 503 and its job says why",
        status == 503 and job is not None and job[0] == "failed" and job[1] == "broker_unreachable",
        f"answer {status}; job row {job}",
    )
    # Give the worker and beat time to reconnect (or to fail trying) before looking; nothing
    # is restarted by hand: supervisord restarts the worker if it exits.
    wait(lambda: False, 10)
    try:
        stack.wait_worker(timeout=90)
        serving = True
    except StackError:
        serving = False
    exited = [name for name in ("web", "worker", "beat") if not alive(stack.pids.get(name))]
    restarts = stack.worker_restarts()
    result.check(
        "worker and beat serve again after the outage, by themselves",
        serving and not exited,
        (
            "the worker reconnected without exiting"
            if restarts == 0
            else f"the worker exited on the broker loss and supervisord started it again "
            f"({restarts} time(s))"
        )
        + (f"; exited and not back: {', '.join(exited)}" if exited else ""),
    )
    respawned = restarts
    after = wait(lambda: stack.health().get("status") == "ok", 60, 1)
    result.check("health is ok again once Redis is back", bool(after), str(stack.health()))
    healed = invariants.wait_for_current_snapshot(restarted, timeout=stack.safety_net + 120)
    heal_s = None
    if healed is not None:
        from licensing.models import CostSnapshot

        fresh = invariants.fresh_report(world.contract_id())
        first = next(
            snap
            for snap in CostSnapshot.objects.filter(computed_at__gt=restarted).order_by("id")
            if snap.report == fresh
        )
        heal_s = (first.computed_at - restarted).total_seconds()
    result.check(
        "the cost snapshot heals after the outage (== a fresh recomputation)",
        heal_s is not None,
        f"first matching snapshot {heal_s:.1f}s after Redis came back (beat's safety net "
        f"runs every {stack.safety_net}s)"
        if heal_s is not None
        else "not healed: " + invariants.LAST_REASON.get("why", ""),
    )
    log = stack.log_path("web").read_text(errors="replace")
    dropped = log.count("not queued: cache or broker unreachable")
    result.check(
        "recomputes asked for during the outage were dropped and logged, not raised",
        dropped > 0,
        f"{dropped} warning(s) in the web log",
    )
    result.extend(invariants.all_invariants())
    result.figures = {
        "outage_s": round(t_start - t_stop, 1),
        "activations_during_outage": len(activations),
        "activations_ok_during_outage": len(ok_during),
        "statuses_during_outage": {
            label: {str(k): v for k, v in counts.items()} for label, counts in by_request.items()
        },
        "activations_total": len(generator.activated),
        "errors_before_outage": len(before_errors),
        "healed_after_restart_s": None if heal_s is None else round(heal_s, 1),
        "safety_net_s": stack.safety_net,
        "worker_restarts_by_supervisord": respawned,
        "overall": stats.summary(),
    }
    return result


if __name__ == "__main__":
    sys.exit(scenario_main(run, "Stop Redis during a burst of activations."))
