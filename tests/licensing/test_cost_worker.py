"""The cost job on the real stack: Redis as broker and cache, a live Celery worker, PostgreSQL.
`.ci/run` starts the worker against the test database; elsewhere these tests skip."""

import time

import pytest
from django.utils import timezone

from agencies.models import Employee
from licensing.models import CostSnapshot, Seat, SeatEvent
from licensing.services.cost import contract_cost_report, today
from licensing.services.seats import seat_activate
from tests.factories import CohortFactory, ContractFactory, EmployeeFactory, WaveFactory

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_for_quiet_snapshots(contract, timeout=90):
    """Wait until the worker has written a snapshot and no new one came for a few seconds."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = CostSnapshot.objects.filter(contract=contract).count()
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif count and time.monotonic() - quiet_since > 8:
            return count
        time.sleep(0.5)
    raise AssertionError(f"the worker wrote {seen} snapshot(s) and did not settle in {timeout}s")


def test_cost_worker__burst_of_1000_activations__at_most_two_recomputes_equal_to_truth():
    # Given an in-progress wave with room for 1,000 seats and 1,000 requested seats
    contract = ContractFactory(start_date=today().replace(day=1))
    wave = WaveFactory(
        contract=contract,
        status="in_progress",
        planned_start=contract.start_date,
        planned_end=contract.end_date,
    )
    cohort = CohortFactory(wave=wave, seat_quota=1000)
    employees = Employee.objects.bulk_create(
        EmployeeFactory.build(agency=cohort.agency) for _ in range(1000)
    )
    seats = Seat.objects.bulk_create(
        Seat(contract=contract, employee=e, agency=cohort.agency, status="requested")
        for e in employees
    )
    SeatEvent.objects.bulk_create(
        SeatEvent.for_seat(s, to_status="requested", at=timezone.now()) for s in seats
    )
    before = CostSnapshot.objects.filter(contract=contract).count()

    # When 1,000 activations commit one by one, each queuing a recompute on commit
    for seat in seats:
        seat_activate(seat=seat)

    # Then the worker coalesced them into at most two recomputations
    after = _wait_for_quiet_snapshots(contract)
    assert 1 <= after - before <= 2
    # And the latest snapshot equals a from-scratch recomputation
    latest = CostSnapshot.objects.filter(contract=contract).latest()
    assert latest.active_seats == 1000
    assert latest.report == contract_cost_report(contract=contract).as_json()
