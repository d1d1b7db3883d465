"""The active-seat tally that PostgreSQL billing reads instead of every active seat: its triggers
follow every way seats are written, and a rebuild folds and heals it without changing a figure."""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from licensing.models import ActiveSeatTally, Seat
from licensing.selectors import contract_cost_inputs
from licensing.services.seats import (
    seat_activate,
    seat_request,
    seat_suspend,
    seats_activate_bulk,
    seats_move_bulk,
)
from licensing.services.tally import active_tally_rebuild
from rollout.models import Cohort
from tests.factories import EmployeeFactory
from tests.rollout.builders import running_cohort

pytestmark = pytest.mark.postgres


def _tally(contract) -> Counter:
    """(agency, cohort, day) -> active seats, summed over the tally's delta rows."""
    rows = (
        ActiveSeatTally.objects.filter(contract_id=contract.pk)
        .values_list("agency_id", "cohort_id", "since_day")
        .annotate(n=Sum("seats"))
    )
    return Counter({(a, c, d): n for a, c, d, n in rows if n})


def _recount(contract) -> Counter:
    """The same, counted the obvious way from the seats."""
    return Counter(
        (s.agency_id, s.cohort_id, timezone.localtime(s.status_changed_at).date())
        for s in Seat.objects.filter(contract=contract, status="active")
    )


@pytest.fixture
def cohort(db):
    return running_cohort(seat_quota=50)


def test_tally__services_bulk_writes_and_raw_updates__always_equal_the_seats(cohort):
    contract = cohort.wave.contract
    people = EmployeeFactory.create_batch(12, agency=cohort.agency)
    other = Cohort.objects.get(pk=running_cohort(contract=contract, seat_quota=50).pk)
    # Given seats activated one by one, in bulk, suspended, and changed behind the services' back
    single = [seat_request(contract=contract, employee=p, cohort=cohort) for p in people[:4]]
    for seat in single:
        seat_activate(seat=seat)
    seats_activate_bulk(cohort=cohort, employees=people[4:10])
    seat_suspend(seat=single[0])
    seats_move_bulk(seats=Seat.objects.filter(pk=single[1].pk), to_status="revoked")
    Seat.objects.filter(pk=single[2].pk).update(cohort=other)
    Seat.objects.filter(pk=single[3].pk).update(
        status_changed_at=timezone.now() - dt.timedelta(days=3)
    )

    # Then the tally says what the seats say: 8 active, keyed by agency, cohort and day
    assert _tally(contract) == _recount(contract)
    assert sum(_recount(contract).values()) == 8


def test_tally_rebuild__after_many_writes__one_row_per_key_and_the_same_costs(cohort):
    contract = cohort.wave.contract
    people = EmployeeFactory.create_batch(6, agency=cohort.agency)
    for person in people:
        seat_activate(seat=seat_request(contract=contract, employee=person, cohort=cohort))
    today = timezone.localdate()
    before = contract_cost_inputs(contract, today, cohorts=())
    assert ActiveSeatTally.objects.filter(contract_id=contract.pk).count() > 1

    # When the safety net folds the deltas
    active_tally_rebuild(contract_id=contract.pk)

    # Then one row stands for the six seats activated today, and every count is unchanged
    assert list(
        ActiveSeatTally.objects.filter(contract_id=contract.pk).values_list("since_day", "seats")
    ) == [(today, 6)]
    assert contract_cost_inputs(contract, today, cohorts=()) == before


def test_tally_rebuild__tally_lost__costs_healed(cohort):
    contract = cohort.wave.contract
    people = EmployeeFactory.create_batch(3, agency=cohort.agency)
    seats_activate_bulk(cohort=cohort, employees=people)
    today = timezone.localdate()
    # Given a tally emptied by hand (as after a restore that left it out)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM licensing_activeseattally")
    assert contract_cost_inputs(contract, today, cohorts=()).active_by_cohort == {}

    # When it is rebuilt, the three active seats count again
    active_tally_rebuild(contract_id=contract.pk)
    assert contract_cost_inputs(contract, today, cohorts=()).active_by_cohort == {cohort.pk: 3}
