"""The one way a long job ends: its row says how, and the outbox says so to the world.

Every job end (a cohort activation, a roster or usage import, a reclamation, a job the broker
lost) goes through `job_finish`, which stamps the row and, in the same transaction, writes
`job.finished` (and `import.finished` for an import) with the job's figures. A dry run changed
nothing anyone must hear of, so it ends silently. Payloads carry ids, statuses and counts: no
subject (an import's is a file name), no error text (a row error can quote a person's data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .choices import JobKind, JobStatus
from .models import Event, Job
from .outbox import events_emit

log = logging.getLogger(__name__)

JOB_FINISHED = "job.finished"
IMPORT_FINISHED = "import.finished"
IMPORT_KINDS = frozenset({JobKind.ROSTER_IMPORT, JobKind.USAGE_IMPORT})


def _counts(outcome: dict) -> dict[str, object]:
    """The outcome's figures: whole numbers, and mappings of them (blocked by reason)."""
    counts: dict[str, object] = {}
    for key, value in (outcome or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            counts[key] = value
        elif isinstance(value, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            counts[key] = dict(value)
    return counts


def _error_codes(errors: list) -> list[str]:
    codes = {e["code"] for e in errors or () if isinstance(e, dict) and e.get("code")}
    return sorted(codes)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _announce(job: Job) -> None:
    agency_ids = []
    if job.cohort_id:
        agency_ids = [job.cohort.agency_id]
    counts = _counts(job.outcome)
    events = [
        Event(
            type=JOB_FINISHED,
            subject=f"job:{job.pk}",
            payload={
                "job": job.pk,
                "kind": job.kind,
                "status": job.status,
                "cohort": job.cohort_id,
                "done": job.done,
                "total": job.total,
                "counts": counts,
                "error_codes": _error_codes(job.errors),
                "started_at": _iso(job.started_at),
                "finished_at": _iso(job.finished_at),
            },
            agency_ids=agency_ids,
            actor_id=job.requested_by_id,
            created_at=job.finished_at,
        )
    ]
    if job.kind in IMPORT_KINDS:
        outcome = job.outcome or {}
        events.append(
            Event(
                type=IMPORT_FINISHED,
                subject=f"job:{job.pk}",
                payload={
                    "job": job.pk,
                    "kind": job.kind,
                    "status": job.status,
                    "written": bool(outcome.get("written")),
                    "rejected": bool(outcome.get("rejected")),
                    "rows": counts.get("rows", 0),
                    "counts": {k: v for k, v in counts.items() if k not in ("rows", "errors")},
                    "errors": len(job.errors or ()),
                },
                actor_id=job.requested_by_id,
                created_at=job.finished_at,
            )
        )
    events_emit(events)


@transaction.atomic
def job_finish(job: Job, *, status: str, fields: Iterable[str] = ()) -> Job:
    """End `job` with `status` (succeeded or failed): stamp `finished_at`, save `status`,
    `finished_at` and the other `fields` the caller set (outcome, errors, counters), and write
    `job.finished` (and `import.finished` for an import) in the same transaction, unless the
    job is a dry run.

    A run ends once: every run begins with `finished_at` cleared, so a row found already ended
    (under its lock) was ended by another delivery of the same run (a job handed on after its
    worker stalled); that end stands, and this one writes nothing."""
    ended = (
        Job.objects.select_for_update()
        .filter(pk=job.pk)
        .values_list("finished_at", flat=True)
        .first()
    )
    if ended is not None:
        log.warning("job %s already ended at %s; this end is dropped", job.pk, ended)
        return job
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=sorted({"status", "finished_at", *fields}))
    if not job.dry_run:
        _announce(job)
    return job


def job_running(job: Job) -> bool:
    """True while the job is queued or running (it has not ended)."""
    return job.status in (JobStatus.QUEUED, JobStatus.RUNNING)


def job_percent(job: Job) -> int | None:
    return round(job.done / job.total * 100) if job.total else None


def job_progress(job: Job) -> dict:
    """What a job page's script needs to follow a job (static/seatplan/job-progress.js): the
    same answer for every kind of job, so every job page refreshes the same way."""
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job_percent(job),
        "finished": not job_running(job),
    }
