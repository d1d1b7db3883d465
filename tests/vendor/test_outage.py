"""Nothing lost: the vendor dies in the middle of a 1,000-seat cohort activation and comes back;
every intent is delivered once, and the activation itself never waited on the vendor. And a 429
is honoured: no call before its Retry-After is over."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from agencies.models import Employee
from licensing.models import Seat
from licensing.services.seats import seat_activate, seat_request, seats_activate_bulk
from rollout.services import activation, cohort_activate
from tests.factories import EmployeeFactory
from vendor.models import ProvisioningIntent, SeatProvisioning, VendorCircuit
from vendor.services import provisioning_drain
from vendor.services.provisioning import seats_mark_pending
from vendor.tasks import provision_seats_task

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)


def test_cohort_activation__vendor_stops_midway_and_restarts__every_intent_delivered_once(
    vendor, connection, cohort, monkeypatch, settings
):
    # Given a cohort of 1,000 trained people, activated in batches of 100, and a vendor that
    # dies right after its 350th user
    settings.VENDOR_RETRY_BASE_SECONDS = 0
    Employee.objects.bulk_create(EmployeeFactory.build_batch(1000, agency=cohort.agency))
    monkeypatch.setattr(activation, "BATCH_SIZE", 100)
    vendor.gate.stop_after(350)

    # When the cohort is activated
    job = cohort_activate(cohort=cohort)

    # Then the activation went through whole, vendor or not
    assert job.status == "succeeded" and job.outcome["activated"] == 1000
    assert Seat.objects.filter(cohort=cohort, status="active").count() == 1000
    # And the vendor stopped: the circuit opened, the seats it did not take wait, kept
    assert not vendor.running
    circuit = VendorCircuit.objects.get(endpoint=vendor.url)
    assert circuit.is_open() and circuit.openings >= 1
    # (creates already in flight when it died finish: a few calls go out at once)
    created = len(vendor.users())
    assert 350 <= created < 350 + settings.VENDOR_SCIM_CONCURRENCY
    assert SeatProvisioning.objects.filter(state="provisioned").count() == created
    assert SeatProvisioning.objects.filter(state="pending").count() == 1000 - created
    assert not SeatProvisioning.objects.filter(state="failed").exists()
    assert ProvisioningIntent.objects.count() == 1000

    # When the vendor comes back and beat's run comes round after the cooldown
    vendor.start()
    VendorCircuit.objects.update(open_until=timezone.now())
    provision_seats_task()

    # Then every seat is provisioned, every intent delivered, each user created exactly once
    assert SeatProvisioning.objects.filter(state="provisioned").count() == 1000
    assert not ProvisioningIntent.objects.filter(delivered_at__isnull=True).exists()
    names = [u.user_name for u in vendor.users()]
    assert len(names) == 1000 == len(set(names))
    emails = set(Employee.objects.filter(agency=cohort.agency).values_list("email", flat=True))
    assert set(names) == emails
    assert len(vendor.requests("POST", 201)) == 1000
    assert vendor.requests("POST", 409) == []
    # And the circuit is closed again
    circuit.refresh_from_db()
    assert not circuit.is_open() and circuit.failures == 0


def test_vendor_down__circuit_opens_after_three_failures_and_stops_calling(
    vendor, connection, cohort, contract, settings
):
    # Given a dead vendor and ten seats to activate
    vendor.stop()
    seats = [seat_request(employee=e, contract=contract, cohort=cohort) for e in people(cohort, 10)]

    # When they are activated one by one
    for seat in seats:
        seat_activate(seat=seat)

    # Then three tries failed and opened the circuit; no other seat was tried during it
    circuit = VendorCircuit.objects.get(endpoint=vendor.url)
    assert circuit.failures == 3 and circuit.is_open()
    assert "Unreachable" in circuit.last_error
    tried = SeatProvisioning.objects.filter(attempts__gt=0).count()
    assert tried == 3
    assert SeatProvisioning.objects.filter(state="pending").count() == 10


def test_vendor_answers_429__waits_the_retry_after_then_delivers(
    vendor, connection, cohort, contract
):
    # Given a vendor that answers the next call 429 with Retry-After: 2
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)
    vendor.gate.throttle.append("2")

    # When the seat is activated
    asked = timezone.now()
    seat_activate(seat=seat)

    # Then the seat waits until the Retry-After is over, and the endpoint is paused till then
    row = SeatProvisioning.objects.get(seat=seat)
    circuit = VendorCircuit.objects.get(endpoint=vendor.url)
    assert row.state == "pending" and row.attempts == 0  # a 429 is not a failure
    assert (circuit.paused_until - asked).total_seconds() >= 2
    assert circuit.failures == 0
    calls = len(vendor.requests())
    assert [r.status for r in vendor.requests()] == [429]

    # When beat's run comes before the 2 seconds are over, nothing is sent
    provision_seats_task()
    assert len(vendor.requests()) == calls

    # When it comes after, the seat is provisioned
    time.sleep(max(0.0, (circuit.paused_until - timezone.now()).total_seconds()) + 0.05)
    provision_seats_task()
    first_after = vendor.requests()[calls]
    assert first_after.status == 200
    assert SeatProvisioning.objects.get(seat=seat).state == "provisioned"
    assert vendor.user(employee.email).active is True


@pytest.mark.postgres
def test_drains_running_at_once__each_seat_pushed_by_exactly_one(
    vendor, connection, cohort, contract, settings
):
    # Given 60 active seats waiting for their push (activated while no consumer listened)
    settings.OUTBOX_CONSUMERS = []
    seats_activate_bulk(cohort=cohort, employees=people(cohort, 60))
    seat_ids = list(Seat.objects.filter(cohort=cohort).values_list("id", flat=True))
    seats_mark_pending(contract=contract, seat_ids=seat_ids)

    # When three workers drain at the same moment
    def drain():
        try:
            provisioning_drain()
        finally:
            db_connection.close()

    workers = [threading.Thread(target=drain) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    # Then each seat was claimed by one of them: 60 creates, no duplicate, no conflict
    assert len(vendor.requests("POST", 201)) == 60
    assert vendor.requests("POST", 409) == []
    assert SeatProvisioning.objects.filter(state="provisioned").count() == 60
