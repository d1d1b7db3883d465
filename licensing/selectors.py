"""Reads for the licensing app. The cost counts are a fixed handful of SQL statements whatever the
number of seats: the database walks the event history, Python only sees one row per (period,
agency) and per cohort."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rollout.choices import OPEN_WAVE_STATUSES

from . import pricing
from .choices import BillingBasis, SeatStatus
from .cost_report import CostInputs, PlannedCohort, build_report
from .models import (
    BillingPeriod,
    BillingPeriodEvent,
    Contract,
    CostSnapshot,
    PriceTier,
    Seat,
    SeatEvent,
)


def day_start(day: dt.date) -> dt.datetime:
    """Midnight opening `day` in the contract's time zone: billing days are local calendar days."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


# The recompute's small look-ups are bare statements: compiling them through the ORM took longer
# than running them (docs/benchmarks.md, "cost recompute").
_TIERS_SQL = """
SELECT min_seats, max_seats, CAST(unit_price_monthly AS TEXT) FROM licensing_pricetier
WHERE contract_id = %s ORDER BY min_seats
"""
_PRICE_STEP = Decimal(1).scaleb(-PriceTier._meta.get_field("unit_price_monthly").decimal_places)


def contract_terms(contract: Contract, tiers: list[PriceTier] | None = None) -> pricing.Terms:
    """The contract's price table as validated pricing terms (raises `pricing.TermsError`)."""
    if tiers is not None:
        rows = [(t.min_seats, t.max_seats, t.unit_price_monthly) for t in tiers]
    else:
        with connection.cursor() as cursor:
            cursor.execute(_TIERS_SQL, [contract.pk])
            # Through text, so SQLite's numeric affinity cannot turn a price into a float.
            rows = [(lo, hi, Decimal(p).quantize(_PRICE_STEP)) for lo, hi, p in cursor.fetchall()]
    return pricing.Terms.build(
        [pricing.Tier(*row) for row in rows], contract.tier_mode, contract.min_billable_seats
    )


def _period_index_sql(column: str, bounds: list, *, closing: bool) -> tuple[str, list]:
    """A CASE mapping a timestamp to the index of the started period it falls in. An opening
    time `a` belongs to the period with lo <= a < hi (before the first: 0); a closing time `b`
    of a half-open interval to the period with lo < b <= hi (at or before the first start: -1).
    Past the last started period: a large index, clipped in Python."""
    op = "<=" if closing else "<"
    parts, params = [f"CASE WHEN {column} {op} %s THEN {-1 if closing else 0}"], [bounds[0]]
    for index, hi in enumerate(bounds[1:]):
        parts.append(f"WHEN {column} {op} %s THEN {index}")
        params.append(hi)
    parts.append(f"ELSE {_BEYOND} END")
    return " ".join(parts), params


# Past the last started period (a contract that ended before the as-of day), and open at the
# cutoff: both count to the last period, but only an open interval is a seat active at the end
# of the day, so they must differ.
_BEYOND = 1_000_000
_OPEN = 2_000_000

# Active intervals as of the cutoff, without a window over the history: an event leaving
# `active` is a closed interval [from_at, at) by itself (open when it comes after the cutoff),
# and a seat active now is open since its last change ({open_seats}: the seats themselves, or on
# PostgreSQL their tally). Active can only be re-entered from `suspended`, so a reactivation
# whose suspension began in the same period is the one way a seat has two intervals in one
# period: those are counted once more ('d' rows) and taken off. Events carry their seat's
# contract, agency and cohort, so no branch joins the seats.
_ASSIGNED_SQL = """
SELECT 'i', g.first_idx, g.last_idx, a.code, g.cohort_id, g.n
FROM (
    SELECT iv.first_idx, iv.last_idx, iv.agency_id, iv.cohort_id, SUM(iv.n) AS n
    FROM (
        SELECT {first_from} AS first_idx,
               CASE WHEN e.at >= %s THEN {open} ELSE {last_at} END AS last_idx,
               e.agency_id, e.cohort_id, 1 AS n
        FROM licensing_seatevent e
        WHERE e.contract_id = %s AND e.from_status = %s AND e.from_at < %s
        UNION ALL
        SELECT {first_since}, {open}, o.agency_id, o.cohort_id, o.n FROM ({open_seats}) o
    ) iv
    GROUP BY iv.first_idx, iv.last_idx, iv.agency_id, iv.cohort_id
    HAVING SUM(iv.n) <> 0
) g JOIN agencies_agency a ON a.id = g.agency_id
UNION ALL
SELECT 'd', r.first_idx, NULL, a.code, NULL, r.n
FROM (
    SELECT {first_at} AS first_idx, e.agency_id, COUNT(*) AS n
    FROM licensing_seatevent e
    WHERE e.contract_id = %s AND e.from_status = %s AND e.to_status = %s AND e.at < %s
      AND {last_from} = {first_at}
    GROUP BY 1, 2
) r JOIN agencies_agency a ON a.id = r.agency_id
"""

