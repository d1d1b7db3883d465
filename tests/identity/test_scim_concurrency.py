"""SCIM writes under concurrency (PostgreSQL: real row locks): racing creates of one userName
give one user and 409s, and racing PATCHes of one user are serialised, each recorded."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Employee
from identity.models import ScimUser
from tests.factories import EmployeeFactory

from .conftest import ScimClient, patch_body, provisioned, user_body


def _race(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results[i] = action(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_create__eight_racers_same_user_name__one_user_seven_409(dor, scim_token):
    EmployeeFactory(employee_number="1001", email="ann.lee@mass.example.gov", agency=dor)

    statuses = _race(
        8,
        lambda i: (
            ScimClient(scim_token.raw)
            .post("/Users", user_body("Ann.Lee@mass.example.gov", externalId=f"try-{i}"))
            .status_code
        ),
    )

    assert sorted(statuses) == [201] + [409] * 7
    assert ScimUser.objects.count() == 1
    assert Employee.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_patch__racers_on_one_user__serialised_every_version_counted(dor, scim_token):
    resource = provisioned(ScimClient(scim_token.raw))

    statuses = _race(
        6,
        lambda i: (
            ScimClient(scim_token.raw)
            .patch(
                f"/Users/{resource['id']}",
                patch_body({"op": "replace", "path": "title", "value": f"Title {i}"}),
            )
            .status_code
        ),
    )

    assert statuses == [200] * 6
    assert ScimUser.objects.get().version == 7


def test_create__query_count__same_for_a_small_and_a_large_roster(scim, dor):
    # Given rosters of two sizes, each user linking an existing employee
    def post_one(n: int) -> int:
        employee = EmployeeFactory(employee_number=f"Q{n}", email=f"q{n}@mass.example.gov")
        with CaptureQueriesContext(connection) as queries:
            provisioned(scim, employee.email, number=employee.employee_number, externalId=f"q{n}")
        return len(queries)

    post_one(0)  # the agency index and the token row go to the cache
    small = post_one(1)
    EmployeeFactory.create_batch(150, agency=dor)
    for n in range(2, 8):
        post_one(n)
    large = post_one(8)

    # Then a POST costs the same number of statements
    assert small == large
