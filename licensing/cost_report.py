"""The contract cost report (DESIGN.md rules 4–10) built from counts, with no ORM.

The selectors count seats in SQL; this module turns the counts into money exactly as the rules
read, so the same code answers the snapshot, the API, the command and the what-if forecast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from . import pricing
from .pricing import Period, Terms, money


@dataclass(frozen=True)
class PlannedCohort:
    """A cohort whose wave is neither completed nor cancelled: its unfilled quota counts as
    planned seats in every period ending on or after its onboarding date (rule 5)."""

    cohort_id: int
    wave_id: int
    seat_quota: int
    onboarding_date: dt.date


@dataclass(frozen=True)
class CostInputs:
    """Everything the rules need, as counted from the database as of the end of `as_of`."""

    contract_id: int
    as_of: dt.date
    start_date: dt.date
    end_date: dt.date
    floor_amount: Decimal
    ceiling_amount: Decimal
    terms: Terms
    # period index -> agency code -> billable seats (assigned: active one day; engaged: a usage day)
    billable: Mapping[int, Mapping[str, int]]
    # cohort id (None for seats outside any cohort) -> seats active at the end of as_of
    active_by_cohort: Mapping[int | None, int]
    planned_cohorts: tuple[PlannedCohort, ...] = ()


@dataclass(frozen=True)
class PeriodLine:
    start: dt.date
    end: dt.date
    billable_seats: int
    amount: Decimal
    kind: str  # "actual" (in spend to date) or "projected"


@dataclass(frozen=True)
class CostReport:
    contract_id: int
    as_of: dt.date
    active_seats: int
    billable_seats_this_period: int
    spend_to_date: Decimal
    projected_total: Decimal
    committed_total: Decimal
    floor_amount: Decimal
    ceiling_amount: Decimal
    below_floor: bool
    over_ceiling: bool
    headroom_seats: int | None
    periods: tuple[PeriodLine, ...]
    by_agency: tuple[tuple[str | None, Decimal], ...]
    tier_cliff: pricing.TierCliff | None
    crossings: dict[str, dt.date | None] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The report as the command, the API and the snapshot store it: money as strings with
        two decimals, dates ISO."""
        cliff = self.tier_cliff
        return {
            "contract": self.contract_id,
            "as_of": self.as_of.isoformat(),
            "active_seats": self.active_seats,
            "billable_seats_this_period": self.billable_seats_this_period,
            "spend_to_date": _cents(self.spend_to_date),
            "projected_total": _cents(self.projected_total),
            "committed_total": _cents(self.committed_total),
            "floor_amount": _cents(self.floor_amount),
            "ceiling_amount": _cents(self.ceiling_amount),
            "below_floor": self.below_floor,
            "over_ceiling": self.over_ceiling,
            "headroom_seats": self.headroom_seats,
            "periods": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "billable_seats": p.billable_seats,
                    "amount": _cents(p.amount),
                    "kind": p.kind,
                }
                for p in self.periods
            ],
            "by_agency": [{"agency": a, "amount": _cents(v)} for a, v in self.by_agency],
            "tier_cliff": None
            if cliff is None
            else {
                "seats_to_next_tier": cliff.seats_to_next_tier,
                "period_amount_now": _cents(cliff.period_amount_now),
                "period_amount_at_next_tier": _cents(cliff.period_amount_at_next_tier),
            },
        }

    def crossings_json(self) -> dict:
        return {k: v.isoformat() if v else None for k, v in self.crossings.items()}


def _cents(x: Decimal) -> str:
    return f"{money(x):.2f}"


def planned_seats(period: Period, inputs: CostInputs) -> int:
    """Rule 5: unfilled quota of every open cohort onboarding on or before the period's end."""
    return sum(
        max(0, c.seat_quota - inputs.active_by_cohort.get(c.cohort_id, 0))
        for c in inputs.planned_cohorts
        if c.onboarding_date <= period.end
    )


def current_period(periods: Iterable[Period], day: dt.date) -> Period | None:
    return next((p for p in periods if p.start <= day <= p.end), None)


def build_report(inputs: CostInputs) -> CostReport:
    """Rules 4–10 for one contract as of the end of `inputs.as_of`."""
    terms, as_of = inputs.terms, inputs.as_of
    periods = pricing.billing_periods(inputs.start_date, inputs.end_date)
    active = sum(inputs.active_by_cohort.values())
    current = current_period(periods, as_of)

    lines: list[PeriodLine] = []
    agency_parts: dict[str | None, Decimal] = {}
    fixed = Decimal(0)  # charges of the periods already over: they no longer depend on anyone
    for p in periods:
        if p.start <= as_of:  # rule 4: periods started on or before D count, the current in full
            by_agency = inputs.billable.get(p.index, {})
            n = sum(by_agency.values())
            amount = pricing.period_charge(n, terms)
            lines.append(PeriodLine(p.start, p.end, n, amount, "actual"))
            for agency, part in pricing.split_chargeback(amount, by_agency).items():
                agency_parts[agency] = agency_parts.get(agency, Decimal(0)) + part
            if p is not current:
                fixed += amount
        else:
            n = active + planned_seats(p, inputs)
            lines.append(
                PeriodLine(p.start, p.end, n, pricing.period_charge(n, terms), "projected")
            )

    spend = sum((ln.amount for ln in lines if ln.kind == "actual"), Decimal(0))
    projected = sum((ln.amount for ln in lines), Decimal(0))
    floor, ceiling = inputs.floor_amount, inputs.ceiling_amount
    billable_now = sum(inputs.billable.get(current.index, {}).values()) if current else 0

    return CostReport(
        contract_id=inputs.contract_id,
        as_of=as_of,
        active_seats=active,
        billable_seats_this_period=billable_now,
        spend_to_date=spend,
        projected_total=projected,
        committed_total=min(max(projected, floor), ceiling),  # rule 6
        floor_amount=floor,
        ceiling_amount=ceiling,
        below_floor=projected < floor,
        over_ceiling=projected > ceiling,
        headroom_seats=_headroom(periods, current, as_of, fixed, billable_now, active, inputs),
        periods=tuple(lines),
        by_agency=tuple(sorted(agency_parts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))),
        tier_cliff=pricing.tier_cliff(billable_now, terms),
        crossings=_crossings(lines, floor, ceiling),
    )


def _headroom(periods, current, as_of, fixed, billable_now, active, inputs) -> int | None:
    """Rule 7: j more seats from D to the end of the term, the current period included and the
    plan ignored. After the term nothing can be activated, so the headroom is 0."""
    if as_of > inputs.end_date:
        return 0
    counts = [billable_now] if current else []
    counts += [active] * sum(1 for p in periods if p.start > as_of)
    return pricing.headroom(
        fixed=fixed, counts=counts, ceiling=inputs.ceiling_amount, terms=inputs.terms
    )


def _crossings(lines, floor: Decimal, ceiling: Decimal) -> dict[str, dt.date | None]:
    """The first period whose charge brings the running total to the floor, and the first that
    takes it over the ceiling (None when the plan never does)."""
    found: dict[str, dt.date | None] = {"floor": None, "ceiling": None}
    running = Decimal(0)
    for ln in lines:
        running += ln.amount
        if found["floor"] is None and running >= floor:
            found["floor"] = ln.start
        if found["ceiling"] is None and running > ceiling:
            found["ceiling"] = ln.start
    return found
