"""The contract cost report (cost rules 4–10, docs/cost-engine.md) built from counts, with no ORM.

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
    # period index -> agency code -> billable persons (rule 2: each person once, under the
    # agency of their billable seat with the highest id)
    billable: Mapping[int, Mapping[str, int]]
    # cohort id (None for seats outside any cohort) -> seats active at the end of as_of
    active_by_cohort: Mapping[int | None, int]
    planned_cohorts: tuple[PlannedCohort, ...] = ()
    # period index -> billable seats (each seat once; a replaced seat counts again): shown, not
    # billed. Missing periods count their persons.
    billable_seats: Mapping[int, int] = field(default_factory=dict)
    # Rule 7 (amended), engaged basis: persons who engaged in the current period so far or hold
    # a seat active at the end of as_of. None: the current period's billable persons.
    headroom_current: int | None = None
    shortfall_allocation: str = pricing.SHORTFALL_CENTRAL
    billing_basis: str = "assigned"


@dataclass(frozen=True)
class PeriodLine:
    index: int
    start: dt.date
    end: dt.date
    billable_seats: int
    billable_persons: int
    amount: Decimal
    kind: str  # "actual" (in spend to date) or "projected"
    charged_seats: int = 0
    unit_price: Decimal | None = None  # None under graduated pricing
    by_agency: tuple[tuple[str | None, Decimal], ...] = ()  # actual periods only

    @property
    def unallocated(self) -> Decimal:
        return sum((v for k, v in self.by_agency if k is None), Decimal(0))

    @property
    def allocated(self) -> Decimal:
        return sum((v for k, v in self.by_agency if k is not None), Decimal(0))


@dataclass(frozen=True)
class CostReport:
    contract_id: int
    as_of: dt.date
    active_seats: int
    billable_seats_this_period: int
    billable_persons_this_period: int
    spend_to_date: Decimal
    projected_total: Decimal
    committed_total: Decimal
    floor_amount: Decimal
    ceiling_amount: Decimal
    below_floor: bool
    over_ceiling: bool
    headroom_seats: int | None
    headroom_current_count: int | None
    periods: tuple[PeriodLine, ...]
    by_agency: tuple[tuple[str | None, Decimal], ...]
    tier_cliff: pricing.ProjectionCliff | None
    terms: Terms
    billing_basis: str = "assigned"
    shortfall_allocation: str = pricing.SHORTFALL_CENTRAL
    crossings: dict[str, dt.date | None] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The report as the command, the API and the snapshot store it: money as strings with
        two decimals, dates ISO. docs/cost-engine.md lists every key."""
        return {
            "contract": self.contract_id,
            "as_of": self.as_of.isoformat(),
            "billing_basis": self.billing_basis,
            "tier_mode": self.terms.tier_mode,
            "min_billable_seats": self.terms.min_billable_seats,
            "shortfall_allocation": self.shortfall_allocation,
            "active_seats": self.active_seats,
            "billable_seats_this_period": self.billable_seats_this_period,
            "billable_persons_this_period": self.billable_persons_this_period,
            "spend_to_date": _cents(self.spend_to_date),
            "projected_total": _cents(self.projected_total),
            "committed_total": _cents(self.committed_total),
            "floor_amount": _cents(self.floor_amount),
            "ceiling_amount": _cents(self.ceiling_amount),
            "below_floor": self.below_floor,
            "over_ceiling": self.over_ceiling,
            "headroom_seats": self.headroom_seats,
            "headroom_current_count": self.headroom_current_count,
            "unallocated_to_date": _cents(
                sum((v for k, v in self.by_agency if k is None), Decimal(0))
            ),
            "periods": [_period_json(p) for p in self.periods],
            "by_agency": _parts_json(self.by_agency),
            "tier_cliff": self._cliff_json(),
        }

    def _cliff_json(self) -> dict | None:
        cliff = self.tier_cliff
        if cliff is None:
            return None
        period = [p for p in self.periods if p.kind == "projected"][cliff.position]
        return {
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "planned_seats": cliff.planned_seats,
            "seats_to_next_tier": cliff.seats_to_next_tier,
            "period_amount_now": _cents(cliff.period_amount_now),
            "period_amount_at_next_tier": _cents(cliff.period_amount_at_next_tier),
            "projected_total_change": _cents(cliff.projected_total_change),
            "projected_total_at_next_tier": _cents(
                self.projected_total + cliff.projected_total_change
            ),
        }

    def crossings_json(self) -> dict:
        return {k: v.isoformat() if v else None for k, v in self.crossings.items()}


def _cents(x: Decimal) -> str:
    return f"{money(x):.2f}"