# Seats active at the end of the day, per cohort: open at the cutoff (the assigned statement
# reads them off its open intervals instead).
_ACTIVE_SQL = """
SELECT 'c', o.cohort_id, NULL, NULL, NULL, SUM(o.n)
FROM (
    SELECT e.cohort_id, 1 AS n FROM licensing_seatevent e
    WHERE e.contract_id = %s AND e.from_status = %s AND e.from_at < %s AND e.at >= %s
    UNION ALL
    SELECT o.cohort_id, o.n FROM ({open_seats}) o
) o
GROUP BY o.cohort_id
HAVING SUM(o.n) <> 0
"""

_ENGAGED_SQL = """
SELECT 'u', {first_date}, NULL, a.code, NULL, COUNT(DISTINCT u.seat_id)
FROM licensing_usageday u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
WHERE s.contract_id = %s AND u.date >= %s AND u.date <= %s
GROUP BY {first_date}, a.code
"""

# The seats active now that became active before the cutoff, with the moment they did ('since':
# a timestamp from the seats, a local day from the tally) and how many each row stands for.
_OPEN_FROM_SEATS = """
    SELECT s.agency_id, s.cohort_id, s.status_changed_at AS since, 1 AS n
    FROM licensing_seat s
    WHERE s.contract_id = %s AND s.status = %s AND s.status_changed_at < %s"""
_OPEN_FROM_TALLY = """
    SELECT t.agency_id, t.cohort_id, t.since_day AS since, t.seats AS n
    FROM licensing_activeseattally t
    WHERE t.contract_id = %s AND t.since_day < %s"""


def _open_seats(contract: Contract, as_of: dt.date) -> tuple[str, list]:
    """Where the seats active now are read from: on PostgreSQL the tally its triggers keep
    (a few hundred rows), elsewhere the seat table itself. Both give the same counts."""
    ops = connection.ops
    if uses_active_tally():
        return _OPEN_FROM_TALLY, [contract.pk, ops.adapt_datefield_value(as_of + dt.timedelta(1))]
    cutoff = ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    return _OPEN_FROM_SEATS, [contract.pk, SeatStatus.ACTIVE, cutoff]


def uses_active_tally() -> bool:
    return connection.vendor == "postgresql"


