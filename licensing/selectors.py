"""Reads for the licensing app. The cost counts are a fixed handful of SQL statements whatever the
number of seats: the database walks the event history, Python only sees one row per (period,
agency) and per cohort."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
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
SELECT 'u', {first_date}, CAST(NULL AS BIGINT), a.code, CAST(NULL AS BIGINT),
       COUNT(DISTINCT u.seat_id)
FROM licensing_usageday u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
WHERE s.contract_id = %s AND u.date >= %s AND u.date <= %s
GROUP BY {first_date}, a.code
"""

# Rule 7 (amended), engaged basis: seats active at the end of the day that have not engaged in
# the current period so far; with the seats that have, they are who may still be billed in it.
_IDLE_ACTIVE_SQL = """
SELECT 'x', COUNT(*), CAST(NULL AS BIGINT), NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM (
    SELECT e.seat_id FROM licensing_seatevent e
    WHERE e.contract_id = %s AND e.from_status = %s AND e.from_at < %s AND e.at >= %s
    UNION ALL
    SELECT s.id FROM licensing_seat s
    WHERE s.contract_id = %s AND s.status = %s AND s.status_changed_at < %s
) o
WHERE {usage}
"""
_IDLE_ACTIVE_DAYS = """NOT EXISTS (
    SELECT 1 FROM licensing_usageday u WHERE u.seat_id = o.seat_id AND u.date >= %s AND u.date <= %s
)"""

# PostgreSQL reads the usage-period summary its triggers keep (one row per seat and period, with
# the first day the seat engaged in it) instead of every usage day: a year of usage is ~40,000 x
# 250 rows, and a recompute must cost about as much as counting the current period's alone.
# Periods before the current one (their counts are final) from the tally of the summary's rows,
# a few hundred rows; the current one (or the last, cut at the end date) from the summary rows
# whose first day is by the cutoff. Grouped by agency id, named after the grouping.
_ENGAGED_SUMMARY_SQL = """
SELECT 'u', {first_tally}, CAST(NULL AS BIGINT), a.code, CAST(NULL AS BIGINT), g.n
FROM (
    SELECT t.period_start, t.agency_id, SUM(t.seats) AS n FROM licensing_usageperiodtally t
    WHERE t.contract_id = %s AND t.period_start < %s
    GROUP BY t.period_start, t.agency_id HAVING SUM(t.seats) <> 0
) g JOIN agencies_agency a ON a.id = g.agency_id
UNION ALL
SELECT 'u', {first_open}, CAST(NULL AS BIGINT), a.code, CAST(NULL AS BIGINT), g.n
FROM (
    SELECT u.period_start, u.agency_id, COUNT(*) AS n FROM licensing_usageperiod u
    WHERE u.contract_id = %s AND u.period_start >= %s AND u.period_start <= %s
      AND u.first_date <= %s
    GROUP BY u.period_start, u.agency_id
) g JOIN agencies_agency a ON a.id = g.agency_id
"""
_IDLE_ACTIVE_SUMMARY = """
SELECT u.seat_id FROM licensing_usageperiod u
WHERE u.contract_id = %s AND u.period_start = %s AND u.first_date <= %s"""
_MULTI_USAGE_SUMMARY_SQL = """
SELECT 'q', {first_date}, CAST(NULL AS BIGINT), a.code, u.seat_id, s.employee_id
FROM licensing_usageperiod u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
WHERE u.seat_id IN ({multi}) AND u.period_start <= %s AND u.first_date <= %s
"""


def uses_usage_summary() -> bool:
    return connection.vendor == "postgresql"


# Rule 2 (amended): the seats of the persons who have had more than one seat under the contract.
# At most one seat per person is open at a time, so such a person has a revoked seat; they are
# few (re-hires, transfers, data fixes), and their seats are read one by one so that each person
# is billed once per period. 'p': an active interval of a seat (the periods it covers, and open
# at the cutoff or not); 'q': a period in which a seat engaged.
_MULTI_SEATS = """
    SELECT m.id FROM licensing_seat m
    WHERE m.contract_id = %s AND m.employee_id IN (
        SELECT r.employee_id FROM licensing_seat r WHERE r.contract_id = %s AND r.status = %s
    )"""
