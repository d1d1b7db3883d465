"""The roster import: HR's file of employees upserted by employee number, all or nothing.

One pass over the file, in one transaction, a constant amount of memory:

- the header is matched (`columns`), the agencies and bargaining units are read once (one query
  each), and rows are read in chunks of 1,000;
- each chunk's existing employees come in one query (by number, or by e-mail for clashes), each
  row is checked (`roster_rows`) and compared, and new and changed employees wait in two write
  buffers that are flushed 1,000 at a time with their history rows (simple_history's bulk
  helpers), so the statements are at most c + 3·⌈N/1000⌉ however new and changed rows mix;
- duplicates inside the file are caught by a fixed-size filter (`seen`) and, only when it has
  candidates, located by a second read of the file;
- employees whose row says `separated` lose their open seats through `seats_move_bulk`, each
  with a `SeatEvent` that names the import's job; an agency change touches no seat (a seat keeps
  the agency it is charged to, and its history);
- if any row is invalid, or this is a dry run, the transaction is rolled back: nothing is
  written, and the report (the same in both cases) says what would have happened and why not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from agencies.choices import EmploymentStatus
from agencies.models import Agency, BargainingUnit, Employee
from core.choices import JobKind
from core.models import Job
from notifications.services.gates import with_cohort_gates_watched

from .columns import find_header
from .reading import TabularFile
from .roster_rows import (
    COLUMNS,
    FIELD_COLUMN,
    FIELDS,
    Codes,
    RosterRow,
    key_fields,
    new_employee_defaults,
    parse_row,
)
from .run import ImportReport, ProgressCallback, import_in_job
from .seen import SeenKeys
from .separation import revoke_separated_seats
from .writes import insert_employees, insert_history, update_employees

BATCH_SIZE = 1000
_EXISTING = ("id", "employee_number", *FIELDS, "updated_at")
_LOCK_KEY = 0x5EA7_0001  # one roster import at a time (PostgreSQL advisory lock)


@dataclass(frozen=True)
class RosterError:
    """One reason a file or row was refused: `line` in the file (None for the file as a
    whole), the `column` concerned (None for the row as a whole), and the `reason`."""

    line: int | None
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        column = f", {self.column}" if self.column else ""
        return f"{where}{column}: {self.reason}"


@dataclass
class RosterReport(ImportReport[RosterError]):
    """What an import did (or, for a dry run or a rejected file, would have done)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    agency_changed: int = 0
    newly_separated: int = 0
    seats_revoked: int = 0

    def own_counts(self) -> dict[str, object]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "errors": len(self.errors),
            "agency_changed": self.agency_changed,
            "newly_separated": self.newly_separated,
            "seats_revoked": self.seats_revoked,
        }

    def error(self, line: int | None, column: str | None, reason: str) -> RosterError:
        return RosterError(line, column, reason)

    def error_dicts(self) -> list[dict]:
        return [e.as_dict() for e in self.errors]


def roster_import(
    *,
    file,
    filename: str,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    job: Job | None = None,
) -> RosterReport:
    """Import HR's roster (CSV or XLSX) into `Employee`, all or nothing, and return the report.

    `file` is a path, bytes or a seekable binary file (an upload). Rows are upserted by
    `employee_number`; a column the file lacks (other than the required employee number, e-mail,
    names and agency code) leaves that field as it is. Any invalid row rejects the whole file:
    nothing is written, and the report lists every bad row with its line, column and reason. A
    dry run does everything a real run does, then rolls back; its report is exactly what the
    real run would do. Every created or changed employee gets a history row naming `actor`, the
    file and the job; separated employees' open seats are revoked through the seat services.

    The progress and outcome are recorded on a `core.Job` of kind roster_import (created
    unless one is handed in); `progress(done, estimated_total)` is called after each chunk.
    Call it outside a transaction so the job row stays visible whatever the outcome."""
    report = RosterReport(filename=filename, dry_run=dry_run)

    def start(job: Job, tell: ProgressCallback) -> Callable[[], None]:
        source = TabularFile(file, filename)
        run = _RosterRun(source, report, actor=actor, job=job, progress=tell)
        return with_cohort_gates_watched(run.execute)  # training shares move: gates may pass

    def conflict(exc: IntegrityError) -> None:
        # Checked rows can still collide with a change committed by someone else meanwhile.
        report.errors.append(
            RosterError(None, None, f"The database refused the import ({exc}); run it again.")
        )
        report.written = False

    return import_in_job(
        report,
        kind=JobKind.ROSTER_IMPORT,
        actor=actor,
        job=job,
        progress=progress,
        start=start,
        on_conflict=conflict,
    )


