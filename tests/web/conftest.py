"""Fixtures of the web-page tests: a user per role (the coordinator acts for agency AGA only), a
small world with a history of seat events at fixed days, and "today" pinned to the demo's as-of
day so the figures do not depend on the calendar the suite runs on."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from agencies.models import CoordinatorAgency, Employee
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLES, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import BillingPeriod, Seat, SeatEvent
from tests.factories import (
    AgencyFactory,
    CohortFactory,
    ContractFactory,
    ReadinessCheckFactory,
    UserFactory,
    WaveFactory,
)

TODAY = dt.date(2026, 11, 29)
PASSWORD = "pw-for-tests-only"
ROLE_USERS = {
    ROLLOUT_MANAGER: "manager",
    FINANCE: "finance",
    AGENCY_COORDINATOR: "coordinator",
    API_READER: "reader",
}


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    """`timezone.localdate()` answers TODAY: the cost engine, the selectors and the pages all
    read the day through it."""
    original = timezone.localdate

    def localdate(value=None, timezone=None):
        if value is None:
            return TODAY
        return original(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def make_user(username: str, role: str | None, agencies=()):
    user = UserFactory(username=username)
    if role is not None:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    for agency in agencies:
        CoordinatorAgency.objects.create(user=user, agency=agency)
    return user


def seat_history(employee, contract, cohort, events: list[tuple[str, dt.date]]) -> Seat:
    """A seat whose status changes are `events` [(to_status, day)], written as its event log."""
    last_status, last_day = events[-1]
    seat = Seat.objects.create(
        contract=contract,
        employee=employee,
        agency=employee.agency,
        cohort=cohort,
        status=last_status,
        status_changed_at=at(last_day),
        activated_at=at(next((d for s, d in events if s == "active"), last_day))
        if any(s == "active" for s, _ in events)
        else None,
        last_active_at=at(TODAY - dt.timedelta(days=2)) if last_status == "active" else None,
    )
    previous, previous_at = "", None
    for status, day in events:
        SeatEvent.for_seat(
            seat,
            from_status=previous,
            from_at=previous_at,
            to_status=status,
            at=at(day),
            reason="test history",
        ).save()
        previous, previous_at = status, at(day)
    return seat


def people(agency, n: int, prefix: str, **extra) -> list[Employee]:
    return Employee.objects.bulk_create(
        Employee(
            employee_number=f"{prefix}{i:04d}",
            email=f"{prefix.lower()}{i}@example.gov",
            first_name=f"First{prefix}{i}",
            last_name=f"Last{prefix}{i:04d}",
            agency=agency,
            job_title="Analyst",
            training_completed_on=dt.date(2026, 1, 15),
            policy_acknowledged_on=dt.date(2026, 1, 15),
            **extra,
        )
        for i in range(n)
    )


@pytest.fixture
def world(db):
    """The demo contract's terms; agencies AGA (headcount 120), AGB (80) and AGC (in no wave);
    wave 1 in progress (cohorts AGA quota 50 and AGB quota 30, onboarded in March), wave 2
    planned (cohort AGA quota 40 in January, its gates open). AGA has 60 employees, four with an
    active seat since March, one requested and one held; AGB has 3 with an active seat. One
    closed billing line and one finished job for AGA's cohort."""
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    contract = ContractFactory()
    agency_a = AgencyFactory(code="AGA", name="Agency Alpha", headcount=120)
    agency_b = AgencyFactory(code="AGB", name="Agency Bravo", headcount=80)
    agency_c = AgencyFactory(code="AGC", name="Agency Charlie", headcount=40)
    wave1 = WaveFactory(
        contract=contract,
        number=1,
        name="First",
        status="in_progress",
        planned_start=dt.date(2026, 3, 1),
        planned_end=dt.date(2026, 12, 31),
    )
    wave2 = WaveFactory(
        contract=contract,
        number=2,
        name="Second",
        status="planned",
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 2, 5),
    )
    cohort_a = CohortFactory(
        wave=wave1, agency=agency_a, seat_quota=50, onboarding_date=dt.date(2026, 3, 2),
        status="onboarding",
    )  # fmt: skip
    cohort_b = CohortFactory(
        wave=wave1, agency=agency_b, seat_quota=30, onboarding_date=dt.date(2026, 3, 9),
        status="onboarding",
    )  # fmt: skip
    cohort_a2 = CohortFactory(
        wave=wave2, agency=agency_a, seat_quota=40, onboarding_date=dt.date(2027, 1, 11)
    )
    ReadinessCheckFactory(cohort=cohort_a2, kind="privacy_review")
    staff_a = people(agency_a, 60, "A")
    staff_b = people(agency_b, 3, "B")
    people(agency_c, 2, "C")
    march = [("requested", dt.date(2026, 3, 2)), ("approved", dt.date(2026, 3, 3))]
    for employee in staff_a[:4]:
        seat_history(employee, contract, cohort_a, [*march, ("active", dt.date(2026, 3, 4))])
    seat_history(staff_a[4], contract, cohort_a, [("requested", dt.date(2026, 11, 20))])
    seat_history(staff_a[5], contract, cohort_a, [("held", dt.date(2026, 11, 21))])
    for employee in staff_b:
        seat_history(employee, contract, cohort_b, [*march, ("active", dt.date(2026, 3, 10))])
    # The seat changes above recomputed the cost (eager Celery), which wrote the line of every
    # period over by today; the first is set to known figures.
    line, _ = BillingPeriod.objects.update_or_create(
        contract=contract,
        start=dt.date(2026, 2, 13),
        defaults={
            "end": dt.date(2026, 3, 12),
            "billable_persons": 7,
            "charged_seats": 10_000,
            "unit_price": Decimal("13"),
            "amount": Decimal("130000.00"),
            "unallocated_amount": Decimal("130000.00"),
            "explanation": "7 billable persons, charged at the 10,000-seat minimum.",
        },
    )
    job = Job.objects.create(
        kind="cohort_activation",
        status="succeeded",
        cohort=cohort_a,
        subject="AGA in wave 1",
        done=4,
        total=4,
    )
    return {
        "contract": contract,
        "agency_a": agency_a,
        "agency_b": agency_b,
        "agency_c": agency_c,
        "wave1": wave1,
        "wave2": wave2,
        "cohort_a": cohort_a,
        "cohort_b": cohort_b,
        "cohort_a2": cohort_a2,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "line": line,
        "job": job,
    }


@pytest.fixture
def users(world):
    out = {role: make_user(name, role) for role, name in ROLE_USERS.items()}
    CoordinatorAgency.objects.create(user=out[AGENCY_COORDINATOR], agency=world["agency_a"])
    out["no_role"] = make_user("nobody", None)
    return out


@pytest.fixture
def login(client, users):
    """Log the test client in as a role (or `no_role`) and return it."""

    def as_role(role: str):
        client.force_login(users[role])
        return client

    return as_role


def figures(html: str, attribute: str = "data-figure") -> dict[str, str]:
    """The `data-value` of every element carrying `attribute`, keyed by its value."""
    pattern = re.compile(rf'{attribute}="([^"]*)"[^>]*?data-value="([^"]*)"')
    return {unescape(k): unescape(v) for k, v in pattern.findall(html)}
