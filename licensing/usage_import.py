"""The usage import: the vendor's activity export → `UsageDay` rows and `Seat.last_active_at`.

The file (CSV or XLSX, read like the roster: `agencies.imports.reading`) needs a user's e-mail,
a day and a message count; vendors name them differently, so common aliases are accepted
("user email", "day", "activity date", "messages sent", …, and ChatGPT Enterprise's
`last_day_active_in_period` when no plainer date column is present). Other columns are ignored.

Each (user, day) becomes the `UsageDay` of the seat that user held under the contract that day,
upserted on (seat, date) with the file's count, so importing the same file again changes
nothing; a day with no message is not a usage day and is skipped. Each seat's `last_active_at`
moves forward to the last day seen (never back). E-mails that match no employee, or an employee
without a seat under the contract, are reported, not fatal. A malformed row (bad date, bad count,
no e-mail) rejects the whole file: nothing is written. Work is done in chunks of 1,000 rows: one
query for the chunk's seats, one for their existing usage days, one upsert.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.functions import Lower

from agencies.imports import values
from agencies.imports.columns import Column, find_header
from agencies.imports.reading import FileRejected, TabularFile
from agencies.imports.run import ImportReport, ProgressCallback, import_in_job
from agencies.imports.seen import SeenKeys
from core.choices import JobKind
from core.models import Job

from .choices import SeatStatus
from .models import Contract, Seat, UsageDay
from .services.scheduling import cost_recompute_request

BATCH_SIZE = 1000
UNKNOWN_LISTED = 200  # unknown e-mails named in the report; the rest are counted

# Aliases in order of preference: when a file has several date-like columns, the first wins.
COLUMNS = (
    Column(
        "email",
        aliases=("user_email", "email_address", "e_mail", "user_e_mail", "user", "user_id_email"),
    ),
    Column(
        "date",
        aliases=(
            "day",
            "activity_date",
            "usage_date",
            "active_date",
            "date_active",
            "last_day_active_in_period",
            "period_start",
        ),
    ),
    Column(
        "messages",
        aliases=(
            "messages_sent",
            "message_count",
            "messages_count",
            "num_messages",
            "total_messages",
            "messages_total",
        ),
    ),
)


@dataclass
class UsageReport(ImportReport[dict]):
    """What a usage import did (or, for a dry run or a rejected file, would have done)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    zero_days: int = 0
    repeated: int = 0
    unknown_rows: int = 0
    unknown_emails: Counter[str] = field(default_factory=Counter)
    no_seat_rows: int = 0
    no_seat_emails: Counter[str] = field(default_factory=Counter)
    seats_touched: int = 0
    last_active_moved: int = 0

    def own_counts(self) -> dict[str, object]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "zero_days": self.zero_days,
            "repeated": self.repeated,
            "unknown_rows": self.unknown_rows,
            "unknown_emails": len(self.unknown_emails),
            "unknown_emails_listed": sorted(self.unknown_emails)[:UNKNOWN_LISTED],
            "no_seat_rows": self.no_seat_rows,
            "no_seat_emails": sorted(self.no_seat_emails)[:UNKNOWN_LISTED],
            "seats_touched": self.seats_touched,
            "last_active_moved": self.last_active_moved,
            "errors": len(self.errors),
        }


def usage_import(
    *,
    file,
    filename: str,
    contract: Contract | None = None,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    job: Job | None = None,
) -> UsageReport:
    """Import the vendor's activity file for `contract` (default: the one active contract) in
    one transaction, and return the report; the run is recorded on a `core.Job` of kind
    usage_import. See the module docstring for the rules."""
    report = UsageReport(filename=filename, dry_run=dry_run)

    def start(job: Job, tell: ProgressCallback) -> Callable[[], None]:
        chosen = contract or _only_active_contract()
        return _UsageRun(TabularFile(file, filename), report, chosen, tell).execute

    return import_in_job(
        report, kind=JobKind.USAGE_IMPORT, actor=actor, job=job, progress=progress, start=start
    )


