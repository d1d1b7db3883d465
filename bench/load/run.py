"""Load scenario: pollers, coordinators and managers on the full stack, then the invariants.

    .venv/bin/python bench/load/run.py -u 20 -t 60 --scale 1     # its own stack, up and down
    .venv/bin/python bench/stack.py run-scenario load -u 20 -t 60 --scale 1

`-u` virtual users (40% pollers with ETag, 20% without, 25% coordinators, 15% managers; see
generator.py) for `-t` seconds, each with its own API key from `manage.py create_api_user`, so
the per-key rate limits stay the production ones. Managers write during the first 80% of the run
and then only read, so the last part shows what pollers cost while nothing changes (304s).
Then, once the cost job has caught up (a snapshot computed after the load equals a fresh
recomputation, at most 120 s), it checks: error rate 0; every activation answered 200 is an
active seat; the invariants of faults/invariants.py (one open seat per employee, quotas,
headroom ≥ 0, Seat.status == latest event, latest snapshot == a fresh `contract_cost_report`);
no API key and no employee email in any of the stack's logs.
Prints a PASS/FAIL summary and a Markdown table for docs/benchmarks.md (## load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from faults import invariants  # noqa: E402
from faults.report import Result  # noqa: E402

from load import world  # noqa: E402
from load.generator import LoadGenerator, Stats  # noqa: E402

# Managers write during the first 80% of the run; the rest shows pollers when nothing changes.
WRITE_SHARE = 0.8
QUIET_SETTLE = 3.0  # seconds after the last write before the quiet phase is measured


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-u", "--users", type=int, default=20, help="virtual users (max 64)")
    parser.add_argument("-t", "--time", type=float, default=60.0, help="seconds of load")
    parser.add_argument(
        "--activations", type=int, default=2000, help="most employees managers may activate"
    )


def markdown(stats: Stats) -> str:
    lines = [
        "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    rows = {**stats.by_label(), "**all**": stats.summary()}
    for label, s in rows.items():
        statuses = ", ".join(f"{k}: {v}" for k, v in s["statuses"].items())
        lines.append(
            f"| {label} | {s['requests']:,} | {s['rps']} | {s['p50_ms']} | {s['p95_ms']} | "
            f"{s['p99_ms']} | {s['errors']} ({s['error_rate']:.2%}) | {statuses} |"
        )
    return "\n".join(lines)


def run(stack, args) -> Result:
    result = Result("load")
    users = max(4, min(64, args.users))
    print(f"\n=== load: {users} users for {args.time:.0f}s on {stack.base_url} ===", flush=True)
    stack.django()
    vus = world.build_users(stack, users, f"load{int(time.time()) % 100000}", args.activations)
    before = invariants.counts()
    pool = sum(len(u.employees) for u in vus)
    write_until = args.time * WRITE_SHARE
    generator = LoadGenerator(stack.web_port, world.contract_id(), vus, write_until=write_until)
    load_before = os.getloadavg()[0]
    stats = generator.run(args.time)
    load_after = os.getloadavg()[0]
    summary = stats.summary()
    print(markdown(stats), flush=True)
    quiet_from = write_until + QUIET_SETTLE
    quiet = Stats(
        [s for s in stats.samples if s.t >= quiet_from], max(1.0, stats.elapsed - quiet_from)
    )
    print(f"\nquiet phase (no writes, from t={quiet_from:.0f}s):\n{markdown(quiet)}", flush=True)

    write_labels = ("seat request", "seat activate")
    writes = [s.t for s in stats.samples if s.label in write_labels and s.status < 300]
    last_write = generator.t0_wall + dt.timedelta(seconds=max(writes, default=0.0))
    caught_up = invariants.wait_for_current_snapshot(last_write, timeout=120)
    lag = None
    if caught_up is not None:
        from licensing.models import CostSnapshot

        fresh = invariants.fresh_report(world.contract_id())
        first = next(
            snap
            for snap in CostSnapshot.objects.filter(computed_at__gt=last_write).order_by("id")
            if snap.report == fresh
        )
        lag = (first.computed_at - last_write).total_seconds()
    result.check(
        "a snapshot computed after the last seat change equals a fresh recomputation",
        caught_up is not None,
        f"first snapshot {lag:.1f}s after the last write"
        if lag is not None
        else "none in 120 s: " + invariants.LAST_REASON.get("why", ""),
    )
    result.check(
        "error rate 0",
        summary["errors"] == 0,
        f"{summary['errors']} of {summary['requests']:,} requests",
    )
    errors = [s for s in stats.samples if stats.is_error(s)][:3]
    for s in errors:
        print(f"    error sample: {s.label} {s.status} {s.body[:300]!r}")
    from licensing.models import Seat

    active = Seat.objects.filter(pk__in=generator.activated, status="active").count()
    result.check(
        "every activation answered 200 is an active seat",
        active == len(generator.activated),
        f"{active} of {len(generator.activated)}",
    )
    result.extend(invariants.all_invariants())
    leaks = world.leaks_in_logs(stack.dir, [u.key for u in vus] + [stack.manager_key])
    result.check("no API key in the stack's logs", leaks["api_keys"] == 0, str(leaks))
    result.check("no employee email in the stack's logs", leaks["employee_emails"] == 0)
    etag = [s for s in stats.samples if s.label == "seat-counts (etag)"]
    result.figures = {
        "users": users,
        "mix": world.mix(users),
        "seconds": round(stats.elapsed, 1),
        "scale": stack.scale,
        "overall": summary,
        "by_request": stats.by_label(),
        "etag_304_share": round(sum(s.status == 304 for s in etag) / len(etag), 3) if etag else 0,
        "writes_until_s": round(write_until, 1),
        "quiet_phase": quiet.by_label(),
        "activations": len(generator.activated),
        "activation_pool": pool,
        "seats_before": before,
        "seats_after": invariants.counts(),
        "snapshot_after_last_write_s": None if lag is None else round(lag, 1),
        "loadavg_before_after": [round(load_before, 2), round(load_after, 2)],
    }
    return result


def main() -> int:
    from faults.report import print_summary
    from stack import StackError, add_stack_arguments, stack_from_args

    parser = argparse.ArgumentParser(description="Bounded load on the full stack.")
    add_stack_arguments(parser, default_scale=1.0)
    add_load_arguments(parser)
    args = parser.parse_args()
    stack = stack_from_args(args)
    try:
        with stack:
            return 0 if print_summary([run(stack, args)]) else 1
    except StackError as exc:
        print(f"FAIL: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