def seat_counts_for_cost(contract: Contract, as_of: dt.date, periods: list[pricing.Period]):
    """Billable seats per (period, agency code) for the periods started by `as_of`, and seats
    active at the end of `as_of` per cohort: one SQL statement over the events that left active
    and the seats active now."""
    ops = connection.ops
    started = [p for p in periods if p.start <= as_of]
    last = len(started) - 1
    cutoff = ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    open_sql, open_params = _open_seats(contract, as_of)
    active_sql = _ACTIVE_SQL.format(open_seats=open_sql)
    active_params = [contract.pk, SeatStatus.ACTIVE, cutoff, cutoff, *open_params]
    day_bounds = (
        [started[0].start] + [p.end + dt.timedelta(days=1) for p in started] if started else []
    )
    if not started:
        sql, params = active_sql, active_params
    elif contract.billing_basis == BillingBasis.ENGAGED:
        first_date, date_params = _period_index_sql(
            "u.date", [ops.adapt_datefield_value(d) for d in day_bounds], closing=False
        )
        sql = _ENGAGED_SQL.format(first_date=first_date) + " UNION ALL " + active_sql
        window = [ops.adapt_datefield_value(started[0].start), ops.adapt_datefield_value(as_of)]
        params = [*date_params, contract.pk, *window, *date_params, *active_params]
    else:
        bounds = [ops.adapt_datetimefield_value(day_start(d)) for d in day_bounds]
        first = functools.partial(_period_index_sql, bounds=bounds, closing=False)
        closing = functools.partial(_period_index_sql, bounds=bounds, closing=True)
        (first_from, p_ff), (last_at, p_la) = first("e.from_at"), closing("e.at")
        (first_at, p_fa), (last_from, p_lf) = first("e.at"), closing("e.from_at")
        # A local midnight bound and the day it opens split the seats' moments alike.
        since_bounds = [ops.adapt_datefield_value(d) for d in day_bounds]
        first_since, p_fs = _period_index_sql(
            "o.since", since_bounds if uses_active_tally() else bounds, closing=False
        )
        sql = _ASSIGNED_SQL.format(
            first_from=first_from,
            last_at=last_at,
            first_since=first_since,
            first_at=first_at,
            last_from=last_from,
            open_seats=open_sql,
            open=_OPEN,
        )
        params = [
            *p_ff, cutoff, *p_la, contract.pk, SeatStatus.ACTIVE, cutoff,
            *p_fs, *open_params,
            *p_fa, contract.pk, SeatStatus.SUSPENDED, SeatStatus.ACTIVE, cutoff,
            *p_lf, *p_fa,
        ]  # fmt: skip

    active: dict[int | None, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Each row adds n seats to a run of periods: mark where the run starts and where it stops,
    # then one running sum per agency turns the marks into counts.
    marks: dict[str, list[int]] = defaultdict(lambda: [0] * (last + 2))
    for kind, first_idx, last_idx, code, cohort_id, n in rows:
        if kind == "c":
            active[first_idx] = n
            continue
        if kind == "i" and last_idx == _OPEN:  # open at the cutoff: active at the end of D
            active[cohort_id] = active.get(cohort_id, 0) + n
        if kind == "d":
            lo, hi, n = first_idx, first_idx, -n
        else:
            lo, hi = max(first_idx, 0), min(first_idx if kind == "u" else last_idx, last)
        if lo <= hi and 0 <= lo <= last:
            marks[code][lo] += n
            marks[code][hi + 1] -= n
    billable: dict[int, dict[str, int]] = defaultdict(dict)
    for code, deltas in marks.items():
        running = 0
        for index in range(last + 1):
            running += deltas[index]
            if running:
                billable[index][code] = running
    return billable, active


_PLANNED_SQL = """
SELECT c.id, c.wave_id, c.seat_quota, c.onboarding_date
FROM rollout_cohort c JOIN rollout_wave w ON w.id = c.wave_id
WHERE w.contract_id = %s AND w.status IN ({statuses})
ORDER BY w.number, c.id
"""


def planned_cohorts(contract: Contract) -> tuple[PlannedCohort, ...]:
    """Cohorts of the contract's waves that are neither completed nor cancelled (rule 5)."""
    statuses = sorted(OPEN_WAVE_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(
            _PLANNED_SQL.format(statuses=", ".join(["%s"] * len(statuses))),
            [contract.pk, *statuses],
        )
        rows = cursor.fetchall()
    return tuple(
        PlannedCohort(
            pk, wave, quota, day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        )
        for pk, wave, quota, day in rows
    )


def contract_cost_inputs(
    contract: Contract, as_of: dt.date, *, cohorts: tuple[PlannedCohort, ...] | None = None
) -> CostInputs:
    """Gather the counts the cost rules need, as of the end of `as_of` (later events ignored)."""
    terms = contract_terms(contract)
    periods = pricing.billing_periods(contract.start_date, contract.end_date)
    billable, active = seat_counts_for_cost(contract, as_of, periods)
    return CostInputs(
        contract_id=contract.pk,
        as_of=as_of,
        start_date=contract.start_date,
        end_date=contract.end_date,
        floor_amount=contract.floor_amount,
        ceiling_amount=contract.ceiling_amount,
        terms=terms,
        billable=billable,
        active_by_cohort=active,
        planned_cohorts=planned_cohorts(contract) if cohorts is None else cohorts,
    )


def contract_latest_snapshot(contract: Contract) -> CostSnapshot | None:
    return contract.snapshots.order_by("-computed_at", "-id").first()


def contracts_active() -> QuerySet[Contract]:
    return Contract.objects.filter(is_active=True).prefetch_related("tiers")


def employee_seats(employee_id: int) -> list[Seat]:
    """An employee's seats under every contract, newest first, each with its contract, cohort
    and wave, and its events (oldest first) with who made them and under which job: two
    queries, however long the history."""
    events = SeatEvent.objects.select_related("actor", "job").order_by("at", "id")
    return list(
        Seat.objects.filter(employee_id=employee_id)
        .select_related("contract", "cohort__wave", "agency")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-created_at", "-id")
    )


def contract_headroom_seats(contract: Contract) -> int | None:
    """Rule 7's headroom in seats now: how many more seats may be activated today and kept to
    the end of the term under the ceiling (the plan left out, as activation checks it). None
    when no number of seats reaches the ceiling."""
    # The plan does not enter rule 7, so the cohorts are not even read.
    day = timezone.localdate()
    return build_report(contract_cost_inputs(contract, day, cohorts=())).headroom_seats


def billing_lines(contract: Contract) -> list[BillingPeriod]:
    """The contract's billing lines, oldest first, each with its marks and undos (oldest
    first) and who made them: three queries."""
    events = BillingPeriodEvent.objects.select_related("actor").order_by("at", "id")
    return list(
        BillingPeriod.objects.filter(contract=contract)
        .select_related("status_changed_by")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("start")
    )
