"""What a console action would do to seats and money, for its confirmation step.

Reads only. Every figure comes from the licensing cost engine: `contract_cost_inputs` and
`build_report` (the dashboard's and the cost endpoint's report), `forecast` (the what-if and the
forecast endpoint) and `pricing.period_charge` (rule 3, as the reclamation report prices its
saving). Nothing here decides whether the action is allowed: the service does, when it runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum

from licensing import pricing
from licensing.charts import full_money
from licensing.choices import SeatStatus
from licensing.cost_report import CostReport, build_report
from licensing.forecast import CancelWave, forecast
from licensing.models import Contract, Seat
from licensing.selectors import contract_cost_inputs, contract_terms
from licensing.services.cost import today

from ..choices import CohortStatus
from ..models import Cohort, Wave

# Completing or cancelling a wave takes its cohorts out of the plan (cost rule 5): the same
# projection as the what-if "cancel this wave", whose active seats stay counted.
LEAVES_THE_PLAN = frozenset({"complete", "cancel"})


@dataclasses.dataclass(frozen=True)
class Money:
    """The contract's figures at one moment (now, or after an action)."""

    active_seats: int
    monthly_charge: Decimal  # a period's charge for the active seats (rule 3)
    projected_total: Decimal | None  # None: not recomputed for this action (see the note)
    ceiling: Decimal
    headroom_seats: int | None  # rule 7; None: no number of seats reaches the ceiling

    @property
    def room_under_ceiling(self) -> Decimal | None:
        """The ceiling less the projected total (the plan included)."""
        if self.projected_total is None:
            return None
        return self.ceiling - self.projected_total


@dataclasses.dataclass(frozen=True)
class WaveSeats:
    """A wave's cohorts (cancelled ones left out), their quota and their active seats."""

    cohorts: int
    quota: int
    active: int

    @property
    def unfilled(self) -> int:
        return max(0, self.quota - self.active)


@dataclasses.dataclass(frozen=True)
class Effect:
    """Before and after, in money; `seats` is what the action concerns."""

    before: Money
    after: Money
    seats: int = 0

    def headroom_after_activating(self, seats: int) -> int | None:
        """Rule 7 after `seats` more are activated today and kept: exactly `seats` fewer, since
        the headroom is the largest number that can be activated from now (negative: that many
        would not fit)."""
        if self.before.headroom_seats is None:
            return None
        return self.before.headroom_seats - seats


def _money(report: CostReport, contract: Contract, terms: pricing.Terms) -> Money:
    return Money(
        active_seats=report.active_seats,
        monthly_charge=pricing.period_charge(report.active_seats, terms),
        projected_total=report.projected_total,
        ceiling=contract.ceiling_amount,
        headroom_seats=report.headroom_seats,
    )


def contract_money(contract: Contract, *, as_of: dt.date | None = None) -> Money:
    """The contract's figures now."""
    report = build_report(contract_cost_inputs(contract, as_of or today()))
    return _money(report, contract, contract_terms(contract))


def wave_seats(wave: Wave) -> WaveSeats:
    """The quota of the wave's cohorts that are not cancelled, and the seats active in them (two
    aggregate queries)."""
    cohorts = Cohort.objects.filter(wave=wave).exclude(status=CohortStatus.CANCELLED)
    totals = cohorts.aggregate(n=Count("id"), quota=Sum("seat_quota"))
    active = Seat.objects.filter(cohort__in=cohorts, status=SeatStatus.ACTIVE).count()
    return WaveSeats(cohorts=totals["n"] or 0, quota=totals["quota"] or 0, active=active)


def wave_action_effect(wave: Wave, action: str) -> Effect:
    """The money before and after a lifecycle action on `wave`. No action activates or frees a
    seat, so the active seats, their monthly charge and the headroom stay; completing or
    cancelling takes the wave's unfilled quota out of the projection."""
    contract = wave.contract
    inputs = contract_cost_inputs(contract, today())
    terms = contract_terms(contract)
    now = build_report(inputs)
    after = forecast(inputs, [CancelWave(wave_id=wave.pk)]) if action in LEAVES_THE_PLAN else now
    return Effect(before=_money(now, contract, terms), after=_money(after, contract, terms))


def wave_without_it(wave: Wave) -> tuple[Money, Money]:
    """The projection with the plan as it stands and without this wave's unfilled quota: what
    the wave adds to the bill if every seat of its quota is filled."""
    effect = wave_action_effect(wave, "cancel")
    return effect.before, effect.after


def activation_effect(cohort: Cohort, seats: int) -> Effect:
    """The money before and after `seats` more seats are activated today: active seats, the
    monthly charge for them and the headroom. The projected total is not recomputed: the plan
    already counts the cohort's unfilled quota from its onboarding day (rule 5), so activating
    within the quota moves seats from planned to active."""
    contract = cohort.wave.contract
    terms = contract_terms(contract)
    before = contract_money(contract)
    headroom = None if before.headroom_seats is None else before.headroom_seats - seats
    after = Money(
        active_seats=before.active_seats + seats,
        monthly_charge=pricing.period_charge(before.active_seats + seats, terms),
        projected_total=None,
        ceiling=before.ceiling,
        headroom_seats=headroom,
    )
    return Effect(before=before, after=after, seats=seats)


def cohort_active_seats(cohort_ids: list[int]) -> dict[int, int]:
    """Active seats per cohort (one query)."""
    rows = (
        Seat.objects.filter(cohort_id__in=cohort_ids, status=SeatStatus.ACTIVE)
        .values("cohort_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["cohort_id"]: row["n"] for row in rows}


def saving_words(saving: Decimal) -> str:
    """A month's saving in words: "$30.00 less a month", or "$10.00 more a month" when fewer
    seats cost more (a volume tier cliff)."""
    if saving > 0:
        return f"{full_money(saving)} less a month"
    if saving < 0:
        return f"{full_money(-saving)} more a month"
    return "No change"
