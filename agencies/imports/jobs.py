"""The `core.Job` row of an import: begun before its transaction, its progress shown while
the transaction is still open, and its outcome written after it has committed or rolled back."""

from __future__ import annotations

import logging
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.utils import timezone

from core.choices import JobStatus
from core.jobs import job_finish
from core.models import Job

logger = logging.getLogger(__name__)

# Row errors stored on the job row; the command and the report list them all.
ERRORS_KEPT = 1000
KEPT_KEYS = ("upload", "contract")


def job_begin(*, kind: str, subject: str, actor, dry_run: bool, job: Job | None) -> Job:
    """Mark `job` (or a new one) running. A job handed in again (a retried task) starts over."""
    if job is None:
        job = Job(kind=kind)
    if job.requested_by_id is None and getattr(actor, "is_authenticated", False):
        job.requested_by = actor
    job.kind = kind
    job.subject = subject[:200]
    job.dry_run = dry_run
    job.status = JobStatus.RUNNING
    job.started_at = timezone.now()
    job.finished_at = None
    job.done = job.total = 0
    # An uploaded file's preview and import name the upload they read (and a usage file its
    # contract); that link outlives a rerun.
    job.outcome = {k: v for k, v in (job.outcome or {}).items() if k in KEPT_KEYS}
    job.errors = []
    job.save()
    return job


def job_end(job: Job, *, ok: bool, done: int, outcome: dict, errors: list[dict]) -> None:
    job.done = job.total = done
    job.outcome = {**{k: v for k, v in (job.outcome or {}).items() if k in KEPT_KEYS}, **outcome}
    job.errors = errors[:ERRORS_KEPT]
    status = JobStatus.SUCCEEDED if ok else JobStatus.FAILED
    job_finish(job, status=status, fields=["done", "total", "outcome", "errors"])


class JobProgress:
    """Shows how far an import has got on its job row while the import's own transaction is
    still open (and so invisible to everyone else).

    On PostgreSQL, when the job row is already committed, progress goes through a second,
    autocommit connection, at most once a second: the admin and the API see it move, and the
    import's connection issues no extra statement. The import never updates the job row inside
    its transaction, so the two connections never wait on each other (a SeatEvent pointing at
    the job takes only a key-share lock, which an update of other columns does not conflict
    with); a lock timeout guards against the unforeseen. Elsewhere (SQLite, or when the caller
    already holds a transaction) the row is updated once, at the end."""

    def __init__(self, job: Job | None, *, every: float = 1.0):
        self.job = job
        self.every = every
        self._last = 0.0
        self._side = None
        self.enabled = (
            job is not None
            and job.pk is not None
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        )

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self._side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET done = %s, total = %s WHERE id = %s",
                    [done, max(total, done), self.job.pk],
                )
        except DatabaseError:
            logger.warning("job %s: progress not shown", self.job.pk, exc_info=True)
            self.enabled = False

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
