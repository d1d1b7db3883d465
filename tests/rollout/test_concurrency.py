"""Races on PostgreSQL: many connections activating at the same moment must never overfill a
cohort's quota, cross the contract's ceiling, or give one employee two seats.

Each racer is a thread with its own database connection (closed when it ends), released
together by a barrier. These need real row locks, so they run only on PostgreSQL."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from config.errors import BusinessRuleError
from licensing.models import Seat, SeatEvent
from licensing.services.seats import seat_activate, seat_approve, seat_request
from rollout.services import activation, cohort_activate
from tests.factories import EmployeeFactory
from tests.rollout.builders import contract_with_room, running_cohort

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 50


def race(n: int, work) -> list[str]:
    """Run `work(i)` in n threads started together; each result is "ok", a refusal's code, or
    the error that should not have happened."""
    barrier = threading.Barrier(n)
    results: list[str] = [""] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(i)
            results[i] = "ok"
        except BusinessRuleError as exc:
            results[i] = exc.code
        except Exception as exc:  # a deadlock or an integrity error would land here
            results[i] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a racer is stuck"
    return results


def approved_seats(cohort, n: int) -> list[Seat]:
    contract = cohort.wave.contract
    return [
        seat_approve(
            seat=seat_request(
                employee=EmployeeFactory(agency=cohort.agency), contract=contract, cohort=cohort
            )
        )
        for _ in range(n)
    ]


def assert_one_event_per_activation(cohort, active: int) -> None:
    assert Seat.objects.filter(cohort=cohort, status="active").count() == active
    assert SeatEvent.objects.filter(seat__cohort=cohort, to_status="active").count() == active


def test_seat_activate__50_racers_quota_of_10__exactly_10_active():
    # Given 50 approved seats in a cohort whose quota is 10
    cohort = running_cohort(seat_quota=10)
    seats = approved_seats(cohort, RACERS)

    # When 50 connections activate them at the same moment
    results = race(RACERS, lambda i: seat_activate(seat=seats[i]))

    # Then exactly 10 succeed and the other 40 are refused for the quota
    assert Counter(results) == {"ok": 10, "quota_full": 40}
    assert_one_event_per_activation(cohort, 10)


def test_seat_activate__50_racers_ceiling_room_for_10__exactly_10_active():
    # Given 50 approved seats, a roomy quota, and a ceiling with room for exactly 10 seats
    cohort = running_cohort(contract=contract_with_room(10), seat_quota=100)
    seats = approved_seats(cohort, RACERS)

    # When 50 connections activate them at the same moment
    results = race(RACERS, lambda i: seat_activate(seat=seats[i]))

    # Then exactly 10 succeed and the rest are refused at the ceiling
    assert Counter(results) == {"ok": 10, "ceiling_reached": 40}
    assert_one_event_per_activation(cohort, 10)


def test_seat_request_and_activate__same_employee_twice_at_once__one_open_seat():
    # Given one employee
    cohort = running_cohort()
    employee = EmployeeFactory(agency=cohort.agency)
    contract = cohort.wave.contract

    def request_and_activate(i):
        seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))

    # When two connections request and activate a seat for them at the same moment
    results = race(2, request_and_activate)

    # Then one wins and the other is told the seat exists: one open seat, active, one event
    assert sorted(results) == ["ok", "seat_exists"]
    open_seats = Seat.objects.filter(employee=employee).exclude(status="revoked")
    assert [s.status for s in open_seats] == ["active"]
    assert SeatEvent.objects.filter(seat__employee=employee, to_status="active").count() == 1


def test_cohort_activate__two_jobs_at_once__no_duplicates_not_over_quota(monkeypatch):
    # Given 30 trained employees, a quota of 20, and small batches so the jobs interleave
    monkeypatch.setattr(activation, "BATCH_SIZE", 7)
    cohort = running_cohort(seat_quota=20)
    EmployeeFactory.create_batch(30, agency=cohort.agency)
    jobs = [None, None]

    def run_job(i):
        jobs[i] = cohort_activate(cohort=cohort)

    # When two activation jobs run on the cohort at the same moment
    results = race(2, run_job)

    # Then both finish, between them they activated exactly the quota, and nobody twice
    assert results == ["ok", "ok"]
    assert sum(job.outcome["activated"] for job in jobs) == 20
    assert_one_event_per_activation(cohort, 20)
    per_employee = Seat.objects.values("employee").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_employee.exists()
