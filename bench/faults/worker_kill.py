"""Fault (a): SIGKILL the Celery worker during a cohort activation and during a cost recompute.

    .venv/bin/python bench/faults/worker_kill.py [--scale 1]
    .venv/bin/python bench/stack.py run-scenario worker-kill

Four cases, each ending in a comparison with a ground truth:

1. **pool process killed mid-activation**: a cohort activation is queued through the API
   (`POST /api/v1/cohorts/<id>/activate/`); once its first batch of 1,000 has committed, the
   worker's pool processes get SIGKILL. The main process sees the loss, the task (acks late,
   `reject_on_worker_lost`) goes back to the queue and runs again on a new pool process.
2. **whole worker killed mid-activation**: the same, but the worker's whole process group gets
   SIGKILL (no warm shutdown). Nobody touches anything: supervisord (the production config)
   starts the worker again, the job's heartbeat goes stale, beat's sweeper (every 15 s) queues
   it again, and the new delivery finishes it. The check: it has succeeded within 120 s of the
   kill, was queued again exactly once, and the killed delivery's message (still unacked in
   Redis until the visibility timeout) would find it ended.
   Ground truth for 1 and 2: just before the activation the database is copied
   (pg_dump | pg_restore) and `manage.py activate_cohort <id>` runs serially on the copy, with
   no broker. The cohort's seats (employee, status) and each seat's number of events must be
   the same in both databases: nothing lost, nothing doubled, nothing over quota.
3. **pool process killed mid-recompute**: `recompute_all_contracts_task` is sent and the pool
   is killed as soon as the cost query shows in `pg_stat_activity`; the requeued task writes
   the snapshot.
4. **whole worker killed mid-recompute**, restarted: beat's safety net heals the snapshot.
   For 3 and 4: no snapshot is written by the killed run, and afterwards a snapshot computed
   after the kill equals a fresh `contract_cost_report`.
Then the invariants of invariants.py. PASS/FAIL summary, non-zero exit on failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faults import invariants
from faults.common import (
    api,
    clone_database,
    drop_database,
    query,
    scenario_main,
    serial_manage,
    wait,
)
from faults.report import Result

JOB_TIMEOUT = 300
RECOVERY_DEADLINE = 120  # seconds from the kill of a whole worker to the job's success


def _cohorts_by_work() -> list[tuple[int, str, int]]:
    """(cohort id, agency code, seats the job can activate) of the cohorts of waves in progress,
    most first: active, trained employees not held for bargaining and without an active seat,
    up to the cohort's remaining quota."""
    from django.db.models import Q

    from agencies.choices import HOLDING_STATUSES, EmploymentStatus
    from agencies.models import Employee
    from licensing.models import Seat
    from rollout.choices import WaveStatus
    from rollout.models import Cohort

    rows = []
    cohorts = Cohort.objects.filter(wave__status=WaveStatus.IN_PROGRESS).select_related("agency")
    for c in cohorts:
        room = c.seat_quota - Seat.objects.filter(cohort=c, status="active").count()
        eligible = (
            Employee.objects.filter(
                agency_id=c.agency_id,
                employment_status=EmploymentStatus.ACTIVE,
                training_completed_on__isnull=False,
                policy_acknowledged_on__isnull=False,
            )
            .filter(
                Q(bargaining_unit__isnull=True)
                | ~Q(bargaining_unit__bargaining_status__in=list(HOLDING_STATUSES))
            )
            .exclude(seats__status="active")
            .count()
        )
        rows.append((c.pk, c.agency.code, max(0, min(room, eligible))))
    return sorted(rows, key=lambda r: -r[2])


def _job(job_id: int):
    from django.db import connections

    from core.models import Job

    connections.close_all()
    return (
        Job.objects.filter(pk=job_id)
        .values("status", "done", "total", "outcome", "requeued", "finished_at")
        .first()
    )


def _cohort_state(database_url: str, cohort_id: int) -> dict[int, tuple[str, int]]:
    """employee id -> (seat status, number of events) for the cohort's open seats."""
    rows = query(
        database_url,
        f"""SELECT s.employee_id, s.status, count(e.id) FROM licensing_seat s
            JOIN licensing_seatevent e ON e.seat_id = s.id
            WHERE s.cohort_id = {int(cohort_id)} AND s.status <> 'revoked'
            GROUP BY s.employee_id, s.status""",
    )
    return {emp: (status, n) for emp, status, n in rows}


