"""One run of a file import, shared by the roster import and the usage import
(`licensing.usage_import`): the report each returns, and the job row and the transaction around
the run that make it all or nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db import IntegrityError, transaction

from core.models import Job

from .jobs import JobProgress, job_begin, job_end
from .reading import FileRejected

ProgressCallback = Callable[[int, int], None]
E = TypeVar("E")
R = TypeVar("R", bound="ImportReport")


@dataclass
class ImportReport(Generic[E]):
    """What every import reports, whatever it imports. An import adds its own figures as fields
    and lists them, in the order its readers expect, in `own_counts`; an error `E` is its own
    class or a plain dict (`error`, `error_dicts`)."""

    filename: str
    dry_run: bool
    job_id: int | None = None
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[E] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def counts(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "rejected": self.rejected,
            "written": self.written,
            "rows": self.rows,
            **self.own_counts(),
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }

    def own_counts(self) -> dict[str, object]:
        raise NotImplementedError

    def error(self, line: int | None, column: str | None, reason: str) -> E:
        return {"line": line, "column": column, "reason": reason}

    def error_dicts(self) -> list[dict]:
        return self.errors


class _Rollback(Exception):
    """Leaves the import's atomic block without committing."""


def import_in_job(
    report: R,
    *,
    kind: str,
    actor,
    job: Job | None,
    progress: ProgressCallback | None,
    start: Callable[[Job, ProgressCallback], Callable[[], None]],
    on_conflict: Callable[[IntegrityError], None] | None = None,
) -> R:
    """Run an import in one transaction, recorded on a `core.Job` of `kind` (created unless
    one is handed in), and return its `report` filled in.

    `start(job, progress)` is called before the transaction and returns the pass over the file,
    which runs inside it. A rejected report or a dry run rolls the transaction back; a
    `FileRejected` from either becomes the report's only error. An `IntegrityError` goes to
    `on_conflict` when there is one, otherwise it fails the job like any other exception, which
    is recorded on the job, with the time it ran, and raised again.

    `progress(done, estimated_total)` is called after each chunk, and once at the end. Call it
    outside a transaction so the job row stays visible whatever the outcome."""
    started = time.perf_counter()
    job = job_begin(
        kind=kind, subject=report.filename, actor=actor, dry_run=report.dry_run, job=job
    )
    report.job_id = job.pk
    side_progress = JobProgress(job)

    def tell(done: int, total: int) -> None:
        side_progress(done, total)
        if progress is not None:
            progress(done, total)

    try:
        try:
            execute = start(job, tell)
            with transaction.atomic():
                execute()
                if report.rejected or report.dry_run:
                    raise _Rollback
                report.written = True
        except _Rollback:
            pass
        except FileRejected as exc:
            report.errors = [report.error(exc.line, exc.column, exc.reason)]
        except IntegrityError as exc:
            if on_conflict is None:
                raise
            on_conflict(exc)
    except Exception as exc:
        report.seconds = time.perf_counter() - started
        job_end(
            job,
            ok=False,
            done=report.rows,
            outcome=report.counts(),
            errors=[{"line": None, "column": None, "reason": repr(exc)}],
        )
        raise
    finally:
        side_progress.close()
    report.seconds = time.perf_counter() - started
    job_end(
        job,
        ok=not report.rejected,
        done=report.rows,
        outcome=report.counts(),
        errors=report.error_dicts(),
    )
    if progress is not None:
        progress(report.rows, report.rows)
    return report
