"""An import file uploaded through a page: kept, previewed (a dry run), then imported when the
person confirms the preview. One flow for the admin's roster import and the console's roster and
usage uploads.

The uploaded bytes are kept in the database (`ImportUpload`) between the preview and the
confirmed import, so the Celery worker that runs either reads exactly what the person uploaded,
wherever it runs, and the confirmation imports the very file the preview checked without asking
for it again. Small files run in the request; larger ones are queued on the `bulk` queue, and
the job row shows their progress. The import is the one each command runs (`roster_import`,
`usage_import`), recorded on its `core.Job`; the preview and the import are two jobs that name
the same upload. The confirmed import deletes the upload; uploads left by abandoned previews are
purged a day later.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.db import transaction
from django.utils import timezone

from agencies.models import ImportUpload
from config.errors import BusinessRuleError
from core.choices import JobKind, JobStatus
from core.models import Job
from licensing.exports import escape_cell
from licensing.models import Contract
from licensing.usage_import import usage_import

from .roster import roster_import

INLINE_MAX_BYTES = 256 * 1024  # about 2,500 roster rows: previewed and imported in the request
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
UPLOADS_KEPT = dt.timedelta(days=1)
# What a page may upload, and the command that imports more than a page takes.
UPLOAD_KINDS = {
    JobKind.ROSTER_IMPORT: "manage.py import_roster",
    JobKind.USAGE_IMPORT: "manage.py import_usage",
}


def import_upload_start(
    *, kind: str, content: bytes, filename: str, actor, contract_id: int | None = None
) -> Job:
    """Keep an uploaded file and preview its import (a dry run): inline when small, queued
    otherwise. `kind` is the job kind (roster or usage import); `contract_id` is the contract
    a usage file is for (default: the one active contract). Returns the preview's job."""
    if kind not in UPLOAD_KINDS:
        raise BusinessRuleError("invalid_kind", f"'{kind}' is not an import that takes uploads.")
    if not content:
        raise BusinessRuleError("empty_file", "The file is empty.")
    if len(content) > UPLOAD_MAX_BYTES:
        raise BusinessRuleError(
            "file_too_large",
            f"The file is {len(content) / 2**20:.0f} MiB; uploads take up to "
            f"{UPLOAD_MAX_BYTES // 2**20} MiB (use `{UPLOAD_KINDS[kind]}` for more).",
        )
    ImportUpload.objects.filter(created_at__lt=timezone.now() - UPLOADS_KEPT).delete()
    upload = ImportUpload.objects.create(
        filename=filename[:255], content=content, uploaded_by=_person(actor)
    )
    return _start(upload, kind=kind, actor=actor, dry_run=True, contract_id=contract_id)


def import_upload_confirm(*, preview: Job, actor) -> Job:
    """Import for real the file a successful preview checked; returns the import's job."""
    refusal = import_upload_refusal(preview)
    if refusal is not None:
        raise refusal
    upload = ImportUpload.objects.get(pk=preview.outcome["upload"])
    return _start(
        upload,
        kind=preview.kind,
        actor=actor,
        dry_run=False,
        contract_id=preview.outcome.get("contract"),
    )


def import_upload_refusal(preview: Job) -> BusinessRuleError | None:
    """Why this preview cannot be confirmed (the refusal `import_upload_confirm` raises), or
    None when it can: pages ask it to decide whether to offer the confirm button."""
    outcome = preview.outcome or {}
    upload_id = outcome.get("upload")
    if preview.kind not in UPLOAD_KINDS or not preview.dry_run or not upload_id:
        return BusinessRuleError(
            "not_a_preview", "Only the preview of an uploaded file is confirmed."
        )
    if preview.status != JobStatus.SUCCEEDED:
        return BusinessRuleError(
            "preview_not_clean", "The preview has not finished, or it rejected the file."
        )
    started = Job.objects.filter(kind=preview.kind, dry_run=False, outcome__upload=upload_id)
    if started.exclude(status=JobStatus.FAILED).exists():
        return BusinessRuleError(
            "already_imported", "This file has been imported (or is being imported) already."
        )
    if not ImportUpload.objects.filter(pk=upload_id).exists():
        return BusinessRuleError(
            "upload_gone",
            "The uploaded file is no longer kept (imported or expired): upload it again.",
        )
    return None


def import_upload_imported(preview: Job) -> Job | None:
    """The import that followed this preview (the latest, when a failed one was retried)."""
    upload_id = (preview.outcome or {}).get("upload")
    if not preview.dry_run or not upload_id:
        return None
    return (
        Job.objects.filter(kind=preview.kind, dry_run=False, outcome__upload=upload_id)
        .order_by("-created_at", "-id")
        .first()
    )


def _person(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _start(
    upload: ImportUpload, *, kind: str, actor, dry_run: bool, contract_id: int | None
) -> Job:
    from agencies.tasks import import_upload_task

    outcome = {"upload": upload.pk, "filename": upload.filename}
    if contract_id is not None:
        outcome["contract"] = contract_id
    job = Job.objects.create(
        kind=kind,
        subject=upload.filename[:200],
        requested_by=_person(actor),
        dry_run=dry_run,
        outcome=outcome,
    )
    if len(upload.content) <= INLINE_MAX_BYTES:
        import_upload_run(upload_id=upload.pk, job=job)
    else:
        transaction.on_commit(lambda: import_upload_task.delay(upload.pk, job.pk))
    return job


def import_upload_run(*, upload_id: int, job: Job) -> int | None:
    """Run the job's import (or its dry run, as the job row says) of the kept upload: what the
    task and the inline path call. None when the upload is gone (imported, or purged)."""
    upload = ImportUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return None
    arguments = {
        "file": bytes(upload.content),
        "filename": upload.filename,
        "actor": job.requested_by,
        "dry_run": job.dry_run,
        "job": job,
    }
    if job.kind == JobKind.USAGE_IMPORT:
        contract_id = (job.outcome or {}).get("contract")
        contract = Contract.objects.get(pk=contract_id) if contract_id else None
        report = usage_import(contract=contract, **arguments)
    else:
        report = roster_import(**arguments)
    if report.written:
        upload.delete()
    return job.pk


def import_errors_csv(job: Job) -> bytes:
    """The errors kept on an import's job (the first 1,000) as a CSV file: line, column,
    reason; UTF-8 with a byte-order mark, cells escaped like every export."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", "column", "reason"])
    for error in job.errors:
        writer.writerow(
            [
                escape_cell(str(error.get(k) if error.get(k) is not None else ""))
                for k in ("line", "column", "reason")
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()
