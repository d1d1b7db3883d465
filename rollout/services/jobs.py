"""Handing cohort-activation and reclamation jobs to the broker, and finding the ones the broker
lost.

A job row is the record people follow; the broker message is only the way to get it run. Two
things can part them: the broker is unreachable when the job is queued (the row would say
`queued` for ever), and the broker loses the message or the worker dies holding it (Redis keeps
nothing on disk; an unacknowledged message comes back only after the visibility timeout). The
first is answered at once — the row is marked failed with the reason, and the caller gets the
error — and the second by beat's sweeper, which queues a stalled job again: both jobs are
idempotent, so a job that was in fact still alive only finds its seats already made (or already
reclaimed).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.middleware import CACHE_AND_BROKER_ERRORS
from core.choices import JobKind, JobStatus
from core.models import Job

log = logging.getLogger(__name__)

# A queued job is picked up within seconds when the workers are up; a running one either saves
# progress or is killed by its time limit (rollout/tasks.py: 1,800 s) well before these.
QUEUED_STALL = dt.timedelta(minutes=10)
RUNNING_STALL = dt.timedelta(minutes=35)
MAX_REQUEUES = 3
BROKER_UNREACHABLE = {
    "code": "broker_unreachable",
    "detail": "The job queue could not be reached, so the job never started; ask again.",
}
GAVE_UP = {
    "code": "stalled",
    "detail": f"The job stalled {MAX_REQUEUES + 1} times; ask again once the workers are healthy.",
}


def job_queue(job: Job) -> None:
    """Send a cohort-activation or reclamation job to the workers. If the broker cannot be
    reached the row is marked failed, saying so, and the error is raised for the caller to
    report (503)."""
    try:
        _send(job)
    except CACHE_AND_BROKER_ERRORS:
        log.warning("job %s not queued: broker unreachable; marked failed", job.pk)
        _fail(job, BROKER_UNREACHABLE)
        raise


def _send(job: Job) -> None:
    from ..tasks import activate_cohort_task, reclaim_contract_idle_seats_task

    if job.kind == JobKind.RECLAIM:
        # A reclamation asked for from the console carries its request on the row.
        request = job.outcome["request"]
        reclaim_contract_idle_seats_task.delay(
            request["contract"], as_of=request["as_of"], job_id=job.pk
        )
    else:
        activate_cohort_task.delay(job.cohort_id, job_id=job.pk, dry_run=job.dry_run)


def _fail(job: Job, error: dict) -> None:
    job.status = JobStatus.FAILED
    job.finished_at = timezone.now()
    job.errors = [error, *job.errors]
    job.save(update_fields=["status", "finished_at", "errors"])


def jobs_requeue_stalled(*, now: dt.datetime | None = None) -> list[int]:
    """Beat's sweeper: queue again every cohort activation, and every reclamation asked for
    from the console, that has sat `queued`, or `running` with no end, for longer than a live
    job could; after `MAX_REQUEUES` tries, mark it failed. Returns the ids queued again."""
    now = now or timezone.now()
    stalled = Q(status=JobStatus.QUEUED, queued_at__lt=now - QUEUED_STALL) | Q(
        status=JobStatus.RUNNING, started_at__lt=now - RUNNING_STALL
    )
    queueable = Job.objects.filter(
        Q(kind=JobKind.COHORT_ACTIVATION, cohort__isnull=False)
        | Q(kind=JobKind.RECLAIM, outcome__has_key="request")
    )
    queued = []
    for pk in queueable.filter(stalled).order_by("id").values_list("pk", flat=True):
        with transaction.atomic():
            # Locked and re-read: a worker may have finished or restarted it since.
            job = Job.objects.select_for_update().filter(stalled, pk=pk).first()
            if job is None:
                continue
            if job.requeued >= MAX_REQUEUES:
                log.warning("job %s stalled %s times; marked failed", job.pk, job.requeued + 1)
                _fail(job, GAVE_UP)
                continue
            job.requeued += 1
            job.status = JobStatus.QUEUED
            job.queued_at = now
            job.save(update_fields=["requeued", "status", "queued_at"])
        try:
            _send(job)
        except CACHE_AND_BROKER_ERRORS:
            # The broker is down: leave the job queued for the next sweep, and the others too.
            log.warning("job %s stalled; broker unreachable, next sweep will retry", job.pk)
            break
        log.warning("job %s stalled; queued again (try %s)", job.pk, job.requeued)
        queued.append(job.pk)
    return queued
