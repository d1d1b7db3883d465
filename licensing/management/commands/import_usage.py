"""manage.py import_usage FILE [--contract NUMBER] [--dry-run]: the vendor's activity export.

Progress bar on stderr, report on stdout; exit status 0 when imported (or, with --dry-run,
importable), 1 when the file is rejected. Unknown e-mails are listed but do not reject it.
"""

from django.core.management.base import CommandError

from agencies.imports.command import ImportCommand
from licensing.models import Contract
from licensing.usage_import import UsageReport, usage_import

SHOWN = 50


class Command(ImportCommand):
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
        path = self._existing_file(file)
        chosen = None
        if contract:
            chosen = Contract.objects.filter(number=contract).first()
            if chosen is None:
                raise CommandError(f"There is no contract {contract!r}.")
        actor = self._user(options["user"])
        self._import(
            path,
            lambda progress: usage_import(
                file=path,
                filename=path.name,
                contract=chosen,
                actor=actor,
                dry_run=dry_run,
                progress=progress,
            ),
            show_progress=not options["no_progress"],
        )

    def _figures(self, report: UsageReport) -> None:
        out = self.stdout
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

    def _error_text(self, error: dict) -> str:
        where = f"line {error['line']}" if error["line"] else "file"
        column = f", {error['column']}" if error["column"] else ""
        return f"{where}{column}: {error['reason']}"
