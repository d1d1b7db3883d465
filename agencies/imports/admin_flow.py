"""The admin's roster import: upload, preview (a dry run), confirm, each run recorded on a job.

The uploaded bytes are kept in the database (`RosterUpload`) between the preview and the
confirmed import, so the Celery worker that runs either reads exactly what the person uploaded,
wherever it runs. Small files run in the request; larger ones are queued, and the job row shows
their progress. The confirmed import deletes the upload; uploads left by abandoned previews
are purged a day later.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from agencies.models import RosterUpload
from config.errors import BusinessRuleError
from core.choices import JobKind, JobStatus
from core.models import Job

from .roster import roster_import

INLINE_MAX_BYTES = 256 * 1024  # about 2,500 rows: previewed and imported within the request
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
UPLOADS_KEPT = dt.timedelta(days=1)


def roster_upload_start(*, content: bytes, filename: str, actor) -> Job:
    """Keep an uploaded roster and preview it (dry run): inline when small, queued otherwise.
    Returns the preview's job."""
    if not content:
        raise BusinessRuleError("empty_file", "The file is empty.")
    if len(content) > UPLOAD_MAX_BYTES:
        raise BusinessRuleError(
            "file_too_large",
            f"The file is {len(content) / 2**20:.0f} MiB; the admin takes up to "
            f"{UPLOAD_MAX_BYTES // 2**20} MiB (use `manage.py import_roster` for more).",
        )
    RosterUpload.objects.filter(created_at__lt=timezone.now() - UPLOADS_KEPT).delete()
    upload = RosterUpload.objects.create(
        filename=filename[:255], content=content, uploaded_by=actor
    )
    return _start(upload, actor=actor, dry_run=True)


def roster_upload_confirm(*, preview: Job, actor) -> Job:
    """Import for real the file a successful preview checked; returns the import's job."""
    upload_id = (preview.outcome or {}).get("upload")
    upload = RosterUpload.objects.filter(pk=upload_id).first() if upload_id else None
    if preview.kind != JobKind.ROSTER_IMPORT or not preview.dry_run:
        raise BusinessRuleError("not_a_preview", "Only a roster preview can be confirmed.")
    if preview.status != JobStatus.SUCCEEDED:
        raise BusinessRuleError(
            "preview_not_clean", "The preview has not finished, or it rejected the file."
        )
    started = Job.objects.filter(
        kind=JobKind.ROSTER_IMPORT, dry_run=False, outcome__upload=upload_id
    ).exclude(status=JobStatus.FAILED)
    if started.exists():
        raise BusinessRuleError(
            "already_imported", "This file has been imported (or is being imported) already."
        )
    if upload is None:
        raise BusinessRuleError(
            "upload_gone",
            "The uploaded file is no longer kept (imported or expired): upload it again.",
        )
    return _start(upload, actor=actor, dry_run=False)


def _start(upload: RosterUpload, *, actor, dry_run: bool) -> Job:
    from agencies.tasks import roster_import_task

    job = Job.objects.create(
        kind=JobKind.ROSTER_IMPORT,
        subject=upload.filename[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        dry_run=dry_run,
        outcome={"upload": upload.pk, "filename": upload.filename},
    )
    if len(upload.content) <= INLINE_MAX_BYTES:
        roster_upload_run(upload_id=upload.pk, job=job)
    else:
        transaction.on_commit(lambda: roster_import_task.delay(upload.pk, job.pk))
    return job


def roster_upload_run(*, upload_id: int, job: Job) -> int | None:
    """Run the job's import of the kept upload (what the task and the inline path call)."""
    upload = RosterUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return None
    report = roster_import(
        file=bytes(upload.content),
        filename=upload.filename,
        actor=job.requested_by,
        dry_run=job.dry_run,
        job=job,
    )
    if report.written:
        upload.delete()
    return job.pk