_MULTI_INTERVALS_SQL = """
SELECT 'p', iv.first_idx, iv.last_idx, a.code, iv.seat_id, s.employee_id
FROM (
    SELECT {first_from} AS first_idx,
           CASE WHEN e.at >= %s THEN {open} ELSE {last_at} END AS last_idx, e.seat_id
    FROM licensing_seatevent e
    WHERE e.contract_id = %s AND e.from_status = %s AND e.from_at < %s AND e.seat_id IN ({multi})
    UNION ALL
    SELECT {first_changed}, {open}, o.id FROM licensing_seat o
    WHERE o.contract_id = %s AND o.status = %s AND o.status_changed_at < %s AND o.id IN ({multi})
) iv
JOIN licensing_seat s ON s.id = iv.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
"""
_MULTI_USAGE_SQL = """
SELECT 'q', x.idx, CAST(NULL AS BIGINT), x.code, x.seat_id, x.employee_id
FROM (
    SELECT DISTINCT {first_date} AS idx, a.code, u.seat_id, s.employee_id
    FROM licensing_usageday u
    JOIN licensing_seat s ON s.id = u.seat_id
    JOIN agencies_agency a ON a.id = s.agency_id
    WHERE s.id IN ({multi}) AND u.date >= %s AND u.date <= %s
) x
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


@dataclass(frozen=True)
class CostCounts:
    """What the counting statement returns: billable persons and seats per (period, agency),
    seats active at the end of the day per cohort, and, on the engaged basis, the current
    period's count for rule 7 (None elsewhere)."""

    persons: dict[int, dict[str, int]]
    seats: dict[int, int]
    active: dict[int | None, int]
    headroom_current: int | None


def seat_counts_for_cost(
    contract: Contract, as_of: dt.date, periods: list[pricing.Period]
) -> CostCounts:
    """Billable persons (rule 2) and seats per period and agency for the periods started by
    `as_of`, seats active at the end of `as_of` per cohort, and on the engaged basis the count
    rule 7 prices the current period at: one SQL statement over the events that left active, the
    seats active now, the usage days, and the seats of persons who had more than one seat."""
    ops = connection.ops
    started = [p for p in periods if p.start <= as_of]
    last = len(started) - 1
    current = started[-1] if started and as_of <= started[-1].end else None
    engaged = contract.billing_basis == BillingBasis.ENGAGED
    cutoff = ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    open_sql, open_params = _open_seats(contract, as_of)
    active_sql = _ACTIVE_SQL.format(open_seats=open_sql)
    active_params = [contract.pk, SeatStatus.ACTIVE, cutoff, cutoff, *open_params]
    day_bounds = (
        [started[0].start] + [p.end + dt.timedelta(days=1) for p in started] if started else []
    )
    multi_params = [contract.pk, contract.pk, SeatStatus.REVOKED]
    if not started:
        sql, params = active_sql, active_params
    else:
        bounds = [ops.adapt_datetimefield_value(day_start(d)) for d in day_bounds]
        first = functools.partial(_period_index_sql, bounds=bounds, closing=False)
        closing = functools.partial(_period_index_sql, bounds=bounds, closing=True)
        (first_from, p_ff), (last_at, p_la) = first("e.from_at"), closing("e.at")
        first_changed, p_fc = first("o.status_changed_at")
        multi_sql = _MULTI_INTERVALS_SQL.format(
            first_from=first_from,
            last_at=last_at,
            first_changed=first_changed,
            open=_OPEN,
            multi=_MULTI_SEATS,
        )
        multi_p = [
            *p_ff, cutoff, *p_la, contract.pk, SeatStatus.ACTIVE, cutoff, *multi_params,
            *p_fc, contract.pk, SeatStatus.ACTIVE, cutoff, *multi_params,
        ]  # fmt: skip
        if engaged:
            sql, params = _engaged_sql(contract, as_of, started, current, day_bounds, cutoff)
            sql += " UNION ALL " + _multi_usage(contract, as_of, day_bounds, multi_params, params)
        else:
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
        sql += " UNION ALL " + multi_sql + " UNION ALL " + active_sql
        params += [*multi_p, *active_params]

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _fold_counts(rows, last, current, engaged=engaged)


