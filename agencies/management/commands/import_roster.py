"""manage.py import_roster FILE [--dry-run]: HR's roster, all or nothing, with a progress bar.

The progress bar goes to stderr and the report to stdout, so `> report.txt` keeps the report.
Exit status 0 when the file was imported (or, with --dry-run, would be), 1 when it is rejected.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from agencies.imports import RosterReport, roster_import


class Command(BaseCommand):
    help = (
        "Import HR's roster (CSV in UTF-8 or Windows-1252, or XLSX) into the employees, all or "
        "nothing: any invalid row rejects the whole file and every bad row is listed with its "
        "line, column and reason (see docs/imports.md). --dry-run shows what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the roster (.csv or .xlsx).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Username recorded as the person who imported (history and seat events).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (e.g. under cron)."
        )

    def handle(self, *args, file: str, dry_run: bool, user: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"There is no user {user!r}.")
        bars: list[tqdm] = []

        def progress(done: int, total: int) -> None:
            if options["no_progress"]:
                return
            if not bars:
                bars.append(tqdm(total=total, unit=" rows", desc=path.name, file=sys.stderr))
            bar = bars[0]
            if total > bar.total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            report = roster_import(
                file=path, filename=path.name, actor=actor, dry_run=dry_run, progress=progress
            )
        finally:
            for bar in bars:
                bar.close()
        self._report(report)
        if report.rejected:
            sys.exit(1)

    def _report(self, report: RosterReport) -> None:
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
        out.write(f"  rows:          {report.rows:,}")
        out.write(f"  new:           {report.new:,}")
        out.write(f"  updated:       {report.updated:,}")
        out.write(f"  unchanged:     {report.unchanged:,}")
        out.write(f"  invalid:       {report.invalid:,}")
        if report.agency_changed:
            out.write(f"  agency moved:  {report.agency_changed:,} (seats and history kept)")
        if report.newly_separated or report.seats_revoked:
            verb = "revoked" if report.written else "to revoke"
            out.write(
                f"  separated:     {report.newly_separated:,} newly; "
                f"{report.seats_revoked:,} open seat(s) {verb}"
            )
        out.write(f"  time:          {report.seconds:.1f}s")
        for warning in report.warnings:
            out.write(self.style.WARNING(f"Warning: {warning}"))
        if report.errors:
            out.write(f"Errors ({len(report.errors):,}):")
            for error in report.errors:
                out.write(f"  {error}")
