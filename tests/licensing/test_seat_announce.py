"""Every seat change that commits is told through the outbox once, and only such changes."""

from __future__ import annotations

import pytest

from config.errors import BusinessRuleError
from core.models import Event
from licensing.services.seats import seat_activate, seat_request, seat_revoke, seat_suspend
from rollout.services import cohort_activate
from tests.factories import EmployeeFactory
from tests.rollout.builders import manager, running_cohort

pytestmark = pytest.mark.django_db


def _changes(seat_id=None):
    events = Event.objects.filter(type="seat.status_changed").order_by("id")
    if seat_id is not None:
        events = events.filter(subject=f"seat:{seat_id}")
    return [(e.payload["from_status"], e.payload["to_status"]) for e in events]


def test_seat_lifecycle__each_change__one_outbox_event_with_ids_not_names():
    # Given a seat requested, activated, suspended and revoked
    cohort = running_cohort(seat_quota=5)
    employee = EmployeeFactory(agency=cohort.agency)
    boss = manager()
    seat = seat_request(employee=employee, contract=cohort.wave.contract, cohort=cohort)
    seat_activate(seat=seat, actor=boss)
    seat_suspend(seat=seat, actor=boss, reason="idle")
    seat_revoke(seat=seat, actor=boss, reason="left")

    # Then the outbox holds the four changes in order, scoped to the seat's agency
    assert _changes(seat.pk) == [
        ("", "requested"),
        ("requested", "active"),
        ("active", "suspended"),
        ("suspended", "revoked"),
    ]
    last = Event.objects.filter(subject=f"seat:{seat.pk}").last()
    assert last.agency_ids == [cohort.agency_id]
    assert last.actor == boss
    assert last.payload["employee"] == employee.pk
    assert employee.email not in str(last.payload)


def test_seat_activate__refused__no_outbox_event():
    # Given a cohort whose quota is used up
    cohort = running_cohort(seat_quota=0)
    seat = seat_request(
        employee=EmployeeFactory(agency=cohort.agency), contract=cohort.wave.contract, cohort=cohort
    )

    with pytest.raises(BusinessRuleError):
        seat_activate(seat=seat, actor=manager())

    # Then only the request was told
    assert _changes(seat.pk) == [("", "requested")]


def test_cohort_activate__bulk__one_event_per_seat():
    cohort = running_cohort(seat_quota=3)
    EmployeeFactory.create_batch(5, agency=cohort.agency, training_completed_on="2026-01-01")

    job = cohort_activate(cohort=cohort, actor=manager())

    assert job.outcome["activated"] == 3
    assert _changes().count(("", "active")) == 3
