"""A recompute reads a contract in the same statements whatever its size (the cost engine's
O(1) promise, kept through the amended rules): ten times the seats, replacement seats, usage and
plan history cost no extra query, on either billing basis. And a recompute that changes no
figure writes nothing but its snapshot."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.services.cost import contract_cost_snapshot
from notifications.models import CostThresholdState
from tests.factories import AgencyFactory, CohortFactory, ContractFactory, WaveFactory
from tests.licensing.history import seat_with_history, usage

AS_OF = dt.date(2026, 4, 20)
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def _contract(basis: str):
    return ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        floor_amount=D("0"),
        ceiling_amount=D("100000"),
        min_billable_seats=0,
        billing_basis=basis,
        tiers=[(1, 50, "10"), (51, None, "8")],
    )


def _grow(contract, people: int, agencies, waves: int):
    """`people` persons over the agencies, every fifth with a replacement seat in the same
    period, every third suspended and back, each with usage days; and `waves` waves of two
    cohorts, each cohort's quota changed once."""
    for i in range(people):
        agency = agencies[i % len(agencies)]
        start = dt.date(2026, 1 + i % 3, 2 + i % 20)
        steps = [(start, "active")]
        if i % 3 == 0:
            steps += [(start + dt.timedelta(days=9), "suspended")]
            steps += [(start + dt.timedelta(days=15), "active")]
        seat = seat_with_history(contract, agency, steps)
        usage(seat, start, start + dt.timedelta(days=1), dt.date(2026, 4, 14))
        if i % 5 == 0:
            old = seat_with_history(
                contract,
                agency,
                [(start - dt.timedelta(days=1), "active"), (start, "revoked")],
                employee=seat.employee,
            )
            usage(old, start - dt.timedelta(days=1))
    for w in range(waves):
        wave = WaveFactory(
            contract=contract,
            status="planned",
            planned_start=dt.date(2026, 6, 1),
            planned_end=dt.date(2026, 7, 31),
        )
        for c in range(2):
            cohort = CohortFactory(
                wave=wave, agency=agencies[(w + c) % len(agencies)], seat_quota=10 + c
            )
            cohort.seat_quota += 5
            cohort.save()


def _statements(contract) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        contract_cost_snapshot(contract=contract, as_of=AS_OF)
    return [
        q["sql"].split()[0]
        for q in ctx.captured_queries
        if q["sql"].split()[0] not in _TRANSACTION_CONTROL
    ]


@pytest.mark.parametrize("basis", ["assigned", "engaged"])
def test_recompute__ten_times_the_data__same_statements(db, basis):
    # Given a contract with 6 persons over 2 agencies and 1 wave, recomputed once (the first
    # recompute also writes the billing lines of the closed periods)
    agencies = [AgencyFactory(), AgencyFactory()]
    contract = _contract(basis)
    _grow(contract, 6, agencies, waves=1)
    contract_cost_snapshot(contract=contract, as_of=AS_OF)
    small = _statements(contract)

    # When it grows tenfold: 60 more persons over 4 more agencies, 9 more waves
    agencies += [AgencyFactory() for _ in range(4)]
    _grow(contract, 60, agencies, waves=9)
    large = _statements(contract)

    # Then the recompute runs as many statements, of the same kinds in the same order, and still
    # counts what was added
    assert large == small
    snapshot = contract.snapshots.order_by("-id").first()
    assert snapshot.active_seats == 66
    assert len(snapshot.inputs["planned_cohorts"]) == 20


def test_recompute__nothing_changed__threshold_state_not_rewritten(db):
    # Given a contract recomputed once today
    contract = _contract("assigned")
    _grow(contract, 3, [AgencyFactory()], waves=0)
    contract_cost_snapshot(contract=contract, as_of=AS_OF)
    state = CostThresholdState.objects.get(contract=contract)

    # When it is recomputed again with nothing changed
    statements = _statements(contract)

    # Then the only write is the snapshot: the alert state is read (and locked), not rewritten
    assert [s for s in statements if s != "SELECT"] == ["INSERT"]
    assert CostThresholdState.objects.get(contract=contract).updated_at == state.updated_at
