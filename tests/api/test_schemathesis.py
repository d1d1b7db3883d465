"""Schemathesis against the running app (WSGI, in-process), authenticated as a rollout manager by
API key, on a seeded world: no response is a server error, every response conforms to the schema
(status code, content type, headers, body), and schema-violating input is rejected.

One check is left out on purpose: `positive_data_acceptance` expects every schema-valid request
to succeed, but a schema-valid id that does not exist (an employee in a seat request, a contract
in seat counts) or a made-up pagination cursor is a 400 naming the field, as this API promises
(docs/api.md). Examples are bounded so the suite stays quick."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from agencies.models import UserAPIKey

# Loading the schema asks the app for /api/schema/, which reads no table, so it can happen at
# collection time; each operation then becomes its own test.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def _same_connection():
    """Django closes "old" connections when a WSGI request starts and ends; inside a test that
    would close the test's transaction (PostgreSQL) mid-test. Django's own test client unhooks
    this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def manager_key(world, users, _same_connection):
    """Needs seeding: the `world` fixture (two agencies, a running wave, seats, a billing line,
    jobs, usage days), so that generated ids sometimes hit real rows."""
    _, key = UserAPIKey.objects.create_key(user=users["rollout_manager"], name="schemathesis")
    return key


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api__generated_requests__no_server_error_and_schema_conformant(case, manager_key):
    # Given a generated request, sent with a rollout manager's key
    # When it is sent
    # Then no check fails: no 5xx, responses as documented, invalid input refused
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {manager_key}"},
        excluded_checks=[positive_data_acceptance],
    )
