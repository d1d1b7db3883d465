"""manage.py import_usage FILE [--contract NUMBER] [--dry-run]: the vendor's activity export.

Progress bar on stderr, report on stdout; exit status 0 when imported (or, with --dry-run,
importable), 1 when the file is rejected. Unknown e-mails are listed but do not reject it.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from licensing.models import Contract
from licensing.usage_import import UsageReport, usage_import

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import the vendor's activity export (email, date, messages; other columns ignored) "
        "into usage days and seats' last activity. Re-importing the same file changes nothing; "
        "e-mails that match no employee are reported, not fatal (see docs/imports.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the activity file (.csv or .xlsx).")
        parser.add_argument(
            "--contract", help="Contract number (default: the one active contract)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument("--user", help="Username recorded on the job row.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, file: str, contract: str | None, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        chosen = None
        if contract:
            chosen = Contract.objects.filter(number=contract).first()
            if chosen is None:
                raise CommandError(f"There is no contract {contract!r}.")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['user']!r}.")
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
            report = usage_import(
                file=path,
                filename=path.name,
                contract=chosen,
                actor=actor,
                dry_run=dry_run,
                progress=progress,
            )
        finally:
            for bar in bars:
                bar.close()
        self._report(report)
        if report.rejected:
            sys.exit(1)

    def _report(self, report: UsageReport) -> None:
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
        out.write(f"  rows:               {report.rows:,}")
        out.write(f"  usage days new:     {report.new:,}")
        out.write(f"  usage days changed: {report.changed:,}")
        out.write(f"  unchanged:          {report.unchanged:,}")
        out.write(f"  days with no message (skipped): {report.zero_days:,}")
        out.write(f"  seats with usage:   {report.seats_touched:,}")
        out.write(f"  last activity moved forward: {report.last_active_moved:,}")
        out.write(
            f"  unknown e-mails:    {len(report.unknown_emails):,} "
            f"({report.unknown_rows:,} rows skipped)"
        )
        for email in sorted(report.unknown_emails)[:SHOWN]:
            out.write(f"    {email} ({report.unknown_emails[email]} rows)")
        if len(report.unknown_emails) > SHOWN:
            out.write(f"    … and {len(report.unknown_emails) - SHOWN:,} more")
        if report.no_seat_emails:
            out.write(
                f"  no seat that day:   {len(report.no_seat_emails):,} "
                f"({report.no_seat_rows:,} rows skipped)"
            )
            for email in sorted(report.no_seat_emails)[:SHOWN]:
                out.write(f"    {email}")
        out.write(f"  time:               {report.seconds:.1f}s")
        for warning in report.warnings:
            out.write(self.style.WARNING(f"Warning: {warning}"))
        if report.errors:
            out.write(f"Errors ({len(report.errors):,}):")
            for error in report.errors:
                where = f"line {error['line']}" if error["line"] else "file"
                column = f", {error['column']}" if error["column"] else ""
                out.write(f"  {where}{column}: {error['reason']}")