def _only_active_contract() -> Contract:
    contracts = list(Contract.objects.filter(is_active=True)[:2])
    if len(contracts) != 1:
        raise FileRejected(
            "There is no active contract to import usage for."
            if not contracts
            else "More than one contract is active: say which one the usage is for."
        )
    return contracts[0]


def _day_end(day: dt.date) -> dt.datetime:
    """The last moment of a local calendar day: when all we know is that someone was active
    that day, the end of it is the latest they can have been."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day, dt.time.max, tzinfo=tz)


class _UsageRun:
    def __init__(self, source: TabularFile, report: UsageReport, contract: Contract, progress):
        self.source = source
        self.report = report
        self.contract = contract
        self.progress = progress
        self.seen = SeenKeys()
        self.last_day: dict[int, dt.date] = {}

    def execute(self) -> None:
        rows = self.source.rows()
        self.header, _skipped = find_header(rows, COLUMNS, first_alias_wins=True)
        if self.header.unknown:
            self.report.warnings.append(
                f"Ignored {len(self.header.unknown)} other column(s): "
                + ", ".join(self.header.unknown[:20])
                + ("…" if len(self.header.unknown) > 20 else "")
            )
        estimate = self.source.layout.estimated_rows
        chunk: list[tuple[int, str, dt.date, int]] = []
        for line, cells in rows:
            self.report.rows += 1
            parsed = self._parse(line, cells)
            if parsed is not None:
                chunk.append(parsed)
            if len(chunk) == BATCH_SIZE:
                self._chunk(chunk)
                self.progress(self.report.rows, estimate)
                chunk = []
        if chunk:
            self._chunk(chunk)
        if self.report.rejected:
            return
        self._move_last_active()
        if self.report.new or self.report.changed:
            # On the engaged basis a usage day is what makes a person billable (cost rule 11);
            # asked on commit, so a dry run (rolled back) asks for nothing.
            cost_recompute_request(contract_id=self.contract.pk)
        if self.report.unknown_emails:
            shown = sorted(self.report.unknown_emails)[:10]
            self.report.warnings.append(
                f"{len(self.report.unknown_emails):,} e-mail(s) match no employee "
                f"({self.report.unknown_rows:,} rows skipped): {', '.join(shown)}"
                + ("…" if len(self.report.unknown_emails) > 10 else "")
            )
        if self.report.no_seat_emails:
            shown = sorted(self.report.no_seat_emails)[:10]
            self.report.warnings.append(
                f"{len(self.report.no_seat_emails):,} employee(s) have no seat under "
                f"{self.contract.number} on the day of their usage ({self.report.no_seat_rows:,} "
                f"rows skipped): {', '.join(shown)}"
                + ("…" if len(self.report.no_seat_emails) > 10 else "")
            )
        if self.report.repeated:
            self.report.warnings.append(
                f"{self.report.repeated:,} (user, day) pair(s) appear more than once; the last "
                "row of each counts."
            )

    def _parse(self, line: int, cells: list):
        def cell(name):
            position = self.header.index[name]
            return cells[position] if position < len(cells) else None

        problems = []
        try:
            email = values.email(cell("email"))
            if not email:
                problems.append(("email", "missing required value"))
        except values.BadValue as exc:
            problems.append(("email", str(exc)))
        try:
            day = values.date(cell("date"))
            if day is None:
                problems.append(("date", "missing required value"))
        except values.BadValue as exc:
            problems.append(("date", str(exc)))
        try:
            messages = values.count(cell("messages"))
        except values.BadValue as exc:
            problems.append(("messages", str(exc)))
        if problems:
            self.report.errors.extend(
                {"line": line, "column": column, "reason": reason} for column, reason in problems
            )
            return None
        if messages == 0:
            self.report.zero_days += 1
            return None
        return line, email, day, messages

    def _chunk(self, chunk: list[tuple[int, str, dt.date, int]]) -> None:
        if self.report.rejected:
            return  # the file is refused already: only keep checking the rows
        emails = {email for _, email, _, _ in chunk}
        seats: dict[str, list[tuple]] = {}
        known: set[str] = set()
        rows = (
            Seat.objects.filter(contract=self.contract)
            .alias(email_ci=Lower("employee__email"))
            .filter(email_ci__in=emails)
            .values_list("id", "employee__email", "status", "created_at", "ended_at")
            .order_by("created_at", "id")
        )
        for seat_id, email, status, created, ended in rows:
            seats.setdefault(email.lower(), []).append((seat_id, status, created, ended))
        missing = emails - seats.keys()
        if missing:
            from agencies.models import Employee

            known = set(
                Employee.objects.annotate(email_ci=Lower("email"))
                .filter(email_ci__in=missing)
                .values_list("email_ci", flat=True)
            )
        wanted: dict[tuple[int, dt.date], int] = {}
        for _line, email, day, messages in chunk:
            if email not in seats:
                if email in known:
                    self.report.no_seat_rows += 1
                    self.report.no_seat_emails[email] += 1
                else:
                    self.report.unknown_rows += 1
                    self.report.unknown_emails[email] += 1
                continue
            seat_id = self._seat_on(seats[email], day)
            if seat_id is None:
                self.report.no_seat_rows += 1
                self.report.no_seat_emails[email] += 1
                continue
            if self.seen.add(f"{seat_id}\x00{day.isoformat()}"):
                self.report.repeated += 1
            wanted[(seat_id, day)] = messages
            if day > self.last_day.get(seat_id, dt.date.min):
                self.last_day[seat_id] = day
        if not wanted:
            return
        existing = {
            (seat_id, day): messages
            for seat_id, day, messages in UsageDay.objects.filter(
                seat_id__in={s for s, _ in wanted}, date__in={d for _, d in wanted}
            ).values_list("seat_id", "date", "messages")
        }
        writes = []
        for (seat_id, day), messages in wanted.items():
            before = existing.get((seat_id, day))
            if before == messages:
                self.report.unchanged += 1
                continue
            if before is None:
                self.report.new += 1
            else:
                self.report.changed += 1
            writes.append(UsageDay(seat_id=seat_id, date=day, messages=messages))
        if writes:
            UsageDay.objects.bulk_create(
                writes,
                batch_size=BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["seat", "date"],
                update_fields=["messages"],
            )

    @staticmethod
    def _seat_on(candidates: list[tuple], day: dt.date):
        """The seat the user held on `day`: the latest one created by the end of that day and
        not ended before it; failing that, the user's open seat (usage reported before the
        seat's own record began, e.g. an invite accepted early)."""
        end = _day_end(day)
        start = end - dt.timedelta(days=1)
        held = [
            seat_id
            for seat_id, _status, created, ended in candidates
            if created <= end and (ended is None or ended > start)
        ]
        if held:
            return held[-1]
        open_seats = [s for s, status, _c, _e in candidates if status != SeatStatus.REVOKED]
        return open_seats[-1] if open_seats else None

    def _move_last_active(self) -> None:
        ids = sorted(self.last_day)
        self.report.seats_touched = len(ids)
        for start in range(0, len(ids), BATCH_SIZE):
            batch = Seat.objects.filter(id__in=ids[start : start + BATCH_SIZE]).only(
                "id", "last_active_at"
            )
            moved = []
            for seat in batch:
                latest = _day_end(self.last_day[seat.pk])
                if seat.last_active_at is None or seat.last_active_at < latest:
                    seat.last_active_at = latest
                    moved.append(seat)
            if moved:
                Seat.objects.bulk_update(moved, ["last_active_at"], batch_size=BATCH_SIZE)
            self.report.last_active_moved += len(moved)
