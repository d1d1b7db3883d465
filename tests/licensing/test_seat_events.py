"""Seat events written with only the design's fields (seat, statuses, times) still carry their
seat's contract, agency and cohort, which billing reads them by."""

import datetime as dt

import pytest

from licensing.models import Seat, SeatEvent
from licensing.selectors import contract_cost_inputs
from tests.factories import AgencyFactory, CohortFactory, ContractFactory, EmployeeFactory
from tests.licensing.history import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def seat(db):
    contract = ContractFactory(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30))
    agency = AgencyFactory(code="DOR")
    cohort = CohortFactory(wave__contract=contract, agency=agency)
    return Seat.objects.create(
        contract=contract,
        employee=EmployeeFactory(agency=agency),
        agency=agency,
        cohort=cohort,
        status="suspended",
        status_changed_at=at(dt.date(2026, 3, 10)),
    )


def test_seat_event__created_or_bulk_created_without_the_copies__filled_from_the_seat(seat):
    # Given a seat's history written the plain way: one event saved, two in bulk
    SeatEvent.objects.create(seat=seat, to_status="active", at=at(dt.date(2026, 2, 2)))
    SeatEvent.objects.bulk_create(
        [
            SeatEvent(
                seat=seat,
                from_status="active",
                from_at=at(dt.date(2026, 2, 2)),
                to_status="suspended",
                at=at(dt.date(2026, 3, 10)),
            )
        ]
    )

    # Then every event carries the seat's contract, agency and cohort
    assert set(SeatEvent.objects.values_list("contract_id", "agency_id", "cohort_id")) == {
        (seat.contract_id, seat.agency_id, seat.cohort_id)
    }
    # And billing counts the seat in February and March (active 2 Feb to 10 Mar), not after
    inputs = contract_cost_inputs(seat.contract, dt.date(2026, 4, 15), cohorts=())
    assert {k: dict(v) for k, v in inputs.billable.items() if v} == {
        1: {"DOR": 1},
        2: {"DOR": 1},
    }


def test_seat_event__from_at_left_out__taken_from_the_previous_event(seat):
    # Given a history written without `from_at`: the first event saved, the next two in bulk
    SeatEvent.objects.create(seat=seat, to_status="requested", at=at(dt.date(2026, 1, 20)))
    SeatEvent.objects.bulk_create(
        [
            SeatEvent(
                seat=seat, from_status="requested", to_status="active", at=at(dt.date(2026, 2, 2))
            ),
            SeatEvent(
                seat=seat, from_status="active", to_status="suspended", at=at(dt.date(2026, 3, 10))
            ),
        ]
    )

    # Then each event says when the seat entered the state it leaves
    assert list(SeatEvent.objects.order_by("at").values_list("from_at", flat=True)) == [
        None,
        at(dt.date(2026, 1, 20)),
        at(dt.date(2026, 2, 2)),
    ]


def test_plain_history__active_seat__billed_from_its_activation_not_from_now(db):
    # Given a seat written the plain way: the row (its status_changed_at left to default to
    # now), then its events, the last one activating it on 2 February
    contract = ContractFactory(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30))
    agency = AgencyFactory(code="DOR")
    seat = Seat.objects.create(
        contract=contract, employee=EmployeeFactory(agency=agency), agency=agency, status="active"
    )
    SeatEvent.objects.bulk_create(
        [
            SeatEvent(seat=seat, to_status="requested", at=at(dt.date(2026, 1, 20))),
            SeatEvent(
                seat=seat, from_status="requested", to_status="active", at=at(dt.date(2026, 2, 2))
            ),
        ]
    )

    # Then the seat is active since that event, and billable from February to April
    seat.refresh_from_db()
    assert seat.status_changed_at == at(dt.date(2026, 2, 2))
    inputs = contract_cost_inputs(contract, dt.date(2026, 4, 15), cohorts=())
    assert sorted(k for k, v in inputs.billable.items() if v) == [1, 2, 3]
    assert inputs.active_by_cohort == {None: 1}
