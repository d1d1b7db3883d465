"""Benchmark the rollout console's pages on the seeded demo, as a rollout manager: the wave page,
the cohort page, the activation preview (a real dry run, in the request) of the largest
cohorts, the job page and the idle-seat report, against the timeline page as the in-run
baseline. Queries counted with `CaptureQueriesContext`.

    .venv/bin/python bench/console_pages.py               # scale 1: the 40,000-employee demo
    .venv/bin/python bench/console_pages.py --scale 0.25 --runs 5

Runs in its own interpreter on a fresh SQLite database in a temporary directory (migrate, seed
as of 29 Nov 2026 with "today" pinned to that day, then the timed requests). DEBUG off. Figures:
docs/benchmarks.md, section "console_pages".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 29)


def run_child(scale: float, runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    original = timezone.localdate
    timezone.localdate = lambda value=None, tz=None: AS_OF if value is None else original(value, tz)

    from agencies.demo import demo_seed
    from config.roles import ROLLOUT_MANAGER
    from core.models import Job
    from rollout.models import Cohort, Wave

    call_command("migrate", verbosity=0)
    seeded = time.perf_counter()
    demo_seed(scale=scale, as_of=AS_OF)
    seeded = time.perf_counter() - seeded
    user = User.objects.create_user("bench-manager", password="x")
    user.groups.add(Group.objects.get_or_create(name=ROLLOUT_MANAGER)[0])
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)

    wave5 = Wave.objects.get(number=5)
    eohhs = Cohort.objects.get(wave=wave5, agency__code="EOHHS")
    dph = Cohort.objects.get(wave=wave5, agency__code="DPH")
    first = client.post(f"/rollout/cohorts/{eohhs.pk}/activate/", {})
    assert first.status_code == 200, (first.status_code, first.content[:300])
    dry = Job.objects.filter(dry_run=True).latest("id")
    cases = [
        ("timeline (baseline)", "get", "/rollout/timeline/"),
        ("wave 5", "get", f"/rollout/waves/{wave5.pk}/"),
        ("cohort EOHHS", "get", f"/rollout/cohorts/{eohhs.pk}/"),
        ("activation preview DPH", "post", f"/rollout/cohorts/{dph.pk}/activate/"),
        ("activation preview EOHHS", "post", f"/rollout/cohorts/{eohhs.pk}/activate/"),
        ("job page (EOHHS dry run)", "get", f"/rollout/jobs/{dry.pk}/"),
        ("blocked CSV (EOHHS dry run)", "get", f"/rollout/jobs/{dry.pk}/blocked.csv"),
        ("wave action confirm (pause 5)", "post", f"/rollout/waves/{wave5.pk}/pause/"),
        ("idle-seat report", "get", "/rollout/reclaim/"),
    ]
    out = []
    for name, method, url in cases:
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                if method == "get":
                    response = client.get(url)
                else:
                    response = client.post(url, {"reason": "bench"})
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(captured)
        out.append({"page": name, "median_s": statistics.median(times), "queries": queries})
    print(json.dumps({"scale": scale, "seed_s": seeded, "pages": out}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.scale, args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="seatplan-bench-") as directory:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DATABASE_URL=f"sqlite:///{directory}/console.sqlite3",
            DEBUG="False",
            SECRET_KEY="bench-only",
        )
        child = [sys.executable, __file__, "--child", f"--scale={args.scale}"]
        child.append(f"--runs={args.runs}")
        line = (
            subprocess.run(child, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
    result = json.loads(line)
    base = result["pages"][0]["median_s"]
    print(f"scale {result['scale']:g}; seeded in {result['seed_s']:.1f} s; load {os.getloadavg()}")
    print(f"{'page':34} {'median s':>9} {'× timeline':>10} {'queries':>8}")
    for row in result["pages"]:
        ratio = row["median_s"] / base if base else 0
        print(f"{row['page']:34} {row['median_s']:9.3f} {ratio:10.1f} {row['queries']:8}")


if __name__ == "__main__":
    main()