def _engaged_sql(contract, as_of, started, current, day_bounds, cutoff) -> tuple[str, list]:
    """The engaged basis: seats with a usage day per (period, agency), and the active seats
    that have not engaged in the current period yet (rule 7). From the usage-period summary on
    PostgreSQL, from the usage days elsewhere: the same counts."""
    ops = connection.ops
    date_bounds = [ops.adapt_datefield_value(d) for d in day_bounds]
    day = ops.adapt_datefield_value(as_of)
    if uses_usage_summary():
        first_tally, p_t = _period_index_sql("g.period_start", date_bounds, closing=False)
        # The last started period is read from the summary: the current one (counted by the
        # cutoff), or after the term the last one (its usage after the end date left out).
        open_start = ops.adapt_datefield_value(started[-1].start)
        last_day = ops.adapt_datefield_value(min(as_of, contract.end_date))
        sql = _ENGAGED_SUMMARY_SQL.format(first_tally=first_tally, first_open=first_tally)
        params = [*p_t, contract.pk, open_start, *p_t, contract.pk, open_start, day, last_day]
    else:
        first_date, date_params = _period_index_sql("u.date", date_bounds, closing=False)
        window = [ops.adapt_datefield_value(started[0].start), day]
        sql = _ENGAGED_SQL.format(first_date=first_date)
        params = [*date_params, contract.pk, *window, *date_params]
    if current is not None:
        if uses_usage_summary():
            usage = f"o.seat_id NOT IN ({_IDLE_ACTIVE_SUMMARY})"
            usage_params = [contract.pk, ops.adapt_datefield_value(current.start), day]
        else:
            usage = _IDLE_ACTIVE_DAYS
            usage_params = [ops.adapt_datefield_value(current.start), day]
        sql += " UNION ALL " + _IDLE_ACTIVE_SQL.format(usage=usage)
        params += [
            contract.pk, SeatStatus.ACTIVE, cutoff, cutoff,
            contract.pk, SeatStatus.ACTIVE, cutoff,
            *usage_params,
        ]  # fmt: skip
    return sql, params


def _multi_usage(contract, as_of, day_bounds, multi_params, params: list) -> str:
    """The periods in which each seat of a person with several seats engaged ('q' rows); its
    parameters are appended to `params`."""
    ops = connection.ops
    date_bounds = [ops.adapt_datefield_value(d) for d in day_bounds]
    day = ops.adapt_datefield_value(as_of)
    if uses_usage_summary():
        first_date, date_params = _period_index_sql("u.period_start", date_bounds, closing=False)
        last_day = ops.adapt_datefield_value(min(as_of, contract.end_date))
        params += [*date_params, *multi_params, day, last_day]
        return _MULTI_USAGE_SUMMARY_SQL.format(first_date=first_date, multi=_MULTI_SEATS)
    first_date, date_params = _period_index_sql("u.date", date_bounds, closing=False)
    params += [*date_params, *multi_params, ops.adapt_datefield_value(day_bounds[0]), day]
    return _MULTI_USAGE_SQL.format(first_date=first_date, multi=_MULTI_SEATS)


@dataclass
class _SeatOfPerson:
    code: str
    periods: set[int] = field(default_factory=set)
    active: bool = False


def _fold_counts(rows, last: int, current, *, engaged: bool) -> CostCounts:
    active: dict[int | None, int] = {}
    idle_active = 0
    multi: dict[int, dict[int, _SeatOfPerson]] = defaultdict(dict)
    # Each row adds n seats to a run of periods: mark where the run starts and where it stops,
    # then one running sum per agency turns the marks into counts.
    marks: dict[str, list[int]] = defaultdict(lambda: [0] * (last + 2))
    for kind, first_idx, last_idx, code, cohort_id, n in rows:
        if kind == "c":
            active[first_idx] = n
            continue
        if kind == "x":
            idle_active = first_idx
            continue
        if kind in ("p", "q"):
            seat = multi[n].setdefault(cohort_id, _SeatOfPerson(code))
            if kind == "p" and last_idx == _OPEN:
                seat.active = True
            if kind == "q" or not engaged:
                lo = max(first_idx, 0)
                hi = min(first_idx if kind == "q" else last_idx, last)
                seat.periods.update(range(lo, hi + 1))
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
    seats_by_agency: dict[int, dict[str, int]] = defaultdict(dict)
    for code, deltas in marks.items():
        running = 0
        for index in range(last + 1):
            running += deltas[index]
            if running:
                seats_by_agency[index][code] = running
    persons = {index: dict(by_agency) for index, by_agency in seats_by_agency.items()}
    headroom_current = None
    if engaged and current is not None:
        headroom_current = sum(seats_by_agency.get(last, {}).values()) + idle_active
    for seats in multi.values():
        # The person counted once a period, under the agency of their billable seat with the
        # highest id, in place of each of their billable seats.
        for index in set().union(*(s.periods for s in seats.values())):
            billed = sorted(pk for pk, s in seats.items() if index in s.periods)
            if len(billed) < 2 or not 0 <= index <= last:
                continue
            by_agency = persons.setdefault(index, {})
            for pk in billed:
                by_agency[seats[pk].code] -= 1
            by_agency[seats[billed[-1]].code] = by_agency.get(seats[billed[-1]].code, 0) + 1
        if headroom_current is not None:
            may_engage = [s for s in seats.values() if last in s.periods or s.active]
            headroom_current -= max(len(may_engage) - 1, 0)
    return CostCounts(
        persons={i: {c: n for c, n in by.items() if n} for i, by in persons.items()},
        seats={i: sum(by.values()) for i, by in seats_by_agency.items()},
        active=active,
        headroom_current=headroom_current,
    )


