"""Reads behind the seat-counts endpoint: the counts themselves (one aggregate statement, plus
one for the groups' names and sizes) and the cheap fingerprint that answers a conditional GET.

Kept beside the API because only the API serves them; they follow the selectors' rules (no
writes, a fixed number of statements whatever the number of seats)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency, BargainingUnit, Employee
from config.api.permissions import AgencyScope
from config.api.sql import db_timestamp, table
from rollout.choices import CohortStatus
from rollout.models import Cohort, Wave

from ..choices import SeatStatus
from ..models import Contract, Seat, SeatEvent
from ..selectors import day_start

GROUPS = ("agency", "wave", "cohort", "status", "bargaining_unit")
STATUSES = tuple(SeatStatus.values)
# The column each grouping reads, from a seat row.
_KEY_PATHS = {
    "agency": "agency_id",
    "wave": "cohort__wave_id",
    "cohort": "cohort_id",
    "status": None,
    "bargaining_unit": "employee__bargaining_unit_id",
}
_NO_GROUP_LABEL = {
    "wave": "No wave",
    "cohort": "No cohort",
    "bargaining_unit": "No bargaining unit",
}


# Events committed out of id order (two short transactions racing) are caught by counting the
# newest ids: a late commit inside this window changes the count even when the maximum stays.
RECENT_EVENTS = 1000


@dataclass(frozen=True)
class Fingerprint:
    """What a seat-counts answer depends on, read in one query of index look-ups, whatever the
    number of seats: the event log's newest id and time and how many of the newest ids are
    committed (every seat request and status change appends an event, so any of them changes
    the fingerprint, whatever order concurrent transactions commit in), and the sizes of the
    groups (headcounts, quotas; for bargaining units, the latest roster change). Equal
    fingerprints mean equal answers."""

    contract_id: int
    parts: tuple
    last_modified: dt.datetime | None


@functools.cache
def _fingerprint_sql(group_by: str, named: bool) -> str:
    """Written as SQL, not built by the ORM: a 304 is all this query, and compiling five
    subqueries through the ORM would cost more than running them."""
    event, seat_cols = table(SeatEvent), []
    seat_cols.append(f"(SELECT e.id FROM {event} e ORDER BY e.id DESC LIMIT 1)")
    seat_cols.append(f"(SELECT e.at FROM {event} e ORDER BY e.id DESC LIMIT 1)")
    seat_cols.append(
        f"(SELECT COUNT(*) FROM {event} e WHERE e.id > "
        f"(SELECT MAX(m.id) FROM {event} m) - {RECENT_EVENTS})"
    )
    agency, cohort, wave = table(Agency), table(Cohort), table(Wave)
    extras = {
        "agency": [
            f"(SELECT COUNT(*) FROM {agency})",
            f"(SELECT SUM(a.headcount) FROM {agency} a)",
        ],
        "wave": [
            f"(SELECT COUNT(*) FROM {cohort} co JOIN {wave} w ON w.id = co.wave_id "
            "WHERE w.contract_id = c.id)",
            f"(SELECT SUM(co.seat_quota) FROM {cohort} co JOIN {wave} w ON w.id = co.wave_id "
            "WHERE w.contract_id = c.id)",
            f"(SELECT COUNT(*) FROM {wave} w WHERE w.contract_id = c.id)",
        ],
        "bargaining_unit": [
            f"(SELECT MAX(em.updated_at) FROM {table(Employee)} em)",
            f"(SELECT COUNT(*) FROM {table(BargainingUnit)})",
        ],
    }
    extras["cohort"] = extras["wave"]
    columns = ", ".join(["c.id", *seat_cols, *extras.get(group_by, [])])
    where = "c.id = %s" if named else "c.is_active"
    return f"SELECT {columns} FROM {table(Contract)} c WHERE {where} ORDER BY c.id LIMIT 2"


def seat_counts_contract(*, contract_id: int | None, group_by: str) -> list[Fingerprint]:
    """The contract asked for (or, with no id, the active contracts, at most two) with the
    fingerprint of its seat counts, in one query. Empty when no such contract exists."""
    sql = _fingerprint_sql(group_by, contract_id is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, [contract_id] if contract_id is not None else [])
        rows = cursor.fetchall()
    return [
        Fingerprint(row[0], tuple(str(v) for v in row[1:]), db_timestamp(row[2])) for row in rows
    ]


def _rows_as_of(contract_id: int, cutoff: dt.datetime | None) -> tuple[QuerySet, str, str]:
    """The rows to count, the prefix that reaches the seat's columns, and the status column:
    the seats themselves when counting now; otherwise, for each seat, its latest event before
    the cutoff (an anti-join: no later event of the same seat before the cutoff)."""
    if cutoff is None:
        return Seat.objects.filter(contract_id=contract_id), "", "status"
    later = SeatEvent.objects.filter(seat_id=OuterRef("seat_id"), at__lt=cutoff).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id"))
    )
    latest = SeatEvent.objects.filter(contract_id=contract_id, at__lt=cutoff).filter(~Exists(later))
    return latest, "seat__", "to_status"


def _counts(rows: QuerySet, key: str, status_field: str) -> dict:
    aggregates = {s: Count("pk", filter=Q(**{status_field: s})) for s in STATUSES}
    grouped = rows.values(group_key=F(key)).annotate(**aggregates).order_by()
    return {row.pop("group_key"): row for row in grouped}


def _zero() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def _universe(contract_id: int, group_by: str, scope: AgencyScope) -> list[tuple]:
    """Every group that should appear even with no seat, as (raw key, shown key, label, extra
    figures), in display order: one query (none for statuses)."""
    if group_by == "status":
        return [(s.value, s.value, s.label, {}) for s in SeatStatus]
    if group_by == "agency":
        agencies = scope.filter(Agency.objects.all(), "id").order_by("code")
        return [
            (pk, code, name, {"headcount": headcount})
            for pk, code, name, headcount in agencies.values_list("id", "code", "name", "headcount")
        ]
    if group_by == "cohort":
        cohorts = scope.filter(Cohort.objects.filter(wave__contract_id=contract_id)).order_by(
            "wave__number", "agency__code"
        )
        return [
            (pk, pk, f"{code} in wave {number}", {"quota": quota})
            for pk, number, code, quota in cohorts.values_list(
                "id", "wave__number", "agency__code", "seat_quota"
            )
        ]
    if group_by == "wave":
        live = ~Q(cohorts__status=CohortStatus.CANCELLED)
        waves = Wave.objects.filter(contract_id=contract_id)
        if not scope.is_all:
            live &= Q(cohorts__agency_id__in=scope.agency_ids)
            mine = scope.filter(Cohort.objects.filter(wave=OuterRef("pk")))
            waves = waves.filter(Exists(mine))
        waves = waves.annotate(quota=Coalesce(Sum("cohorts__seat_quota", filter=live), 0))
        return [
            (pk, pk, f"Wave {number}: {name}", {"quota": quota})
            for pk, number, name, quota in waves.order_by("number").values_list(
                "id", "number", "name", "quota"
            )
        ]
    units = BargainingUnit.objects.order_by("code").values_list("id", "code", "name")
    return [(pk, code, name, {}) for pk, code, name in units]


def seat_counts(
    *, contract_id: int, group_by: str, as_of: dt.date | None, scope: AgencyScope
) -> dict:
    """Seats of the contract by status, grouped by agency, wave, cohort, status or bargaining
    unit, as the caller's agencies see them: now, or as of the end of a past day from the event
    history. Two queries whatever the number of seats or groups (one for statuses)."""
    today = timezone.localdate()
    day = as_of or today
    cutoff = day_start(day + dt.timedelta(days=1)) if day < today else None
    rows, prefix, status_field = _rows_as_of(contract_id, cutoff)
    rows = scope.filter(rows, f"{prefix}agency")
    path = _KEY_PATHS[group_by]
    counted = _counts(rows, f"{prefix}{path}" if path else status_field, status_field)

    results = []
    for raw, shown, label, extra in _universe(contract_id, group_by, scope):
        results.append({"key": shown, "label": label, **_zero(), **counted.pop(raw, {}), **extra})
    for raw, counts in counted.items():  # seats outside every listed group (no cohort, no unit)
        label = _NO_GROUP_LABEL.get(group_by, str(raw))
        results.append({"key": raw, "label": label, **_zero(), **counts})
        if group_by in ("wave", "cohort"):
            results[-1]["quota"] = 0

    totals = {s: sum(r[s] for r in results) for s in STATUSES}
    extra = {"agency": "headcount", "wave": "quota", "cohort": "quota"}.get(group_by)
    if extra:
        totals[extra] = sum(r.get(extra, 0) for r in results)
    return {
        "contract": contract_id,
        "as_of": day.isoformat(),
        "group_by": group_by,
        "results": results,
        "totals": totals,
    }
