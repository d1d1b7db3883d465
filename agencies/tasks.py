"""Celery tasks of the agencies app: the import of a file uploaded through a page (a roster, a
usage export). Thin and safe to run twice: a redelivered import finds every row unchanged (the
file's upload is deleted once it has been imported, so a late duplicate does nothing at all)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.models import Job

from .imports.uploads import import_upload_run

# 40,000 rows import in well under a minute; the limits leave room for a loaded database and
# stay under the broker's visibility timeout, so a running import is not delivered twice.
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


@shared_task(**_LIMITS)
def import_upload_task(upload_id: int, job_id: int) -> int | None:
    """Run the import (or its dry run, as the job row says) of an uploaded file; returns the
    job's id, or None when the upload or the job is gone (already imported, or purged)."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return None
    return import_upload_run(upload_id=upload_id, job=job)
