"""Bargaining holds: a unit's status decides whether its members' seats are held."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.services import bargaining_unit_set_status
from config.errors import BusinessRuleError
from licensing.models import Seat, SeatEvent
from licensing.services.seats import seat_activate, seat_approve, seat_request
from tests.factories import BargainingUnitFactory, EmployeeFactory
from tests.rollout.builders import running_cohort


@pytest.fixture
def nage(db):
    return BargainingUnitFactory(code="NAGE-U6", union="NAGE")


def member_seat(unit, contract, cohort, *, approve=False, actor=None):
    seat = seat_request(
        employee=EmployeeFactory(agency=cohort.agency, bargaining_unit=unit),
        contract=contract,
        cohort=cohort,
    )
    return seat_approve(seat=seat, actor=actor) if approve else seat


@pytest.mark.parametrize("status", ["demand_filed", "bargaining", "impasse"])
def test_bargaining_unit_set_status__holding__requested_and_approved_seats_held(
    nage, rollout_manager, status
):
    # Given NAGE members with a requested and an approved seat, and a non-member's seat
    cohort = running_cohort()
    contract = cohort.wave.contract
    requested = member_seat(nage, contract, cohort)
    approved = member_seat(nage, contract, cohort, approve=True)
    other = seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)

    # When the union files a demand to bargain (or bargains, or reaches impasse)
    unit = bargaining_unit_set_status(
        unit=nage, status=status, actor=rollout_manager, reason="Letter of 3 March"
    )

    # Then the unit records the change, and its members' seats are held, one event each
    assert unit.bargaining_status == status
    assert unit.status_changed_at is not None
    for seat, was in ((requested, "requested"), (approved, "approved")):
        seat.refresh_from_db()
        assert seat.status == "held"
        last = seat.events.order_by("at", "id").last()
        assert (last.from_status, last.to_status, last.actor) == (was, "held", rollout_manager)
        assert "NAGE-U6 (NAGE)" in last.reason
        assert last.reason.endswith("Letter of 3 March")
    # And the non-member's seat is untouched
    other.refresh_from_db()
    assert other.status == "requested"


def test_bargaining_unit_set_status__agreement__held_seats_back_to_requested(nage, rollout_manager):
    # Given a unit bargaining, with a held seat and a seat activated under an override
    cohort = running_cohort()
    contract = cohort.wave.contract
    nage = bargaining_unit_set_status(unit=nage, status="bargaining", actor=rollout_manager)
    held = member_seat(nage, contract, cohort)
    assert held.status == "held"
    overridden = seat_activate(
        seat=member_seat(nage, contract, cohort),
        actor=rollout_manager,
        override=True,
        reason="Commissioner's office pilot",
    )

    # When the parties reach agreement
    bargaining_unit_set_status(unit=nage, status="agreement", actor=rollout_manager)

    # Then the held seat returns to requested with an event; the active seat stays active
    held.refresh_from_db()
    overridden.refresh_from_db()
    assert held.status == "requested"
    assert overridden.status == "active"
    last = held.events.order_by("at", "id").last()
    assert (last.from_status, last.to_status) == ("held", "requested")
    assert "Agreement reached" in last.reason


def test_bargaining_unit_set_status__same_status_again__no_new_events(nage, rollout_manager):
    # Given a unit already bargaining with a held seat
    cohort = running_cohort()
    nage = bargaining_unit_set_status(unit=nage, status="bargaining", actor=rollout_manager)
    member_seat(nage, cohort.wave.contract, cohort)
    nage.refresh_from_db()
    changed_at = nage.status_changed_at
    events = SeatEvent.objects.count()

    # When the same status is set again
    bargaining_unit_set_status(unit=nage, status="bargaining", actor=rollout_manager)

    # Then nothing moves and the change time stays
    nage.refresh_from_db()
    assert nage.status_changed_at == changed_at
    assert SeatEvent.objects.count() == events


def test_bargaining_unit_set_status__unknown_status__refused(nage, rollout_manager):
    with pytest.raises(BusinessRuleError) as refused:
        bargaining_unit_set_status(unit=nage, status="strike", actor=rollout_manager)
    assert refused.value.code == "invalid_status"


def _members_with_seats(unit, cohort, n):
    people = EmployeeFactory.create_batch(n, agency=cohort.agency, bargaining_unit=unit)
    Seat.objects.bulk_create(
        Seat(contract=cohort.wave.contract, employee=e, agency=e.agency, status="requested")
        for e in people
    )


def test_bargaining_unit_set_status__many_seats__queries_do_not_grow_with_seats(
    rollout_manager,
):
    # Given a unit with 3 members' seats and another with 60 (one bulk batch even on SQLite,
    # whose 999-parameter limit splits bulk inserts of 13-column events past 76 rows)
    cohort = running_cohort()
    small, large = BargainingUnitFactory(), BargainingUnitFactory()
    _members_with_seats(small, cohort, 3)
    _members_with_seats(large, cohort, 60)

    # When each starts bargaining
    counts = []
    for unit in (small, large):
        with CaptureQueriesContext(connection) as queries:
            bargaining_unit_set_status(unit=unit, status="bargaining", actor=rollout_manager)
        counts.append(len(queries))

    # Then both take the same number of queries, and every seat got exactly one event
    assert counts[0] == counts[1]
    assert Seat.objects.filter(status="held").count() == 63
    assert SeatEvent.objects.filter(to_status="held").count() == 63