def _kill_pool(stack) -> list[int]:
    children = stack.worker_child_pids()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return children


def _activation_case(stack, result: Result, cohort: tuple[int, str, int], whole: bool) -> dict:
    cohort_id, code, todo = cohort
    label = "whole worker" if whole else "pool process"
    print(f"\n--- SIGKILL {label} during the activation of {code} ({todo:,} seats to activate)")
    truth_db = f"truth_{cohort_id}"
    truth_url = clone_database(stack, truth_db)
    t0 = time.monotonic()
    serial_manage(stack, truth_url, "activate_cohort", str(cohort_id))
    serial_s = time.monotonic() - t0

    status, body = api(stack, "POST", f"/api/v1/cohorts/{cohort_id}/activate/", {"dry_run": False})
    if not result.check(f"{code}: activation queued (202)", status == 202, f"{status} {body}"):
        return {}
    job_id = body["job"]

    def mid_job():
        job = _job(job_id)
        if job is None or job["status"] != "running":
            return None if job is None or job["status"] == "queued" else job
        # Once a batch has committed (or, for a cohort of one batch, once it has started).
        if job["total"] and (job["total"] <= 1000 or job["done"] >= 1000):
            return job
        return None

    seen = wait(mid_job, 120, interval=0.05)
    killed_at = None
    if seen and seen["status"] == "running":
        if whole:
            stack.worker_kill()
        else:
            _kill_pool(stack)
        killed_at = _job(job_id)
    result.check(
        f"{code}: {label} SIGKILLed while the job was running",
        killed_at is not None and killed_at["status"] == "running",
        f"job at kill: {killed_at or seen}",
    )
    figures = {"cohort": code, "activatable": todo, "serial_run_s": round(serial_s, 1)}
    figures["job_at_kill"] = {k: killed_at[k] for k in ("done", "total")} if killed_at else None
    t_kill = time.monotonic()

    if whole:
        # Hands off: supervisord restarts the worker, the sweeper hands the job on.
        stack.wait_worker(timeout=90)
        figures["worker_back_after_s"] = round(time.monotonic() - t_kill, 1)
        recovered = wait(
            lambda: (_job(job_id) or {}).get("status") == "succeeded",
            RECOVERY_DEADLINE - (time.monotonic() - t_kill),
            0.5,
        )
        job = _job(job_id)
        figures["succeeded_after_kill_s"] = round(time.monotonic() - t_kill, 1)
        result.check(
            f"{code}: the stranded job finished by itself within {RECOVERY_DEADLINE}s, "
            "queued again once, no manual step",
            bool(recovered) and job["requeued"] == 1,
            f"status={job['status']} requeued={job['requeued']} after "
            f"{figures['succeeded_after_kill_s']}s (worker back after "
            f"{figures['worker_back_after_s']}s, restarts by supervisord: "
            f"{stack.worker_restarts()})",
        )
    done = wait(
        lambda: (_job(job_id) or {}).get("status") in ("succeeded", "failed"),
        JOB_TIMEOUT,
        interval=0.5,
    )
    job = _job(job_id)
    figures["recovered_in_s"] = round(time.monotonic() - t_kill, 1)
    result.check(
        f"{code}: the job finished after the kill (succeeded)",
        bool(done) and job["status"] == "succeeded",
        f"status={job['status']} done={job['done']}/{job['total']} after "
        f"{figures['recovered_in_s']}s",
    )
    real = _cohort_state(stack.database_url, cohort_id)
    truth = _cohort_state(truth_url, cohort_id)
    missing = sorted(set(truth) - set(real))
    extra = sorted(set(real) - set(truth))
    differ = sorted(e for e in set(real) & set(truth) if real[e] != truth[e])
    active = sum(1 for s, _ in real.values() if s == "active")
    figures["active_seats_in_cohort"] = active
    if whole:
        # Exactly once: no second run after the first ended (finished_at unchanged a while on).
        ended = job["finished_at"]
        time.sleep(20)
        later = _job(job_id)
        result.check(
            f"{code}: the job ended once (its record unchanged 20 s later)",
            later["finished_at"] == ended and later["status"] == "succeeded",
            f"finished_at {ended} → {later['finished_at']}",
        )
    result.check(
        f"{code}: seats and events equal the serial ground truth",
        not missing and not extra and not differ,
        f"{active:,} active seats; missing {len(missing)}, extra {len(extra)}, "
        f"different {len(differ)}",
    )
    drop_database(stack, truth_db)
    return figures