class _RosterRun:
    """The state of one pass: lookup maps, write buffers and the duplicate filter."""

    def __init__(self, source: TabularFile, report: RosterReport, *, actor, job: Job, progress):
        self.source = source
        self.report = report
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.job = job
        self.progress = progress
        self.stamp = timezone.now()
        self.reason = f"roster import {report.filename} (job #{job.pk})"
        self.seen = SeenKeys()
        self.actor_id = self.actor.pk if self.actor else None
        self.creates: list[dict] = []
        self.updates: list[dict] = []
        self.update_fields: set[str] = set()
        # Keys waiting in a write buffer: another row with one of them is a duplicate.
        self.pending_numbers: dict[str, int] = {}
        self.pending_emails: dict[str, int] = {}
        # Addresses this import took from an employee: giving one to another is refused.
        self.released_emails: dict[str, str] = {}
        self.separated_ids: list[int] = []
        # (line, column, key, category): possible duplicates to confirm with a second read.
        self.candidates: list[tuple[int, str, str, str]] = []
        self.errors: dict[int, list[RosterError]] = {}
        self.suspected: dict[tuple[int, str], str] = {}

    # --- the pass -----------------------------------------------------------------------------

    def execute(self) -> None:
        rows = self.source.rows()
        self.header, skipped = find_header(rows, COLUMNS)
        if skipped:
            self.report.warnings.append(
                f"Skipped {skipped} row(s) above the header, which is on line {self.header.line}."
            )
        if self.header.unknown:
            self.report.warnings.append(
                "Ignored column(s) that are not part of the roster: "
                + ", ".join(self.header.unknown)
                + "."
            )
        kept = [c.name for c in COLUMNS if not c.required and not self.header.has(c.name)]
        if kept:
            self.report.warnings.append(
                f"No column {', '.join(kept)}: existing employees keep their values, new ones "
                "get the defaults."
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        self.codes = self._codes()
        estimate = self.source.layout.estimated_rows
        strict = self.source.layout.kind == "csv"
        chunk: list[RosterRow] = []
        for line, cells in rows:
            chunk.append(parse_row(line, cells, self.header, self.codes, strict_width=strict))
            if len(chunk) == BATCH_SIZE:
                self._chunk(chunk)
                self.progress(self.report.rows, estimate)
                chunk = []
        if chunk:
            self._chunk(chunk)
        self._flush_creates()
        self._flush_updates()
        if self.report.rows == 0:
            self.report.warnings.append("The file has a header but no employee rows.")
        if self.candidates:
            self._confirm_duplicates()
        self._finish_errors()
        if not self.report.rejected and self.separated_ids:
            self._revoke_seats()

    def _codes(self) -> Codes:
        agencies: dict[str, int] = {}
        inactive: set[str] = set()
        for code, pk, active in Agency.objects.values_list("code", "id", "is_active"):
            agencies[code.upper()] = pk
            if not active:
                inactive.add(code.upper())
        units = {code.upper(): pk for code, pk in BargainingUnit.objects.values_list("code", "id")}
        return Codes(agencies=agencies, inactive_agencies=frozenset(inactive), units=units)

    def _chunk(self, chunk: list[RosterRow]) -> None:
        numbers = {r.employee_number for r in chunk if r.employee_number}
        emails = {r.email for r in chunk if r.email}
        by_number: dict[str, tuple] = {}
        by_email: dict[str, tuple] = {}
        existing = (
            Employee.objects.alias(email_ci=Lower("email"))
            .filter(Q(employee_number__in=numbers) | Q(email_ci__in=emails))
            .values_list(*_EXISTING)
        )
        for row in existing:
            by_number[row[1]] = row
            by_email[row[2].lower()] = row
        for row in chunk:
            self._row(row, by_number, by_email)

    def _row(self, row: RosterRow, by_number: dict, by_email: dict) -> None:
        self.report.rows += 1
        line, number, email = row.line, row.employee_number, row.email
        category = "invalid" if row.errors else "pending"
        if number and self.seen.add("n\x00" + number):
            self.candidates.append((line, "employee_number", number, category))
        if email and self.seen.add("e\x00" + email):
            self.candidates.append((line, "email", email, category))
        if row.errors:
            for column, reason in row.errors:
                self._error(line, column, reason)
            return

        old = by_number.get(number)
        # Every row this import writes carries `updated_at = stamp`, to the microsecond: that
        # is how a row met again is known to have been written (or changed) by this very file.
        written_by_us = old is not None and old[-1] == self.stamp
        if number in self.pending_numbers or written_by_us:
            self._suspect(line, "employee_number", f"employee number '{number}' is repeated")
            return
        owner = by_email.get(email)
        if email in self.pending_emails or (
            owner is not None and owner[1] != number and owner[-1] == self.stamp
        ):
            self._suspect(line, "email", f"e-mail '{email}' is repeated")
            return
        if owner is not None and owner[1] != number:
            self._error(
                line,
                "email",
                f"e-mail '{email}' belongs to another employee, {owner[1]} ({owner[3]} {owner[4]})",
            )
            return
        if email in self.released_emails and self.released_emails[email] != number:
            self._error(
                line,
                "email",
                f"e-mail '{email}' belonged to employee {self.released_emails[email]} until this "
                "file changed it: moving an address between two people takes two imports",
            )
            return
        if row.values.get("agency_id") is not None:
            code = self._agency_code(row.values["agency_id"])
            if code in self.codes.inactive_agencies:
                self._warn_once(f"Agency {code} is marked inactive; its employees were imported.")

        if old is None:
            self._create(row)
        else:
            self._update(row, old)

    def _create(self, row: RosterRow) -> None:
        employee = {
            "employee_number": row.employee_number,
            **new_employee_defaults(),
            **row.values,
            "updated_at": self.stamp,
        }
        self.creates.append(employee)
        self.pending_numbers[row.employee_number] = row.line
        self.pending_emails[row.email] = row.line
        self.report.new += 1
        self._categorise(row.line, "new")
        if len(self.creates) >= BATCH_SIZE:
            self._flush_creates()

    def _update(self, row: RosterRow, old: tuple) -> None:
        stored = dict(zip(FIELDS, old[2:-1], strict=True))
        changed = [
            name
            for name in FIELDS
            if FIELD_COLUMN[name] in self.header.index and row.values[name] != stored[name]
        ]
        status = row.values.get("employment_status", stored["employment_status"])
        if status == EmploymentStatus.SEPARATED:
            self.separated_ids.append(old[0])
            if stored["employment_status"] != EmploymentStatus.SEPARATED:
                self.report.newly_separated += 1
        if not changed:
            self.report.unchanged += 1
            self._categorise(row.line, "unchanged")
            return
        if "agency_id" in changed:
            self.report.agency_changed += 1
        if "email" in changed:
            self.released_emails[stored["email"].lower()] = row.employee_number
        employee = {
            "id": old[0],
            "employee_number": row.employee_number,
            **stored,
            **{name: row.values[name] for name in changed},
            "updated_at": self.stamp,
        }
        self.updates.append(employee)
        self.update_fields.update(changed)
        self.pending_numbers[row.employee_number] = row.line
        self.pending_emails[row.email] = row.line
        self.report.updated += 1
        self._categorise(row.line, "updated")
        if len(self.updates) >= BATCH_SIZE:
            self._flush_updates()

    # --- writes -------------------------------------------------------------------------------

    def _flush_creates(self) -> None:
        if not self.creates:
            return
        insert_employees(self.creates)
        self._history(self.creates, "+")
        self._release(self.creates)
        self.creates = []

    def _flush_updates(self) -> None:
        if not self.updates:
            return
        update_employees(self.updates, [*sorted(self.update_fields), "updated_at"])
        self._history(self.updates, "~")
        self._release(self.updates)
        self.updates = []
        self.update_fields = set()

    def _history(self, employees: list[dict], history_type: str) -> None:
        insert_history(
            employees,
            history_type=history_type,
            user_id=self.actor_id,
            date=self.stamp,
            reason=self.reason,
        )

    def _release(self, employees: Iterable[dict]) -> None:
        for employee in employees:
            self.pending_numbers.pop(employee["employee_number"], None)
            self.pending_emails.pop(employee["email"], None)

    def _revoke_seats(self) -> None:
        self.report.seats_revoked = revoke_separated_seats(
            employee_ids=self.separated_ids,
            actor=self.actor,
            reason=f"Employee separated ({self.reason})",
            job=self.job,
        )

    # --- errors -------------------------------------------------------------------------------

    def _error(self, line: int, column: str | None, reason: str) -> None:
        self.errors.setdefault(line, []).append(RosterError(line, column, reason))

    def _suspect(self, line: int, column: str, fallback: str) -> None:
        """A row repeating a key of an earlier row (found in a buffer or among this import's
        writes): an error for sure, worded once the second read has found the earlier line."""
        self.suspected[(line, column)] = fallback
        self._error(line, column, fallback)

    def _categorise(self, line: int, category: str) -> None:
        # Rows that are only candidates remember how they were counted, in case they turn out
        # to be duplicates after all.
        if self.candidates and self.candidates[-1][0] == line:
            for i in range(len(self.candidates) - 1, -1, -1):
                c_line, column, key, current = self.candidates[i]
                if c_line != line:
                    break
                if current == "pending":
                    self.candidates[i] = (c_line, column, key, category)

    def _agency_code(self, agency_id: int) -> str:
        if not hasattr(self, "_code_by_id"):
            self._code_by_id = {pk: code for code, pk in self.codes.agencies.items()}
        return self._code_by_id[agency_id]

    def _warn_once(self, message: str) -> None:
        if message not in self.report.warnings:
            self.report.warnings.append(message)

    def _confirm_duplicates(self) -> None:
        """Read the file again, looking only at the candidate keys, to tell true duplicates from
        the filter's rare false alarms and to name the line each one repeats."""
        wanted = {(column, key) for _, column, key, _ in self.candidates}
        lines: dict[tuple[str, str], list[int]] = {}
        for line, cells in self.source.rows():
            if line <= self.header.line:
                continue
            number, email = key_fields(cells, self.header)
            for column, key in (("employee_number", number), ("email", email)):
                if key and (column, key) in wanted:
                    lines.setdefault((column, key), []).append(line)
        uncounted: set[int] = set()
        for line, column, key, category in self.candidates:
            found = lines.get((column, key), [line])
            first = found[0]
            if first == line:
                continue  # the filter's false alarm, or the first of its key
            label = "employee number" if column == "employee_number" else "e-mail"
            reason = f"duplicate {label} '{key}' in the file: also on line {first}"
            self._replace(line, column, reason)
            if line not in uncounted:  # a row repeating both keys was counted once
                uncounted.add(line)
                self._uncount(category)
        for (line, column), fallback in self.suspected.items():
            found = lines.get((column, self._key_on(line, column)), [])
            if len(found) < 2:
                self._replace(
                    line,
                    column,
                    f"{fallback}, but only once in the file: the employee was changed by someone "
                    "else during the import; run it again",
                )

    def _key_on(self, line: int, column: str) -> str:
        for c_line, c_column, key, _ in self.candidates:
            if c_line == line and c_column == column:
                return key
        return ""

    def _replace(self, line: int, column: str, reason: str) -> None:
        errors = [e for e in self.errors.get(line, []) if e.column != column]
        errors.append(RosterError(line, column, reason))
        self.errors[line] = errors

    def _uncount(self, category: str) -> None:
        if category in ("new", "updated", "unchanged"):
            setattr(self.report, category, getattr(self.report, category) - 1)

    def _finish_errors(self) -> None:
        self.report.invalid = len(self.errors)
        self.report.errors = [e for line in sorted(self.errors) for e in self.errors[line]]
