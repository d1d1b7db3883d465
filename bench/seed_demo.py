"""Benchmark `seed_demo`: the full 40,000-employee demo against a 1/40 run (~1,000 employees)
as the in-run baseline, each on a fresh SQLite database in a temporary directory.

    .venv/bin/python bench/seed_demo.py            # or: make bench
    .venv/bin/python bench/seed_demo.py --scales 0.025 0.5 1

Each scale runs in its own interpreter (fresh DATABASE_URL, migrate, then the timed seed and a
timed second run that must find nothing to do). Wall time on a busy machine is mostly waiting
for a CPU, so CPU time is printed too, with the load average. DEBUG is off, as in production:
with DEBUG on, Django's query log quotes every parameter again and adds ~15%. Latest figures:
docs/benchmarks.md, section "seed_demo".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE, FULL = 0.025, 1.0


def run_child(scale: float) -> None:
    """Inside the fresh interpreter: migrate, seed, seed again; print one JSON line."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from agencies.demo import demo_seed

    call_command("migrate", verbosity=0)
    first = demo_seed(scale=scale)
    again = demo_seed(scale=scale)
    if again.total:
        raise SystemExit(f"The second run at scale {scale} wrote {again.total} rows.")
    print(
        json.dumps(
            {
                "scale": scale,
                "employees": first.created["employees"],
                "rows": first.total,
                "seconds": first.seconds,
                "cpu_seconds": first.cpu_seconds,
                "rerun_seconds": again.seconds,
            }
        )
    )


def measure(scale: float, directory: Path) -> dict:
    database = directory / f"seed-{scale:g}.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "False",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(scale)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"seed_demo at scale {scale} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[BASELINE, FULL])
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_child(args.child)
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="seatplan-bench-") as tmp:
        results = [measure(scale, Path(tmp)) for scale in args.scales]
    load = os.getloadavg()
    print(f"seed_demo on fresh SQLite databases ({os.cpu_count()} CPUs, load {load[0]:.1f})")
    print(
        f"{'scale':>6} {'employees':>9} {'rows':>8} {'wall s':>7} {'cpu s':>6} "
        f"{'rows/s':>7} {'cpu rows/s':>10} {'re-run s':>8}"
    )
    for r in results:
        print(
            f"{r['scale']:>6g} {r['employees']:>9,} {r['rows']:>8,} {r['seconds']:>7.1f} "
            f"{r['cpu_seconds']:>6.1f} {r['rows'] / r['seconds']:>7,.0f} "
            f"{r['rows'] / r['cpu_seconds']:>10,.0f} {r['rerun_seconds']:>8.1f}"
        )
    if len(results) >= 2:
        small, big = results[0], results[-1]
        rows = big["rows"] / small["rows"]
        wall = big["seconds"] / small["seconds"]
        cpu = big["cpu_seconds"] / small["cpu_seconds"]
        print(
            f"scale {big['scale']:g} vs {small['scale']:g}: {rows:.1f}x the rows in "
            f"{wall:.1f}x the wall time and {cpu:.1f}x the CPU time "
            f"(per-row cost {cpu / rows:.2f}x the baseline's)"
        )
    print(f"bench finished in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
