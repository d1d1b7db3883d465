"""Query counts of the list endpoints do not grow with the number of rows: the count measured with
a handful of rows is the ceiling (`django_assert_max_num_queries`) once there are 100+."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Employee
from config.roles import AGENCY_COORDINATOR, API_READER, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import Seat, SeatEvent, UsageDay
from tests.factories import AgencyFactory, CohortFactory, UserFactory

LISTS = [
    "/api/v1/agencies/",
    "/api/v1/bargaining-units/",
    "/api/v1/employees/",
    "/api/v1/waves/",
    "/api/v1/cohorts/",
    "/api/v1/seats/",
    "/api/v1/seat-events/",
    "/api/v1/usage-days/",
    "/api/v1/contracts/",
    "/api/v1/contracts/{contract}/periods/",
]


def _grow(world, n: int = 110):
    """`n` more employees (in bargaining units) with approved seats whose events name an actor,
    usage days, and more agencies, cohorts, units and jobs: written in bulk, as a history."""
    from tests.factories import BargainingUnitFactory

    actor = UserFactory(username="approver")
    units = BargainingUnitFactory.create_batch(12)
    agency, contract, cohort = world["agency_a"], world["contract"], world["cohort_a"]
    people = Employee.objects.bulk_create(
        Employee(
            employee_number=f"Q{i:05d}",
            email=f"q{i}@example.gov",
            first_name="Q",
            last_name=f"Person {i}",
            agency=agency,
            bargaining_unit=units[i % len(units)],
        )
        for i in range(n)
    )
    seats = Seat.objects.bulk_create(
        Seat(contract=contract, employee=p, agency=agency, cohort=cohort, status="approved")
        for p in people
    )
    asked, approved = timezone.now() - dt.timedelta(days=2), timezone.now() - dt.timedelta(days=1)
    SeatEvent.objects.bulk_create(
        event
        for seat in seats
        for event in (
            SeatEvent.for_seat(seat, to_status="requested", at=asked),
            SeatEvent.for_seat(
                seat,
                from_status="requested",
                from_at=asked,
                to_status="approved",
                at=approved,
                actor=actor,
                reason="grow",
            ),
        )
    )
    UsageDay.objects.bulk_create(UsageDay(seat=s, date=dt.date(2026, 3, 3)) for s in seats)
    for i in range(12):
        CohortFactory(wave=world["wave"], agency=AgencyFactory(code=f"QC{i:02d}"))
        Job.objects.create(kind="cohort_activation", cohort=cohort)


@pytest.mark.parametrize("who", [ROLLOUT_MANAGER, AGENCY_COORDINATOR, API_READER])
@pytest.mark.parametrize("path", LISTS)
def test_query_counts__list_endpoint__same_at_10_and_100_plus_rows(
    clients, world, django_assert_max_num_queries, who, path
):
    # Given the query count of a list with the world's few rows
    client = clients[who]
    url = path.format(contract=world["contract"].pk)
    if who == AGENCY_COORDINATOR and "periods" in url:
        pytest.skip("coordinators may not read billing lines")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    # When 100+ more rows exist
    _grow(world)

    # Then the same number of queries answers the (now larger) page
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
