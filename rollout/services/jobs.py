"""Handing cohort-activation and reclamation jobs to the broker, and finding the ones the broker
lost.

A job row is the record people follow; the broker message is only the way to get it run. Two
things can part them: the broker is unreachable when the job is queued (the row would say
`queued` for ever), and the broker loses the message or the worker dies holding it (Redis keeps
nothing on disk; an unacknowledged message comes back only after the visibility timeout, an
hour). The first is answered at once — the row is marked failed with the reason, and the caller
gets the error — and the second by beat's sweeper, which queues a stalled job again: both jobs
are idempotent, so a job that was in fact still alive only finds its seats already made (or
already reclaimed).

How a dead worker is noticed within seconds (cohort activations): the delivery that runs a job
first *claims* it (`job_claim`: its task id in `claimed_by`), then beats every `HEARTBEAT_EVERY`
seconds (`job_heartbeat`: a thread stamping `heartbeat_at`, and every saved batch stamps it
too). A `running` job whose heartbeat is older than `HEARTBEAT_STALE` has lost its worker: the
sweeper (every 15 s) queues it again with the claim cleared, so the new delivery claims it and
finishes it, skipping the seats already made. A delivery finding a job claimed by another with a
fresh heartbeat leaves it alone, and one that finds its claim gone (it was only frozen, and the
job was handed on) stops at its next batch (`JobClaimLost`) without touching the row. A late
duplicate of a job already ended does nothing (rollout/tasks.py). So a stranded job ends once,
by itself, about a minute after its worker died. A job without a heartbeat (a reclamation) is
still judged by the 35-minute rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.middleware import CACHE_AND_BROKER_ERRORS
from core.choices import JobKind, JobStatus
from core.jobs import job_finish
from core.models import Job

log = logging.getLogger(__name__)

# A queued job is picked up within seconds when the workers are up; a running one beats every
# few seconds, and one without a heartbeat (started before heartbeats existed) either saves
# progress or is killed by its time limit (rollout/tasks.py: 1,800 s) well before these.
QUEUED_STALL = dt.timedelta(minutes=10)
RUNNING_STALL = dt.timedelta(minutes=35)
HEARTBEAT_EVERY = 5  # seconds
HEARTBEAT_STALE = dt.timedelta(seconds=30)
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
    job.errors = [error, *job.errors]
    job_finish(job, status=JobStatus.FAILED, fields=["errors"])


class JobClaimLost(Exception):
    """The job was handed to another delivery while this one was away (frozen, cut off from
    the database): this one must stop without writing to the job's row."""


def job_claim(*, job_id: int, claim: str, now: dt.datetime | None = None) -> bool:
    """Claim a job for the delivery `claim` (its task id). Granted when nobody holds it, when
    this same delivery held it (a redelivery after its pool process died), or when the holder's
    heartbeat is stale; refused while another delivery's heartbeat is fresh."""
    now = now or timezone.now()
    free = (
        Q(claimed_by="")
        | Q(claimed_by=claim)
        | Q(heartbeat_at__isnull=True)
        | Q(heartbeat_at__lt=now - HEARTBEAT_STALE)
        | ~Q(status=JobStatus.RUNNING)
    )
    taken = Job.objects.filter(free, pk=job_id).update(claimed_by=claim, heartbeat_at=now)
    return taken == 1


def _beat(job_id: int, claim: str) -> bool:
    """Stamp the heartbeat; False when the claim is no longer this delivery's."""
    return Job.objects.filter(pk=job_id, claimed_by=claim).update(heartbeat_at=timezone.now()) == 1


@contextlib.contextmanager
def job_heartbeat(*, job_id: int, claim: str, every: float = HEARTBEAT_EVERY):
    """While the block runs, a thread stamps the job's heartbeat every `every` seconds (on its
    own database connection). Yields an event that is set once the claim is lost."""
    lost, done = threading.Event(), threading.Event()

    def run():
        try:
            while not done.wait(every):
                try:
                    alive = _beat(job_id, claim)
                except Exception:  # the database is away: the next beat tries again
                    log.warning("job %s: heartbeat not written", job_id)
                    continue
                if not alive:
                    log.warning("job %s: claim lost to another delivery; stopping", job_id)
                    lost.set()
                    return
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        done.set()
        thread.join(timeout=every + 5)


def jobs_requeue_stalled(*, now: dt.datetime | None = None) -> list[int]:
    """Beat's sweeper: queue again every cohort activation, and every reclamation asked for
    from the console, that has sat `queued`, or `running` with a stale heartbeat (or, without
    one, with no end), for longer than a live job could; after `MAX_REQUEUES` tries, mark it
    failed. Returns the ids queued again."""
    now = now or timezone.now()
    stalled = (
        Q(status=JobStatus.QUEUED, queued_at__lt=now - QUEUED_STALL)
        | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - HEARTBEAT_STALE)
        | Q(
            status=JobStatus.RUNNING,
            heartbeat_at__isnull=True,
            started_at__lt=now - RUNNING_STALL,
        )
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
            # The dead delivery's claim goes: the new one takes the job, and the old one, if
            # it was only frozen, finds its claim gone and stops.
            job.claimed_by = ""
            job.heartbeat_at = None
            job.save(
                update_fields=["requeued", "status", "queued_at", "claimed_by", "heartbeat_at"]
            )
        try:
            _send(job)
        except CACHE_AND_BROKER_ERRORS:
            # The broker is down: leave the job queued for the next sweep, and the others too.
            log.warning("job %s stalled; broker unreachable, next sweep will retry", job.pk)
            break
        log.warning("job %s stalled; queued again (try %s)", job.pk, job.requeued)
        queued.append(job.pk)
    return queued
