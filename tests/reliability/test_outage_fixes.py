"""Two defects the fault scenarios found (docs/reliability.md, findings 1 and 2)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from licensing.services.seats import seat_request
from tests.api.conftest import key_client, make_user
from tests.factories import AgencyFactory, ContractFactory, EmployeeFactory


def test_api_throttle__cache_unreachable__request_served_not_failed(db, monkeypatch):
    # Given an API client and a cache (Redis) that refuses connections
    client = key_client(make_user("reader.outage", "api_reader"))

    def refuse(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "get", refuse)
    monkeypatch.setattr(cache, "set", refuse)

    # When it reads agencies (every authenticated request passes the throttles first)
    response = client.get("/api/v1/agencies/")

    # Then the read is served: the counters' store is down, PostgreSQL is not
    assert response.status_code == 200


@pytest.mark.postgres
def test_seat_request__locks_the_contract_first__same_order_as_activation(db):
    # Given an employee and a contract
    contract = ContractFactory()
    employee = EmployeeFactory(agency=AgencyFactory(code="EOTSS"))

    # When a seat is requested
    with CaptureQueriesContext(connection) as ctx:
        seat_request(employee=employee, contract=contract)

    # Then the first row lock taken is the contract's, as in seat_activate: otherwise the
    # seat's deferred foreign-key checks lock the cohort before the contract at COMMIT and
    # deadlock against an activation
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and '"licensing_contract"' in locks[0]
