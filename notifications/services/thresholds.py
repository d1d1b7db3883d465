"""`cost.threshold_crossed`: the cost snapshot judged against the configured thresholds.

`contract_cost_snapshot` (licensing/services/cost.py) calls `cost_thresholds_observe` with each
snapshot it writes, inside its transaction; the rule itself is `notifications.thresholds`. The
contract's state row is locked, so two snapshots of one contract written at once are judged one
after the other; a snapshot of a day before the last one judged (a recompute of the past) is not
judged at all, so history never re-arms or trips a threshold.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from core.models import Event
from core.outbox import events_emit

from ..catalog import COST_THRESHOLD_CROSSED
from ..models import CostThresholdState
from ..thresholds import (
    CEILING,
    FLOOR,
    PROJECTED_TOTAL,
    SPEND_TO_DATE,
    Crossing,
    thresholds_configured,
    thresholds_step,
)

CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


def cost_thresholds_observe(*, snapshot) -> list[Event]:
    """Judge a freshly written `CostSnapshot` against the contract's thresholds and write one
    `cost.threshold_crossed` per threshold it crossed upwards (in the caller's transaction).
    Returns the events written."""
    contract = snapshot.contract
    state, _ = CostThresholdState.objects.select_for_update().get_or_create(contract=contract)
    if state.as_of is not None and snapshot.as_of < state.as_of:
        return []
    tripped, crossings = thresholds_step(
        tripped=frozenset(state.tripped),
        figures={
            PROJECTED_TOTAL: snapshot.projected_total,
            SPEND_TO_DATE: snapshot.spend_to_date,
        },
        bounds={CEILING: contract.ceiling_amount, FLOOR: contract.floor_amount},
        thresholds=thresholds_configured(settings.COST_ALERT_THRESHOLDS),
        hysteresis=Decimal(settings.COST_ALERT_HYSTERESIS) / 100,
    )
    # A recompute that changes nothing (the common case: several a day) writes nothing here.
    if sorted(tripped) != sorted(state.tripped) or state.as_of != snapshot.as_of:
        state.tripped = sorted(tripped)
        state.as_of = snapshot.as_of
        state.save(update_fields=["tripped", "as_of", "updated_at"])
    return events_emit([_event(snapshot, crossing) for crossing in crossings])


def _event(snapshot, crossing: Crossing) -> Event:
    contract = snapshot.contract
    threshold = crossing.threshold
    return Event(
        type=COST_THRESHOLD_CROSSED,
        subject=f"contract:{contract.pk}",
        payload={
            "contract": contract.pk,
            "snapshot": snapshot.pk,
            "as_of": snapshot.as_of.isoformat(),
            "measure": threshold.measure,
            "bound": threshold.bound,
            "share": f"{threshold.share:.2f}",
            "limit": _money(crossing.limit),
            "value": _money(crossing.value),
            "projected_total": _money(snapshot.projected_total),
            "committed_total": _money(snapshot.committed_total),
            "spend_to_date": _money(snapshot.spend_to_date),
            "floor": _money(contract.floor_amount),
            "ceiling": _money(contract.ceiling_amount),
            "headroom_seats": snapshot.headroom_seats,
        },
    )
