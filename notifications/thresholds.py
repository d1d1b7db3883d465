"""When a cost figure has crossed a threshold: the rule, as a pure function.

Finance wants to hear once when the projected total reaches 80, 90 and 100% of the legal
ceiling, and once when spend to date passes the floor; not every time the cost job recomputes,
and not every time a figure hovering at 90% wobbles over and back. So each threshold is
edge-triggered with hysteresis:

- an armed threshold *trips* (and is reported) when the figure reaches it (`value ≥ limit`);
- a tripped threshold *re-arms* silently only once the figure has fallen below the threshold
  by the hysteresis margin (`value < bound × (share − hysteresis)`), so 89.9% ↔ 90.1% pages
  nobody twice, while a real fall to 85% and a climb back to 90% pages again.

The ceiling thresholds are judged on the projected total. The committed total is the projection
clamped into [floor, ceiling], so for any threshold above the floor it crosses exactly when the
projection does; judging both would only send every alert twice (both figures are in the
payload). A threshold whose bound is zero (a contract without a floor) is never judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

PROJECTED_TOTAL = "projected_total"
SPEND_TO_DATE = "spend_to_date"
CEILING = "ceiling"
FLOOR = "floor"


@dataclass(frozen=True)
class Threshold:
    """A share of a bound a figure is watched against: `projected_total` ≥ 0.90 × ceiling."""

    measure: str
    bound: str
    share: Decimal

    @property
    def key(self) -> str:
        """How the threshold is remembered between snapshots: `projected_total/ceiling/0.90`."""
        return f"{self.measure}/{self.bound}/{self.share:.2f}"


@dataclass(frozen=True)
class Crossing:
    """A threshold the figure reached, with the figure and the limit in dollars."""

    threshold: Threshold
    value: Decimal
    limit: Decimal


def thresholds_configured(ceiling_percents: Iterable[Decimal]) -> tuple[Threshold, ...]:
    """The thresholds to watch: each configured percentage of the ceiling on the projected
    total, and the floor on spend to date."""
    ceiling = tuple(
        Threshold(PROJECTED_TOTAL, CEILING, (Decimal(p) / 100).quantize(Decimal("0.01")))
        for p in sorted(set(ceiling_percents))
    )
    return (*ceiling, Threshold(SPEND_TO_DATE, FLOOR, Decimal("1.00")))


def thresholds_step(
    *,
    tripped: frozenset[str],
    figures: Mapping[str, Decimal],
    bounds: Mapping[str, Decimal],
    thresholds: Iterable[Threshold],
    hysteresis: Decimal,
) -> tuple[frozenset[str], list[Crossing]]:
    """One observation: given the keys of the thresholds tripped so far and the new figures,
    return the keys tripped now and the thresholds crossed upwards by this observation."""
    thresholds = tuple(thresholds)
    # A threshold no longer configured is forgotten, so adding it back starts it armed.
    now_tripped = set(tripped) & {t.key for t in thresholds}
    crossings = []
    for threshold in thresholds:
        bound = bounds[threshold.bound]
        if bound <= 0:
            continue
        value = figures[threshold.measure]
        limit = bound * threshold.share
        if threshold.key in tripped:
            if value < bound * (threshold.share - hysteresis):
                now_tripped.discard(threshold.key)
        elif value >= limit:
            now_tripped.add(threshold.key)
            crossings.append(Crossing(threshold, value, limit))
    return frozenset(now_tripped), crossings
