"""Reads for the licensing app. The cost counts are a fixed handful of SQL statements whatever the
number of seats: the database walks the event history, Python only sees one row per (period,
agency) and per cohort."""

from __future__ import annotations

import datetime as dt
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


def _periods_cte(periods: list[pricing.Period], *, as_dates: bool) -> tuple[str, list]:
    """A VALUES list of the billing periods, bounds as local-midnight timestamps (events) or as
    inclusive dates (usage days), adapted the way each backend stores them."""
    ops = connection.ops
    rows, params = [], []
    for p in periods:
        rows.append("(%s, %s, %s)")
        if as_dates:
            params += [
                p.index,
                ops.adapt_datefield_value(p.start),
                ops.adapt_datefield_value(p.end),
            ]
        else:
            lo = ops.adapt_datetimefield_value(day_start(p.start))
            hi = ops.adapt_datetimefield_value(day_start(p.end + dt.timedelta(days=1)))
            params += [p.index, lo, hi]
    return "periods(idx, lo, hi) AS (VALUES " + ", ".join(rows) + ")", params


# One pass over the contract's events up to the end of D. Each event into `active` opens an
# interval closed by the seat's next event (LEAD); an interval overlapping a period makes the seat
# billable there. The last event of each seat tells whether it is active at the end of D.
_ASSIGNED_SQL = """
WITH {periods},
ev AS (
    SELECT e.seat_id, e.to_status, e.at,
           LEAD(e.at) OVER (PARTITION BY e.seat_id ORDER BY e.at, e.id) AS next_at
    FROM licensing_seatevent e
    JOIN licensing_seat s ON s.id = e.seat_id
    WHERE s.contract_id = %s AND e.at < %s
),
act AS (SELECT seat_id, at, next_at FROM ev WHERE to_status = %s)
SELECT 'p', p.idx, a.code, COUNT(DISTINCT act.seat_id)
FROM act
JOIN periods p ON act.at < p.hi AND (act.next_at IS NULL OR act.next_at > p.lo)
JOIN licensing_seat s ON s.id = act.seat_id
JOIN agencies_agency a ON a.id = s.agency_id
GROUP BY p.idx, a.code
UNION ALL
SELECT 'c', s.cohort_id, NULL, COUNT(*)
FROM act JOIN licensing_seat s ON s.id = act.seat_id
WHERE act.next_at IS NULL
GROUP BY s.cohort_id
"""

_ENGAGED_SQL = """
WITH {periods}
SELECT 'p', p.idx, a.code, COUNT(DISTINCT u.seat_id)
FROM licensing_usageday u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN periods p ON u.date >= p.lo AND u.date <= p.hi
JOIN agencies_agency a ON a.id = s.agency_id
WHERE s.contract_id = %s AND u.date <= %s
GROUP BY p.idx, a.code
UNION ALL
SELECT 'c', s.cohort_id, NULL, COUNT(*)
FROM (
    SELECT e.seat_id, e.to_status,
           ROW_NUMBER() OVER (PARTITION BY e.seat_id ORDER BY e.at DESC, e.id DESC) AS rn
    FROM licensing_seatevent e
    JOIN licensing_seat s ON s.id = e.seat_id
    WHERE s.contract_id = %s AND e.at < %s
) last
JOIN licensing_seat s ON s.id = last.seat_id
WHERE last.rn = 1 AND last.to_status = %s
GROUP BY s.cohort_id
"""


def seat_counts_for_cost(contract: Contract, as_of: dt.date, periods: list[pricing.Period]):
    """Billable seats per (period, agency code) for the periods started by `as_of`, and seats
    active at the end of `as_of` per cohort: one SQL statement."""
    started = [p for p in periods if p.start <= as_of]
    cutoff = connection.ops.adapt_datetimefield_value(day_start(as_of + dt.timedelta(days=1)))
    billable: dict[int, dict[str, int]] = defaultdict(dict)
    active: dict[int | None, int] = {}
    if not started:
        # Nothing billable yet; a dummy period keeps the statement's shape for the active count.
        started = [pricing.Period(-1, as_of + dt.timedelta(days=1), as_of + dt.timedelta(days=1))]
    if contract.billing_basis == BillingBasis.ENGAGED:
        cte, params = _periods_cte(started, as_dates=True)
        sql = _ENGAGED_SQL.format(periods=cte)
        params += [
            contract.pk,
            connection.ops.adapt_datefield_value(as_of),
            contract.pk,
            cutoff,
            SeatStatus.ACTIVE,
        ]
    else:
        cte, params = _periods_cte(started, as_dates=False)
        sql = _ASSIGNED_SQL.format(periods=cte)
        params += [contract.pk, cutoff, SeatStatus.ACTIVE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, key, code, n in cursor.fetchall():
            if kind == "p":
                if key >= 0:
                    billable[key][code] = n
            else:
                active[key] = n
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
