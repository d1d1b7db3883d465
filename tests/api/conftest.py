"""Fixtures of the API tests: users in each role (a coordinator of agency A), clients that
authenticate with a real hashed API key, and a small world with two agencies (A and B), one
contract, a running wave with a cohort for each, employees and seats on both sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from agencies.models import CoordinatorAgency, UserAPIKey
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLES, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import BillingPeriod, UsageDay
from licensing.services.seats import seat_request
from tests.factories import (
    AgencyFactory,
    BargainingUnitFactory,
    CohortFactory,
    ContractFactory,
    EmployeeFactory,
    UserFactory,
    WaveFactory,
)
from vendor.services import contract_reconcile


@pytest.fixture(autouse=True)
def _generous_throttles(settings):
    """Throttling has its own tests; elsewhere a test must never be slowed by a 429."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest["DEFAULT_THROTTLE_RATES"], "100000/min")
    settings.REST_FRAMEWORK = rest


def make_user(username: str, role: str | None, agencies=()):
    user = UserFactory(username=username)
    if role is not None:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    for agency in agencies:
        CoordinatorAgency.objects.create(user=user, agency=agency)
    return user


def key_client(user) -> APIClient:
    """A client that sends `Authorization: Api-Key <key>` for a fresh key of `user`."""
    _, key = UserAPIKey.objects.create_key(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def world(db):
    """Agencies A and B, one contract with a running wave (cohort A quota 50, cohort B quota
    30), three employees in each agency and one requested seat per employee; a bargaining unit,
    a job per cohort, a closed billing line, and a usage day on each side."""
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    contract = ContractFactory()
    agency_a = AgencyFactory(code="AGA", headcount=120)
    agency_b = AgencyFactory(code="AGB", headcount=80)
    wave = WaveFactory(contract=contract, number=1, status="in_progress")
    cohort_a = CohortFactory(wave=wave, agency=agency_a, seat_quota=50)
    cohort_b = CohortFactory(wave=wave, agency=agency_b, seat_quota=30)
    employees_a = EmployeeFactory.create_batch(3, agency=agency_a)
    employees_b = EmployeeFactory.create_batch(3, agency=agency_b)
    seats_a = [seat_request(employee=e, contract=contract, cohort=cohort_a) for e in employees_a]
    seats_b = [seat_request(employee=e, contract=contract, cohort=cohort_b) for e in employees_b]
    unit = BargainingUnitFactory(code="U1", union="NAGE")
    job_a = Job.objects.create(kind="cohort_activation", cohort=cohort_a, subject="AGA in wave 1")
    job_b = Job.objects.create(kind="cohort_activation", cohort=cohort_b, subject="AGB in wave 1")
    # The seat changes above recomputed the cost (eager Celery), which wrote the line of every
    # period over by today; the first is set to known figures.
    line, _ = BillingPeriod.objects.update_or_create(
        contract=contract,
        start=dt.date(2026, 2, 13),
        defaults={
            "end": dt.date(2026, 3, 12),
            "billable_persons": 0,
            "charged_seats": 10_000,
            "unit_price": Decimal("13"),
            "amount": Decimal("130000.00"),
            "unallocated_amount": Decimal("130000.00"),
            "explanation": "0 billable persons, charged at the 10,000-seat minimum.",
        },
    )
    usage_a = UsageDay.objects.create(seat=seats_a[0], date=dt.date(2026, 3, 2), messages=4)
    usage_b = UsageDay.objects.create(seat=seats_b[0], date=dt.date(2026, 3, 2), messages=7)
    reconciliation = contract_reconcile(contract=contract, members=[])
    return {
        "contract": contract,
        "agency_a": agency_a,
        "agency_b": agency_b,
        "wave": wave,
        "cohort_a": cohort_a,
        "cohort_b": cohort_b,
        "employees_a": employees_a,
        "employees_b": employees_b,
        "seats_a": seats_a,
        "seats_b": seats_b,
        "unit": unit,
        "job_a": job_a,
        "job_b": job_b,
        "line": line,
        "usage_a": usage_a,
        "usage_b": usage_b,
        "reconciliation": reconciliation,
    }


@pytest.fixture
def users(world):
    """One user per role; the coordinator acts for agency A only."""
    return {
        ROLLOUT_MANAGER: make_user("manager", ROLLOUT_MANAGER),
        FINANCE: make_user("finance", FINANCE),
        AGENCY_COORDINATOR: make_user("coordinator", AGENCY_COORDINATOR, [world["agency_a"]]),
        API_READER: make_user("reader", API_READER),
        "no_role": make_user("nobody", None),
    }


@pytest.fixture
def clients(users):
    """An API-key client per role, and `anonymous` with no credentials."""
    out = {name: key_client(user) for name, user in users.items()}
    out["anonymous"] = APIClient()
    return out