def _cost_case(stack, result: Result, whole: bool) -> dict:
    """The recompute is caught mid-run deterministically: this process holds a SHARE lock on the
    snapshot table, so the task computes the report and then waits to INSERT it; it is killed
    while it waits (seen in pg_stat_activity), and only then is the lock released."""
    import psycopg
    from django.utils import timezone

    from licensing.tasks import recompute_all_contracts_task

    label = "whole worker" if whole else "pool process"
    print(f"\n--- SIGKILL {label} during a cost recompute")
    url = stack.database_url.replace("postgres://", "postgresql://")
    waiting_sql = """SELECT pid FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'
                       AND query ILIKE 'INSERT INTO "licensing_costsnapshot"%%'"""
    with (
        psycopg.connect(url, connect_timeout=10) as lock,
        psycopg.connect(url, connect_timeout=10, autocommit=True) as watch,
    ):
        lock.execute("LOCK TABLE licensing_costsnapshot IN SHARE MODE")
        task_id = recompute_all_contracts_task.delay().id
        seen = wait(lambda: watch.execute(waiting_sql).fetchall(), 60, interval=0.05)
        if seen:
            if whole:
                stack.worker_kill()
            else:
                _kill_pool(stack)
        killed_at = timezone.now()
        time.sleep(0.5)
        lock.rollback()
    result.check(
        f"cost ({label}): SIGKILLed while the recompute waited to write its snapshot",
        bool(seen),
        f"task {task_id[:8]}; blocked INSERT seen: {bool(seen)}",
    )
    t_kill = time.monotonic()
    if whole:
        stack.wait_worker(timeout=90)  # supervisord starts it again
    healed = invariants.wait_for_current_snapshot(killed_at, timeout=stack.safety_net + 120)
    log = stack.log_path("worker").read_text(errors="replace")
    rerun = log.count(f"recompute_all_contracts_task[{task_id}] succeeded")
    lost = "WorkerLostError" in log and task_id in log
    if not whole:
        result.check(
            "cost (pool process): the lost task was redelivered and ran to the end",
            lost and rerun == 1,
            f"WorkerLostError logged: {lost}; the same task id succeeded {rerun} time(s)",
        )
    result.check(
        f"cost ({label}): a snapshot written after the kill equals a fresh recomputation",
        healed is not None,
        f"after {time.monotonic() - t_kill:.1f}s"
        + (" (beat's safety net)" if whole else " (the redelivered task)")
        if healed is not None
        else "not healed: " + invariants.LAST_REASON.get("why", ""),
    )
    return {
        "healed_in_s": round(time.monotonic() - t_kill, 1),
        "by": "beat" if whole else "redelivery",
        "same_task_succeeded_after_kill": rerun,
    }


def run(stack, args) -> Result:
    result = Result("worker-kill")
    print("\n=== fault: SIGKILL the Celery worker ===", flush=True)
    stack.django()
    cohorts = _cohorts_by_work()
    figures: dict = {"scale": stack.scale}
    if len(cohorts) < 2 or cohorts[1][2] == 0:
        result.check("two cohorts with work to do", False, str(cohorts))
        return result
    figures["activation_pool_kill"] = _activation_case(stack, result, cohorts[0], whole=False)
    figures["activation_worker_kill"] = _activation_case(stack, result, cohorts[1], whole=True)
    figures["cost_pool_kill"] = _cost_case(stack, result, whole=False)
    figures["cost_worker_kill"] = _cost_case(stack, result, whole=True)
    result.extend(invariants.all_invariants())
    figures["seats"] = invariants.counts()
    result.figures = figures
    return result


if __name__ == "__main__":
    sys.exit(scenario_main(run, "SIGKILL the Celery worker mid-job; compare with ground truth."))
