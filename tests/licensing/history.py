"""Builders for seat histories at chosen past moments, for cost tests. The services stamp events
with the current time; billing rules are about past days, so these write the rows directly, the
way a history would have been written, keeping `Seat.status` equal to the last event."""

import datetime as dt
from zoneinfo import ZoneInfo

from licensing.models import Seat, SeatEvent, UsageDay
from tests.factories import EmployeeFactory

NY = ZoneInfo("America/New_York")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon (by default) of a local calendar day."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NY)


def seat_with_history(contract, agency, steps, *, cohort=None, employee=None) -> Seat:
    """A seat whose events are `steps`: (aware datetime or date, to_status) in order, for a new
    employee of `agency` or, for a replacement seat, the `employee` given."""
    employee = employee or EmployeeFactory(agency=agency)
    steps = [
        (at(when) if not isinstance(when, dt.datetime) else when, status) for when, status in steps
    ]
    seat = Seat.objects.create(
        contract=contract,
        employee=employee,
        agency=agency,
        cohort=cohort,
        status=steps[-1][1],
        status_changed_at=steps[-1][0],
        activated_at=max((w for w, s in steps if s == "active"), default=None),
    )
    previous, since = "", None
    events = []
    for when, status in steps:
        events.append(
            SeatEvent.for_seat(
                seat,
                from_status=previous,
                from_at=since,
                to_status=status,
                at=when,
                reason="test",
            )
        )
        previous, since = status, when
    SeatEvent.objects.bulk_create(events)
    return seat


def active_seats(contract, agency, n, since: dt.date, *, cohort=None, until=None) -> list[Seat]:
    """`n` seats active from `since` (and suspended on `until` when given)."""
    steps = [(since, "active")] + ([(until, "suspended")] if until else [])
    return [seat_with_history(contract, agency, steps, cohort=cohort) for _ in range(n)]


def usage(seat, *days):
    UsageDay.objects.bulk_create(UsageDay(seat=seat, date=d, messages=3) for d in days)
