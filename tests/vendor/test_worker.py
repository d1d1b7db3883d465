"""Provisioning on the real stack: PostgreSQL, Redis as broker and cache, a live Celery worker
consuming the `vendor` queue (`.ci/run` starts it against the test database), and scim2-server
on 127.0.0.1 as the vendor. Elsewhere these tests skip."""

from __future__ import annotations

import time

import pytest

from licensing.services.seats import seat_activate, seat_request, seat_revoke
from vendor.models import ProvisioningIntent, SeatProvisioning

from .conftest import people

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_worker__seat_activated_then_revoked__vendor_follows_through_broker_and_worker(
    vendor, connection, cohort, contract
):
    # Given a requested seat of a contract connected to the vendor
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)

    # When it is activated (the request's transaction commits; nothing is sent from it)
    seat = seat_activate(seat=seat)

    # Then the worker's dispatcher records the intent and its provisioning run creates the user
    assert _wait_for(lambda: vendor.user(employee.email) is not None), vendor.requests()
    assert _wait_for(
        lambda: SeatProvisioning.objects.filter(seat=seat, state="provisioned").exists()
    )
    assert vendor.user(employee.email).active is True

    # When it is revoked, the worker deletes the user
    seat_revoke(seat=seat)
    assert _wait_for(lambda: vendor.user(employee.email) is None), vendor.requests()
    assert _wait_for(
        lambda: not ProvisioningIntent.objects.filter(delivered_at__isnull=True).exists()
    )
    assert ProvisioningIntent.objects.filter(seat=seat).count() == 2
