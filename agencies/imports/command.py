"""What the import commands (`import_roster`, `import_usage`) share: the progress bar goes to
stderr and the report to stdout, so `> report.txt` keeps the report, and the exit status is 1
when the file is rejected, so cron and scripts can tell."""

import sys
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from .run import ImportReport, ProgressCallback


class ImportCommand(BaseCommand):
    """A command that imports one file and reports on it. Each import writes its own figures
    (`_figures`) between the shared first line and the warnings and errors."""

    def _existing_file(self, file: str) -> Path:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        return path

    def _user(self, username: str | None):
        if not username:
            return None
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"There is no user {username!r}.")
        return actor

    def _import(
        self,
        path: Path,
        run: Callable[[ProgressCallback], ImportReport],
        *,
        show_progress: bool,
    ) -> None:
        """Call `run(progress)`, report, and exit with status 1 if the file was rejected."""
        bars: list[tqdm] = []

        def progress(done: int, total: int) -> None:
            if not show_progress:
                return
            if not bars:
                bars.append(tqdm(total=total, unit=" rows", desc=path.name, file=sys.stderr))
            bar = bars[0]
            if total > bar.total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            report = run(progress)
        finally:
            for bar in bars:
                bar.close()
        self._report(report)
        if report.rejected:
            sys.exit(1)

    def _report(self, report: ImportReport) -> None:
        out = self.stdout
        if report.rejected:
            out.write(
                self.style.ERROR(
                    f"Rejected: {report.filename} (job #{report.job_id}); nothing was written."
                )
            )
        elif report.dry_run:
            out.write(f"Dry run of {report.filename} (job #{report.job_id}): nothing was written.")
        else:
            out.write(self.style.SUCCESS(f"Imported {report.filename} (job #{report.job_id})."))
        self._figures(report)
        for warning in report.warnings:
            out.write(self.style.WARNING(f"Warning: {warning}"))
        if report.errors:
            out.write(f"Errors ({len(report.errors):,}):")
            for error in report.errors:
                out.write(f"  {self._error_text(error)}")

    def _figures(self, report: ImportReport) -> None:
        raise NotImplementedError

    def _error_text(self, error) -> str:
        return str(error)