# Rule 5 (amended): the plan as it stood at the end of the day. Each wave with its status now,
# its status at the cutoff (its latest recorded change before it) and the status it had before
# its first recorded change; each cohort's recorded states, and the cohorts as they stand.
_WAVES_SQL = """
SELECT w.id, w.status,
    (SELECT e.to_status FROM rollout_waveevent e WHERE e.wave_id = w.id AND e.at < %s
     ORDER BY e.at DESC, e.id DESC LIMIT 1),
    (SELECT e.from_status FROM rollout_waveevent e WHERE e.wave_id = w.id
     ORDER BY e.at, e.id LIMIT 1)
FROM rollout_wave w WHERE w.contract_id = %s
"""
_COHORTS_SQL = """
SELECT h.id, h.wave_id, h.seat_quota, h.onboarding_date, h.history_type, h.history_date,
       h.history_id
FROM rollout_historicalcohort h
WHERE h.wave_id IN (SELECT w.id FROM rollout_wave w WHERE w.contract_id = %s)
UNION ALL
SELECT c.id, c.wave_id, c.seat_quota, c.onboarding_date, NULL, NULL, NULL
FROM rollout_cohort c JOIN rollout_wave w ON w.id = c.wave_id
WHERE w.contract_id = %s
"""


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def planned_cohorts(contract: Contract, as_of: dt.date) -> tuple[PlannedCohort, ...]:
    """Rule 5 (amended): the cohorts of the plan as it stood at the end of `as_of` whose wave
    was then neither completed nor cancelled, with the quota and onboarding day they then had.

    A wave's status at D is the `to_status` of its latest `WaveEvent` by the end of D; with none
    by then, the `from_status` of its first (its earliest recorded state), and with no event at
    all, its status now. A cohort's state at D is its latest history row by the end of D (a `-`
    row: removed by then); with none by then, its earliest history row; with no history at all
    (a bulk load), the row as it stands. Two statements whatever the plan's size."""
    ops = connection.ops
    cutoff = ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    with connection.cursor() as cursor:
        cursor.execute(_WAVES_SQL, [cutoff, contract.pk])
        waves = cursor.fetchall()
        cursor.execute(_COHORTS_SQL, [contract.pk, contract.pk])
        cohorts = cursor.fetchall()
    open_waves = {
        pk
        for pk, now, at_cutoff, before_first in waves
        if (at_cutoff or before_first or now) in OPEN_WAVE_STATUSES
    }
    cutoff_at = day_start(as_of + dt.timedelta(days=1))
    recorded: dict[int, list] = defaultdict(list)
    standing: dict[int, tuple] = {}
    for pk, wave, quota, day, kind, when, history_id in cohorts:
        if kind is None:
            standing[pk] = (wave, quota, day)
        else:
            recorded[pk].append((db_moment(when), history_id, kind, wave, quota, day))
    plan = []
    for pk in sorted(set(recorded) | set(standing)):
        states = sorted(recorded.get(pk, []))
        if states:
            before = [st for st in states if st[0] < cutoff_at]
            _, _, kind, wave, quota, day = before[-1] if before else states[0]
            if before and kind == "-":
                continue
        else:
            wave, quota, day = standing[pk]
        if wave in open_waves:
            plan.append(PlannedCohort(pk, wave, quota, _as_date(day)))
    return tuple(sorted(plan, key=lambda c: (c.wave_id, c.cohort_id)))


