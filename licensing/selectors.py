"""Reads for the licensing app. The cost counts are a fixed handful of SQL statements whatever the
number of seats: the database walks the event history, Python only sees one row per (period,
agency) and per cohort."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from rollout.choices import OPEN_WAVE_STATUSES
from rollout.models import Cohort

from . import pricing
from .choices import BillingBasis, SeatStatus
from .cost_report import CostInputs, PlannedCohort
from .models import Contract, CostSnapshot, PriceTier


def day_start(day: dt.date) -> dt.datetime:
    """Midnight opening `day` in the contract's time zone: billing days are local calendar days."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def contract_terms(contract: Contract, tiers: list[PriceTier] | None = None) -> pricing.Terms:
    """The contract's price table as validated pricing terms (raises `pricing.TermsError`)."""
    rows = tiers if tiers is not None else list(contract.tiers.all())
    return pricing.Terms.build(
        [pricing.Tier(t.min_seats, t.max_seats, t.unit_price_monthly) for t in rows],
        contract.tier_mode,
        contract.min_billable_seats,
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


_BEYOND = 1_000_000

# Active intervals as of the cutoff, without a window over the history: an event leaving
# `active` is a closed interval [from_at, at) by itself (open when it comes after the cutoff),
# and a seat active now is open since its last change. Active can only be re-entered from
# `suspended`, so a reactivation whose suspension began in the same period is the one way a seat
# has two intervals in one period: those are counted once more ('d' rows) and taken off.
_ASSIGNED_SQL = """
SELECT 'i', g.first_idx, g.last_idx, a.code, g.cohort_id, g.n
FROM (
    SELECT iv.first_idx, iv.last_idx, iv.agency_id, iv.cohort_id, COUNT(*) AS n
    FROM (
        SELECT {first_from} AS first_idx,
               CASE WHEN e.at >= %s THEN {beyond} ELSE {last_at} END AS last_idx,
               s.agency_id, s.cohort_id
        FROM licensing_seatevent e JOIN licensing_seat s ON s.id = e.seat_id
        WHERE e.from_status = %s AND s.contract_id = %s AND e.from_at < %s
        UNION ALL
        SELECT {first_since}, {beyond}, s.agency_id, s.cohort_id
        FROM licensing_seat s
        WHERE s.contract_id = %s AND s.status = %s AND s.status_changed_at < %s
    ) iv
    GROUP BY iv.first_idx, iv.last_idx, iv.agency_id, iv.cohort_id
) g JOIN agencies_agency a ON a.id = g.agency_id
UNION ALL
SELECT 'd', {first_at}, NULL, a.code, NULL, COUNT(*)
FROM licensing_seatevent e
JOIN licensing_seat s ON s.id = e.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
WHERE e.from_status = %s AND e.to_status = %s AND s.contract_id = %s AND e.at < %s
  AND {last_from} = {first_at}
GROUP BY {first_at}, a.code
"""

# Seats active at the end of the day, per cohort: open at the cutoff (the assigned statement
# reads them off its open intervals instead).
_ACTIVE_SQL = """
SELECT 'c', o.cohort_id, NULL, NULL, NULL, COUNT(*)
FROM (
    SELECT s.cohort_id FROM licensing_seatevent e JOIN licensing_seat s ON s.id = e.seat_id
    WHERE e.from_status = %s AND s.contract_id = %s AND e.from_at < %s AND e.at >= %s
    UNION ALL
    SELECT s.cohort_id FROM licensing_seat s
    WHERE s.contract_id = %s AND s.status = %s AND s.status_changed_at < %s
) o
GROUP BY o.cohort_id
"""

_ENGAGED_SQL = """
SELECT 'u', {first_date}, NULL, a.code, NULL, COUNT(DISTINCT u.seat_id)
FROM licensing_usageday u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
WHERE s.contract_id = %s AND u.date >= %s AND u.date <= %s
GROUP BY {first_date}, a.code
"""


def seat_counts_for_cost(contract: Contract, as_of: dt.date, periods: list[pricing.Period]):
    """Billable seats per (period, agency code) for the periods started by `as_of`, and seats
    active at the end of `as_of` per cohort: one SQL statement, one pass over the seats active
    now and the events that left active."""
    ops = connection.ops
    started = [p for p in periods if p.start <= as_of]
    last = len(started) - 1
    cutoff = ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    active_sql = _ACTIVE_SQL
    active_params = [SeatStatus.ACTIVE, contract.pk, cutoff, cutoff, contract.pk, SeatStatus.ACTIVE]
    active_params.append(cutoff)
    if not started:
        sql, params = active_sql, active_params
    elif contract.billing_basis == BillingBasis.ENGAGED:
        day_bounds = [started[0].start] + [p.end + dt.timedelta(days=1) for p in started]
        first_date, date_params = _period_index_sql(
            "u.date", [ops.adapt_datefield_value(d) for d in day_bounds], closing=False
        )
        sql = _ENGAGED_SQL.format(first_date=first_date) + " UNION ALL " + active_sql
        window = [ops.adapt_datefield_value(started[0].start), ops.adapt_datefield_value(as_of)]
        params = [*date_params, contract.pk, *window, *date_params, *active_params]
    else:
        bounds = [ops.adapt_datetimefield_value(day_start(started[0].start))] + [
            ops.adapt_datetimefield_value(day_start(p.end + dt.timedelta(days=1))) for p in started
        ]
        first = functools.partial(_period_index_sql, bounds=bounds, closing=False)
        closing = functools.partial(_period_index_sql, bounds=bounds, closing=True)
        (first_from, p_ff), (last_at, p_la) = first("e.from_at"), closing("e.at")
        (first_since, p_fs), (first_at, p_fa) = first("s.status_changed_at"), first("e.at")
        last_from, p_lf = closing("e.from_at")
        sql = _ASSIGNED_SQL.format(
            first_from=first_from,
            last_at=last_at,
            first_since=first_since,
            first_at=first_at,
            last_from=last_from,
            beyond=_BEYOND,
        )
        params = [
            *p_ff, cutoff, *p_la, SeatStatus.ACTIVE, contract.pk, cutoff,
            *p_fs, contract.pk, SeatStatus.ACTIVE, cutoff,
            *p_fa, SeatStatus.SUSPENDED, SeatStatus.ACTIVE, contract.pk, cutoff,
            *p_lf, *p_fa, *p_fa,
        ]  # fmt: skip

    billable: dict[int, dict[str, int]] = defaultdict(dict)
    active: dict[int | None, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for kind, first_idx, last_idx, code, cohort_id, n in rows:
        if kind == "c":
            active[first_idx] = n
            continue
        if kind == "i" and last_idx == _BEYOND:  # open at the cutoff: active at the end of D
            active[cohort_id] = active.get(cohort_id, 0) + n
        if kind == "d":
            if 0 <= first_idx <= last:
                billable[first_idx][code] = billable[first_idx].get(code, 0) - n
        else:
            upto = min(first_idx if kind == "u" else last_idx, last)
            for index in range(max(first_idx, 0), upto + 1):
                billable[index][code] = billable[index].get(code, 0) + n
    return billable, active


def planned_cohorts(contract: Contract) -> tuple[PlannedCohort, ...]:
    """Cohorts of the contract's waves that are neither completed nor cancelled (rule 5)."""
    rows = Cohort.objects.filter(
        wave__contract=contract, wave__status__in=OPEN_WAVE_STATUSES
    ).values_list("id", "wave_id", "seat_quota", "onboarding_date")
    return tuple(PlannedCohort(*row) for row in rows)


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
