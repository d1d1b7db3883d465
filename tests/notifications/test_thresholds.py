"""`cost.threshold_crossed`: edge-triggered with hysteresis, so a figure hovering at a threshold
pages nobody twice, judged on every cost snapshot in the snapshot's own transaction."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.models import Event
from licensing.models import CostSnapshot
from licensing.services.cost import contract_cost_snapshot, today
from licensing.services.seats import seat_activate, seat_request
from notifications.models import CostThresholdState
from notifications.services.thresholds import cost_thresholds_observe
from notifications.thresholds import Threshold, thresholds_configured, thresholds_step
from tests.factories import ContractFactory, EmployeeFactory
from tests.rollout.builders import contract_with_room, running_cohort

D = Decimal
MARGIN = D("0.02")
ZERO = D(0)
CEILING = {"ceiling": D(1000), "floor": D(400)}
THRESHOLDS = thresholds_configured([D(80), D(90), D(100)])


def walk(values, *, hysteresis=MARGIN, bounds=CEILING, spend=ZERO):
    """Feed projected totals one by one; the keys of the crossings each step reported."""
    tripped: frozenset[str] = frozenset()
    out = []
    for value in values:
        tripped, crossed = thresholds_step(
            tripped=tripped,
            figures={"projected_total": D(value), "spend_to_date": spend},
            bounds=bounds,
            thresholds=THRESHOLDS,
            hysteresis=hysteresis,
        )
        out.append([c.threshold.key for c in crossed])
    return out


def test_thresholds_step__figure_hovers_at_90__pages_once():
    # Given a projection wobbling around 90% of a $1,000 ceiling, never falling 2 points below
    steps = walk([850, 900, 899, 901, 890, 905, 881])

    # Then 90% is reported once, when first reached
    assert steps == [
        ["projected_total/ceiling/0.80"],
        ["projected_total/ceiling/0.90"],
        *[[]] * 5,
    ]


def test_thresholds_step__falls_below_the_margin_then_climbs__pages_again():
    # Given a projection that reaches 90%, falls below 88% (re-arming), and climbs back
    steps = walk([900, 879, 900])

    # Then 90% is reported twice (80% once: it never fell below 78%)
    assert steps == [
        ["projected_total/ceiling/0.80", "projected_total/ceiling/0.90"],
        [],
        ["projected_total/ceiling/0.90"],
    ]


def test_thresholds_step__exactly_at_the_limit__crossed():
    assert walk([1000])[0][-1] == "projected_total/ceiling/1.00"


def test_thresholds_step__spend_passes_the_floor__reported_once():
    tripped, crossed = thresholds_step(
        tripped=frozenset(),
        figures={"projected_total": D(0), "spend_to_date": D(400)},
        bounds=CEILING,
        thresholds=THRESHOLDS,
        hysteresis=D("0.02"),
    )
    assert [c.threshold.key for c in crossed] == ["spend_to_date/floor/1.00"]
    _, again = thresholds_step(
        tripped=tripped,
        figures={"projected_total": D(0), "spend_to_date": D(450)},
        bounds=CEILING,
        thresholds=THRESHOLDS,
        hysteresis=D("0.02"),
    )
    assert again == []


def test_thresholds_step__no_floor__floor_never_judged():
    steps = walk([0], bounds={"ceiling": D(1000), "floor": D(0)}, spend=D(5))
    assert steps == [[]]


@given(
    st.lists(st.integers(min_value=0, max_value=1200), min_size=1, max_size=60),
    st.sampled_from([D("0.80"), D("0.90"), D("1.00")]),
)
def test_thresholds_step__any_path__each_report_follows_a_fall_below_the_margin(values, share):
    # Property: between two reports of one threshold the figure fell below share − 2 points,
    # and a report happens only at a value at or over the limit.
    threshold = Threshold("projected_total", "ceiling", share)
    reported_at = [i for i, keys in enumerate(walk(values)) if threshold.key in keys]
    for i in reported_at:
        assert D(values[i]) >= D(1000) * share
    for a, b in itertools.pairwise(reported_at):
        assert any(D(v) < D(1000) * (share - D("0.02")) for v in values[a + 1 : b])


# --- the service, on snapshots --------------------------------------------------------------


def snapshot(contract, projected, *, as_of=None, spend=ZERO):
    return CostSnapshot.objects.create(
        contract=contract,
        as_of=as_of or today(),
        active_seats=0,
        billable_seats_this_month=0,
        spend_to_date=D(spend),
        projected_total=D(projected),
        committed_total=min(max(D(projected), contract.floor_amount), contract.ceiling_amount),
        headroom_seats=3,
    )


def crossings():
    return [
        (e.payload["bound"], e.payload["share"])
        for e in Event.objects.filter(type="cost.threshold_crossed").order_by("id")
    ]


@pytest.mark.django_db
def test_cost_thresholds_observe__projection_hovers_at_90__one_event_per_crossing():
    # Given the demo contract (ceiling $3.36M) and projections around 90% of it
    contract = ContractFactory()
    for projected in ("2900000", "3030000", "3020000", "3025000", "2990000", "3024500"):
        cost_thresholds_observe(snapshot=snapshot(contract, projected))

    # Then 80% and 90% were each told once
    assert crossings() == [("ceiling", "0.80"), ("ceiling", "0.90")]
    event = Event.objects.filter(type="cost.threshold_crossed").last()
    assert event.agency_ids == []
    assert event.payload["value"] == "3030000.00"
    assert event.payload["limit"] == "3024000.00"
    assert event.payload["ceiling"] == "3360000.00"


@pytest.mark.django_db
def test_cost_thresholds_observe__older_snapshot__not_judged():
    # Given 90% tripped today
    contract = ContractFactory()
    cost_thresholds_observe(snapshot=snapshot(contract, "3100000"))

    # When last month is recomputed (lower) and then today again
    cost_thresholds_observe(
        snapshot=snapshot(contract, "100", as_of=today() - dt.timedelta(days=30))
    )
    cost_thresholds_observe(snapshot=snapshot(contract, "3100000"))

    # Then the past neither re-armed nor tripped anything
    assert crossings() == [("ceiling", "0.80"), ("ceiling", "0.90")]
    state = CostThresholdState.objects.get(contract=contract)
    assert state.as_of == today()


@pytest.mark.django_db
def test_cost_thresholds_observe__thresholds_configured__only_those(settings):
    settings.COST_ALERT_THRESHOLDS = ["95"]
    contract = ContractFactory()
    cost_thresholds_observe(snapshot=snapshot(contract, "3300000"))
    assert crossings() == [("ceiling", "0.95")]


@pytest.mark.django_db
def test_contract_cost_snapshot__activations_reach_90_percent__told_once_in_the_same_transaction():
    # Given a contract whose ceiling holds 10 seats ($10 each), floor $50, and a running cohort
    contract = contract_with_room(10)
    contract.floor_amount = D(50)
    contract.save(update_fields=["floor_amount"])
    cohort = running_cohort(contract=contract, seat_quota=10)
    seats = [
        seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)
        for _ in range(9)
    ]

    # When 5, then 9 seats are active, a snapshot written after each, and one more snapshot
    for seat in seats[:5]:
        seat_activate(seat=seat)
    contract_cost_snapshot(contract=contract)
    for seat in seats[5:]:
        seat_activate(seat=seat)
    first = contract_cost_snapshot(contract=contract)
    contract_cost_snapshot(contract=contract)

    # Then the floor was told at 5 seats, 80% and 90% at 9, and the repeat told nothing
    assert crossings() == [("floor", "1.00"), ("ceiling", "0.80"), ("ceiling", "0.90")]
    last = Event.objects.filter(type="cost.threshold_crossed").last()
    assert last.payload["snapshot"] == first.pk
    assert last.payload["projected_total"] == "90.00"
    assert last.payload["headroom_seats"] == 1