def db_moment(value) -> dt.datetime:
    """A timestamp as read by a bare statement: SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def contract_cost_inputs(
    contract: Contract, as_of: dt.date, *, cohorts: tuple[PlannedCohort, ...] | None = None
) -> CostInputs:
    """Gather the counts the cost rules need, as of the end of `as_of` (later events ignored).
    `cohorts` replaces the plan (the ceiling guard passes none: rule 7 ignores the plan)."""
    terms = contract_terms(contract)
    periods = pricing.billing_periods(contract.start_date, contract.end_date)
    counts = seat_counts_for_cost(contract, as_of, periods)
    return CostInputs(
        contract_id=contract.pk,
        as_of=as_of,
        start_date=contract.start_date,
        end_date=contract.end_date,
        floor_amount=contract.floor_amount,
        ceiling_amount=contract.ceiling_amount,
        terms=terms,
        billable=counts.persons,
        active_by_cohort=counts.active,
        planned_cohorts=planned_cohorts(contract, as_of) if cohorts is None else cohorts,
        billable_seats=counts.seats,
        headroom_current=counts.headroom_current,
        shortfall_allocation=contract.shortfall_allocation,
        billing_basis=contract.billing_basis,
    )


def contract_eligible_employees(contract: Contract) -> int:
    """Employees who could still be given a seat under the contract: not separated, and with
    no active seat under it now. Finance reads the headroom against it ("of N eligible")."""
    from agencies.choices import EmploymentStatus
    from agencies.models import Employee

    from .models import Seat

    seated = Seat.objects.filter(contract=contract, status=SeatStatus.ACTIVE).values("employee_id")
    return (
        Employee.objects.exclude(employment_status=EmploymentStatus.SEPARATED)
        .exclude(pk__in=seated)
        .count()
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
        .select_related("contract", "cohort__wave", "agency", "provisioning")
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


# Rule 11: what a contract's cost figures depend on, read in one statement of index look-ups
# whatever the size of the tables: the contract's terms and tiers, and the newest rows (and how
# many of the newest ids are committed, for transactions that commit out of id order) of every
# log a figure is computed from: seat events, usage days, wave status changes, and the plan's
# history. Any change a service or the admin makes to an input changes it.
_RECENT = 1000
_FINGERPRINT_SQL = """
SELECT c.start_date, c.end_date, c.floor_amount, c.ceiling_amount, c.min_billable_seats,
    c.tier_mode, c.billing_basis, c.shortfall_allocation,
    (SELECT COUNT(*) FROM licensing_pricetier t WHERE t.contract_id = c.id),
    (SELECT SUM(t.min_seats) FROM licensing_pricetier t WHERE t.contract_id = c.id),
    (SELECT SUM(COALESCE(t.max_seats, 0)) FROM licensing_pricetier t WHERE t.contract_id = c.id),
    (SELECT CAST(SUM(t.unit_price_monthly * t.min_seats) AS TEXT)
     FROM licensing_pricetier t WHERE t.contract_id = c.id),
    (SELECT CAST(SUM(t.unit_price_monthly) AS TEXT)
     FROM licensing_pricetier t WHERE t.contract_id = c.id),
    {logs}
FROM licensing_contract c WHERE c.id = %s
"""
_LOGS = (
    ("licensing_seatevent", "id"),
    ("licensing_usageday", "id"),
    ("rollout_waveevent", "id"),
    ("rollout_historicalcohort", "history_id"),
    ("rollout_historicalwave", "history_id"),
)


@functools.cache
def _fingerprint_sql() -> str:
    logs = []
    for table, key in _LOGS:
        logs.append(f"(SELECT MAX(x.{key}) FROM {table} x)")
        # The newest ids, counted inside the window below the newest: an index range, whereas
        # a comparison with a computed bound made PostgreSQL scan far more of a large log.
        logs.append(
            f"(SELECT COUNT(*) FROM (SELECT x.{key} AS k FROM {table} x ORDER BY x.{key} DESC "
            f"LIMIT {_RECENT}) r WHERE r.k > (SELECT MAX(m.{key}) FROM {table} m) - {_RECENT})"
        )
    # Plan rows written without history (a bulk load, a queryset update) still move these.
    logs.append(
        "(SELECT COUNT(*) FROM rollout_cohort co JOIN rollout_wave w ON w.id = co.wave_id "
        "WHERE w.contract_id = c.id)"
    )
    logs.append(
        "(SELECT SUM(co.seat_quota) FROM rollout_cohort co JOIN rollout_wave w "
        "ON w.id = co.wave_id WHERE w.contract_id = c.id)"
    )
    logs.append(
        "(SELECT MAX(co.onboarding_date) FROM rollout_cohort co JOIN rollout_wave w "
        "ON w.id = co.wave_id WHERE w.contract_id = c.id)"
    )
    logs.append(
        "(SELECT COUNT(*) FROM rollout_wave w WHERE w.contract_id = c.id AND w.status IN "
        "('completed', 'cancelled'))"
    )
    return _FINGERPRINT_SQL.format(logs=",\n    ".join(logs))


def contract_cost_fingerprint(contract_id: int) -> str:
    """A short hash of everything the contract's cost figures are computed from (rule 11): equal
    fingerprints on the same day mean a recomputation would give the same figures. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(), [contract_id])
        row = cursor.fetchone()
    if row is None:
        return ""
    text = "|".join("" if v is None else str(v) for v in row)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
