"""Exports for people who work in spreadsheets: employees, seats, seat events, billing lines and
the chargeback by agency, as CSV or XLSX, safe to open and recorded.

- Every text cell that a spreadsheet would run as a formula (one beginning with `=`, `+`, `-`,
  `@`, a tab or a carriage return) is written with a leading apostrophe, so it shows as text;
  the roster and usage imports take that apostrophe off again, so an export imports back
  unchanged (docs/imports.md).
- Every export is recorded as a `core.Job` of kind `export`: who, what (kind, format,
  filters, the agencies in scope), when, and how many rows.
- `agency_ids` limits the rows to some agencies (an agency coordinator's scope); None is all.
  A scoped export also leaves out the columns that are contract-wide figures
  (`ExportKind.contract_wide`: the chargeback's period totals), which the same caller may not
  read through the API (`GET /api/v1/contracts/{id}/cost/` answers them 403): a coordinator's
  file holds their agencies' rows and their agencies' figures, nothing of the whole contract.
- The employees export has exactly the roster's columns, so it is a valid roster file.

CSV is UTF-8 with a byte-order mark (so Excel reads the accents) and CRLF line ends; XLSX is
written with openpyxl in write-only mode. Rows are read from the database in chunks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import Employee
from core.choices import JobKind, JobStatus
from core.models import Job

from . import pricing
from .models import BillingPeriod, Contract, Seat, SeatEvent
from .selectors import contract_cost_inputs, day_start

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000


def escape_cell(value):
    """A value as a spreadsheet must store it: text that would start a formula gets a leading
    apostrophe; everything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportFilters:
    """Cleaned filters (the API validates them): all optional."""

    contract: Contract | None = None
    agency_code: str | None = None
    status: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    as_of: dt.date | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.contract is not None:
            out["contract"] = self.contract.number
        for name in ("agency_code", "status"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("since", "until", "as_of"):
            if getattr(self, name):
                out[name] = getattr(self, name).isoformat()
        return out


@dataclass(frozen=True)
class ExportKind:
    """One kind of export. `contract_wide` maps each column that is a figure of the whole
    contract (not of the row's agency) to the API operation that serves the same figure; such
    columns are left out of a scoped export, whose caller may not read that operation."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: Callable[[ExportFilters, frozenset[int] | None], Iterable[tuple]]
    per_agency: bool = True  # False: rows are not an agency's (billing lines)
    contract_wide: dict[str, str] = field(default_factory=dict)

    def columns_for(self, agency_ids: frozenset[int] | None) -> tuple[str, ...]:
        """The columns an export in this scope carries (None: every agency)."""
        if agency_ids is None:
            return self.columns
        return tuple(c for c in self.columns if c not in self.contract_wide)


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int
    job: Job


def _scoped(queryset: QuerySet, agency_ids: frozenset[int] | None, path: str) -> QuerySet:
    if agency_ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": agency_ids})


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _employees(filters: ExportFilters, agency_ids) -> Iterator[tuple]:
    queryset = _scoped(Employee.objects.all(), agency_ids, "agency_id")
    if filters.agency_code:
        queryset = queryset.filter(agency__code__iexact=filters.agency_code)
    if filters.status:
        queryset = queryset.filter(employment_status=filters.status)
    yield from (
        queryset.order_by("employee_number")
        .values_list(
            "employee_number",
            "email",
            "first_name",
            "last_name",
            "agency__code",
            "bargaining_unit__code",
            "job_title",
            "employment_status",
            "training_completed_on",
            "policy_acknowledged_on",
        )
        .iterator(chunk_size=CHUNK)
    )


def _seats(filters: ExportFilters, agency_ids) -> Iterator[tuple]:
    queryset = _scoped(Seat.objects.all(), agency_ids, "agency_id")
    if filters.contract is not None:
        queryset = queryset.filter(contract=filters.contract)
    if filters.agency_code:
        queryset = queryset.filter(agency__code__iexact=filters.agency_code)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    rows = queryset.order_by("id").values_list(
        "id",
        "contract__number",
        "employee__employee_number",
        "employee__email",
        "employee__first_name",
        "employee__last_name",
        "agency__code",
        "employee__agency__code",
        "cohort__wave__number",
        "status",
        "created_at",
        "status_changed_at",
        "activated_at",
        "ended_at",
        "last_active_at",
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield (*row[:10], *(_local(v) for v in row[10:]))


def _seat_events(filters: ExportFilters, agency_ids) -> Iterator[tuple]:
    queryset = _scoped(SeatEvent.objects.all(), agency_ids, "seat__agency_id")
    if filters.contract is not None:
        queryset = queryset.filter(seat__contract=filters.contract)
    if filters.agency_code:
        queryset = queryset.filter(seat__agency__code__iexact=filters.agency_code)
    if filters.status:
        queryset = queryset.filter(to_status=filters.status)
    if filters.since:
        queryset = queryset.filter(at__gte=day_start(filters.since))
    if filters.until:
        queryset = queryset.filter(at__lt=day_start(filters.until + dt.timedelta(days=1)))
    rows = queryset.order_by("at", "id").values_list(
        "id",
        "seat_id",
        "seat__contract__number",
        "seat__employee__employee_number",
        "seat__agency__code",
        "from_status",
        "to_status",
        "from_at",
        "at",
        "actor__username",
        "job_id",
        "reason",
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield (*row[:7], _local(row[7]), _local(row[8]), *row[9:])


def _billing_lines(filters: ExportFilters, agency_ids) -> Iterator[tuple]:
    queryset = BillingPeriod.objects.all()
    if filters.contract is not None:
        queryset = queryset.filter(contract=filters.contract)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.since:
        queryset = queryset.filter(start__gte=filters.since)
    if filters.until:
        queryset = queryset.filter(start__lte=filters.until)
    rows = queryset.order_by("contract__number", "start").values_list(
        "contract__number",
        "start",
        "end",
        "billable_persons",
        "charged_seats",
        "unit_price",
        "amount",
        "status",
        "status_changed_by__username",
        "status_changed_at",
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield (*row[:9], _local(row[9]))


def _chargeback(filters: ExportFilters, agency_ids) -> Iterator[tuple]:
    """Each started billing period's charge split across agencies by their billable persons
    (cost rule 10), for periods starting between `since` and `until`, as of `as_of`
    (default today). A charge with no seat behind it is an "unallocated" line."""
    from agencies.models import Agency

    as_of = filters.as_of or timezone.localdate()
    contracts = (
        [filters.contract]
        if filters.contract is not None
        else list(Contract.objects.filter(is_active=True).order_by("number"))
    )
    agencies = {a.code: a for a in Agency.objects.all()}
    wanted = None
    if agency_ids is not None:
        wanted = {code for code, a in agencies.items() if a.pk in agency_ids}
    if filters.agency_code:
        code = filters.agency_code.upper()
        wanted = {c for c in (wanted if wanted is not None else agencies) if c.upper() == code}
    for contract in contracts:
        inputs = contract_cost_inputs(contract, as_of, cohorts=())
        for period in pricing.billing_periods(contract.start_date, contract.end_date):
            if period.start > as_of:
                break
            if (filters.since and period.start < filters.since) or (
                filters.until and period.start > filters.until
            ):
                continue
            seats = inputs.billable.get(period.index, {})
            charge = pricing.period_charge(sum(seats.values()), inputs.terms)
            for code, amount in sorted(
                _period_parts(charge, seats, inputs).items(), key=lambda kv: kv[0] or "~"
            ):
                if wanted is not None and code not in wanted:
                    continue
                agency = agencies.get(code) if code else None
                yield (
                    contract.number,
                    period.start,
                    period.end,
                    code or "unallocated",
                    agency.name if agency else "",
                    agency.chargeback_code if agency else "",
                    seats.get(code, 0) if code else 0,
                    sum(seats.values()),
                    charge,
                    amount,
                )


def _period_parts(charge, persons_by_agency, inputs) -> dict:
    """Rule 10 (amended): the agencies' parts of a period's charge by their billable persons,
    and the unallocated part (key None, the "unallocated" line: the central fund's share of the
    billable minimum, or a charge with nobody behind it), as the cost report splits it."""
    return pricing.period_chargeback(
        charge, persons_by_agency, inputs.terms, inputs.shortfall_allocation
    )


KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind(
            "employees",
            "Employees",
            (
                "employee_number",
                "email",
                "first_name",
                "last_name",
                "agency_code",
                "bargaining_unit_code",
                "job_title",
                "employment_status",
                "training_completed_on",
                "policy_acknowledged_on",
            ),
            _employees,
        ),
        ExportKind(
            "seats",
            "Seats",
            (
                "seat_id",
                "contract_number",
                "employee_number",
                "email",
                "first_name",
                "last_name",
                "charged_agency_code",
                "employee_agency_code",
                "wave",
                "status",
                "requested_at",
                "status_changed_at",
                "activated_at",
                "ended_at",
                "last_active_at",
            ),
            _seats,
        ),
        ExportKind(
            "seat-events",
            "Seat events",
            (
                "event_id",
                "seat_id",
                "contract_number",
                "employee_number",
                "charged_agency_code",
                "from_status",
                "to_status",
                "from_at",
                "at",
                "actor",
                "job_id",
                "reason",
            ),
            _seat_events,
        ),
        ExportKind(
            "billing-lines",
            "Billing lines",
            (
                "contract_number",
                "period_start",
                "period_end",
                "billable_persons",
                "charged_seats",
                "unit_price",
                "amount",
                "status",
                "status_changed_by",
                "status_changed_at",
            ),
            _billing_lines,
            per_agency=False,
        ),
        ExportKind(
            "chargeback",
            "Chargeback by agency",
            (
                "contract_number",
                "period_start",
                "period_end",
                "agency_code",
                "agency_name",
                "chargeback_code",
                "billable_persons",
                "period_billable_persons",
                "period_charge",
                "agency_amount",
            ),
            _chargeback,
            contract_wide={
                "period_billable_persons": "contracts_cost_retrieve",
                "period_charge": "contracts_cost_retrieve",
            },
        ),
    )
}


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(escape_cell(value))


def _write_csv(columns, rows: Iterable[tuple]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count


def _xlsx_value(value):
    if isinstance(value, dt.datetime):
        # Excel has no time zones: local wall-clock time, as the CSV shows it.
        return value.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return value
    return escape_cell(value)


def _write_xlsx(title: str, columns, rows: Iterable[tuple]) -> tuple[bytes, int]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(columns))
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        count += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


def export_build(
    *,
    kind: str,
    fmt: str,
    actor,
    filters: ExportFilters | None = None,
    agency_ids: frozenset[int] | None = None,
    via: str = "api",
) -> ExportFile:
    """Build one export file and record who exported what, when, as a `core.Job` of kind
    export. `agency_ids` (None: every agency) keeps only those agencies' rows; `via` says
    where it was asked for ("api", "admin"). Raises KeyError for an unknown kind or format."""
    spec = KINDS[kind]
    if fmt not in FORMATS:
        raise KeyError(fmt)
    filters = filters or ExportFilters()
    started = timezone.now()
    rows = spec.rows(filters, agency_ids)
    columns = spec.columns_for(agency_ids)
    if columns != spec.columns:
        keep = [spec.columns.index(c) for c in columns]
        rows = (tuple(row[i] for i in keep) for row in rows)
    if fmt == "csv":
        content, count = _write_csv(columns, rows)
    else:
        content, count = _write_xlsx(spec.title, columns, rows)
    stamp = timezone.localtime(started).strftime("%Y%m%d-%H%M%S")
    filename = f"seatplan-{kind}-{stamp}.{fmt}"
    job = Job.objects.create(
        kind=JobKind.EXPORT,
        status=JobStatus.SUCCEEDED,
        subject=f"{spec.title} ({fmt.upper()}, {count:,} rows, via {via})",
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        started_at=started,
        finished_at=timezone.now(),
        done=count,
        total=count,
        outcome={
            "kind": kind,
            "format": fmt,
            "rows": count,
            "filename": filename,
            "filters": filters.as_json(),
            "agency_scope": "all" if agency_ids is None else sorted(agency_ids),
            "columns": list(columns),
            "via": via,
            "bytes": len(content),
        },
    )
    return ExportFile(filename, FORMATS[fmt], content, count, job)
