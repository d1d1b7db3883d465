"""Celery tasks of the rollout app: thin, idempotent, each ending in a service call. They run on
the `bulk` queue (settings.CELERY_TASK_ROUTES), away from the cost recomputes."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from config.errors import BusinessRuleError
from core.choices import JobStatus
from core.models import Job
from licensing.models import Contract
from licensing.selectors import contracts_active

from .models import Cohort
from .services import (
    JobClaimLost,
    cohort_activate,
    job_claim,
    job_heartbeat,
    jobs_requeue_stalled,
    seats_reclaim_idle,
)

logger = logging.getLogger(__name__)

# A cohort of 10,000 activates in seconds, the largest agency in well under a minute; the limits
# leave room for a loaded database and stay under the broker's visibility timeout, so a running
# job is not delivered twice. A lost connection or a deadlock victim is retried: the work is
# idempotent (a rerun skips the seats already made).
_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 1500,
    "time_limit": 1800,
    "max_retries": 3,
    "retry_backoff": True,
    "autoretry_for": (ConnectionError, TimeoutError, OperationalError, InterfaceError),
}
assert _LIMITS["time_limit"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


@shared_task(bind=True, **_LIMITS)
def activate_cohort_task(
    self, cohort_id: int, job_id: int | None = None, dry_run: bool = False
) -> int | None:
    """Run (or dry-run) a cohort activation; returns the job's id. A refusal (the wave is not
    in progress) is recorded on the job row and not retried: it would only refuse again.

    The delivery claims the job and keeps its heartbeat while it runs (services/jobs.py), so a
    job whose whole worker died is handed on by the sweeper within a minute, and ends once."""
    cohort = Cohort.objects.filter(pk=cohort_id).first()
    if cohort is None:
        return None
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job is not None and job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        # A second message for a job already ended (the sweeper queued it again while the first
        # was only slow, or the broker redelivered the first after its visibility timeout):
        # nothing to do, and rerunning would rewrite its record.
        return job.pk
    if job is None:
        return _activate(cohort, None, dry_run, stop=None)
    claim = self.request.id or f"local-{job.pk}"
    if not job_claim(job_id=job.pk, claim=claim):
        logger.warning(
            "job %s is running elsewhere (fresh heartbeat); this delivery leaves it", job.pk
        )
        return job.pk
    job.refresh_from_db()
    if self.request.is_eager:
        # In-process (tests, the embedded default): the saved batches are the heartbeat.
        return _activate(cohort, job, dry_run, stop=None)
    with job_heartbeat(job_id=job.pk, claim=claim) as lost:
        try:
            return _activate(cohort, job, dry_run, stop=lost)
        except JobClaimLost:
            logger.warning("job %s was handed to another delivery; this one stopped", job.pk)
            return job.pk


def _activate(cohort: Cohort, job: Job | None, dry_run: bool, stop) -> int | None:
    def progress(done: int, total: int) -> None:
        if stop is not None and stop.is_set():
            raise JobClaimLost(job.pk if job else None)

    actor = job.requested_by if job else None
    try:
        return cohort_activate(
            cohort=cohort, actor=actor, dry_run=dry_run, job=job, progress=progress
        ).pk
    except BusinessRuleError as exc:
        logger.warning("cohort %s activation refused: %s", cohort.pk, exc)
        return job.pk if job else None


@shared_task(**_LIMITS)
def reclaim_contract_idle_seats_task(
    contract_id: int, as_of: str | None = None, dry_run: bool = False, job_id: int | None = None
) -> int | None:
    """Reclaim one contract's idle seats; returns the reclamation job's id. With `job_id` (a
    run asked for from the console) it runs that job's request: the seats chosen, or every
    candidate. A job already ended is left as it is (a second message for it)."""
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return None
    day = dt.date.fromisoformat(as_of) if as_of else None
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job_id and job is None:
        return None
    if job is not None and job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return job.pk
    seat_ids = (job.outcome or {}).get("request", {}).get("seat_ids") if job else None
    actor = job.requested_by if job else None
    return seats_reclaim_idle(
        contract=contract, as_of=day, dry_run=dry_run, actor=actor, seat_ids=seat_ids, job=job
    ).job_id


@shared_task(**_LIMITS)
def reclaim_idle_seats_task() -> int:
    """Beat: queue a reclamation for every active contract, one task each, so one contract's
    failure or retry does not hold up the others. Returns how many were queued."""
    count = 0
    for contract in contracts_active():
        reclaim_contract_idle_seats_task.delay(contract.pk)
        count += 1
    return count


@shared_task(**_LIMITS)
def requeue_stalled_jobs_task() -> list[int]:
    """Beat: queue again the cohort activations the broker lost or a dead worker left
    (services/jobs.py); returns their ids."""
    return jobs_requeue_stalled()
