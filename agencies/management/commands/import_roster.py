"""manage.py import_roster FILE [--dry-run]: HR's roster, all or nothing, with a progress bar.

The progress bar goes to stderr and the report to stdout, so `> report.txt` keeps the report.
Exit status 0 when the file was imported (or, with --dry-run, would be), 1 when it is rejected.
"""

from agencies.imports import RosterReport, roster_import
from agencies.imports.command import ImportCommand


class Command(ImportCommand):
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
        path = self._existing_file(file)
        actor = self._user(user)
        self._import(
            path,
            lambda progress: roster_import(
                file=path, filename=path.name, actor=actor, dry_run=dry_run, progress=progress
            ),
            show_progress=not options["no_progress"],
        )

    def _figures(self, report: RosterReport) -> None:
        out = self.stdout
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