def price_text(price: Decimal | None) -> str:
    """A unit price as shown: two decimals unless it has more; "graduated" when there is none."""
    if price is None:
        return "graduated"
    exact = price.normalize()
    return f"{price:.2f}" if exact == exact.quantize(pricing.CENT) else f"{exact:f}"


def _parts_json(parts) -> list[dict]:
    return [{"agency": a, "amount": _cents(v)} for a, v in parts]


def _period_json(p: PeriodLine) -> dict:
    return {
        "index": p.index,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "kind": p.kind,
        "billable_seats": p.billable_seats,
        "billable_persons": p.billable_persons,
        "charged_seats": p.charged_seats,
        "unit_price": price_text(p.unit_price),
        "amount": _cents(p.amount),
        "allocated": _cents(p.allocated),
        "unallocated": _cents(p.unallocated),
        "by_agency": _parts_json(p.by_agency),
    }


def planned_seats(period: Period, inputs: CostInputs) -> int:
    """Rule 5: unfilled quota of every open cohort onboarding on or before the period's end."""
    return sum(
        max(0, c.seat_quota - inputs.active_by_cohort.get(c.cohort_id, 0))
        for c in inputs.planned_cohorts
        if c.onboarding_date <= period.end
    )


def current_period(periods: Iterable[Period], day: dt.date) -> Period | None:
    return next((p for p in periods if p.start <= day <= p.end), None)


def _sorted_parts(parts: Mapping[str | None, Decimal]) -> tuple[tuple[str | None, Decimal], ...]:
    return tuple(sorted(parts.items(), key=lambda kv: (kv[0] is None, kv[0] or "")))


def _line(p: Period, n: int, seats: int, kind: str, inputs: CostInputs) -> PeriodLine:
    terms = inputs.terms
    charged = pricing.charged_seats(n, terms)
    amount = pricing.period_charge(n, terms)
    parts: tuple = ()
    if kind == "actual":
        parts = _sorted_parts(
            pricing.period_chargeback(
                amount, inputs.billable.get(p.index, {}), terms, inputs.shortfall_allocation
            )
        )
    return PeriodLine(
        index=p.index,
        start=p.start,
        end=p.end,
        billable_seats=seats,
        billable_persons=n,
        amount=amount,
        kind=kind,
        charged_seats=charged,
        unit_price=pricing.unit_price(charged, terms)
        if terms.tier_mode == pricing.VOLUME
        else None,
        by_agency=parts,
    )


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
            n = sum(inputs.billable.get(p.index, {}).values())
            line = _line(p, n, inputs.billable_seats.get(p.index, n), "actual", inputs)
            for agency, part in line.by_agency:
                agency_parts[agency] = agency_parts.get(agency, Decimal(0)) + part
            if p is not current:
                fixed += line.amount
        else:
            n = active + planned_seats(p, inputs)
            line = _line(p, n, n, "projected", inputs)
        lines.append(line)

    spend = sum((ln.amount for ln in lines if ln.kind == "actual"), Decimal(0))
    projected = sum((ln.amount for ln in lines), Decimal(0))
    floor, ceiling = inputs.floor_amount, inputs.ceiling_amount
    persons_now = sum(inputs.billable.get(current.index, {}).values()) if current else 0
    seats_now = inputs.billable_seats.get(current.index, persons_now) if current else 0
    headroom_now = (
        (persons_now if inputs.headroom_current is None else inputs.headroom_current)
        if current
        else None
    )
    remaining = [ln.billable_persons for ln in lines if ln.kind == "projected"]

    return CostReport(
        contract_id=inputs.contract_id,
        as_of=as_of,
        active_seats=active,
        billable_seats_this_period=seats_now,
        billable_persons_this_period=persons_now,
        spend_to_date=spend,
        projected_total=projected,
        committed_total=min(max(projected, floor), ceiling),  # rule 6
        floor_amount=floor,
        ceiling_amount=ceiling,
        below_floor=projected < floor,
        over_ceiling=projected > ceiling,
        headroom_seats=_headroom(periods, as_of, fixed, headroom_now, active, inputs),
        headroom_current_count=headroom_now,
        periods=tuple(lines),
        by_agency=_sorted_parts(agency_parts),
        tier_cliff=pricing.projection_tier_cliff(remaining, terms),
        terms=terms,
        billing_basis=inputs.billing_basis,
        shortfall_allocation=inputs.shortfall_allocation,
        crossings=_crossings(lines, floor, ceiling),
    )


def _headroom(periods, as_of, fixed, current_count, active, inputs) -> int | None:
    """Rule 7: j more seats from D to the end of the term, the current period included and the
    plan ignored. The current period counts `current_count` (on the engaged basis: everyone who
    engaged so far or holds an active seat). After the term nothing can be activated: 0."""
    if as_of > inputs.end_date:
        return 0
    counts = [current_count] if current_count is not None else []
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
