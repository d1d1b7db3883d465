"""`sync_vendor`: every seat's state pushed again (the vendor lost or changed its data), with
progress on a job row; a dry run sends nothing; the vendor dying mid-sync loses nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import Job
from licensing.services.seats import seat_activate, seat_request, seat_revoke, seat_suspend
from vendor.models import SeatProvisioning, VendorCircuit
from vendor.tasks import provision_seats_task

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)


def _fleet(cohort, contract, n):
    return [
        seat_activate(seat=seat_request(employee=e, contract=contract, cohort=cohort))
        for e in people(cohort, n)
    ]


def test_sync_vendor__vendor_lost_its_data__every_seat_pushed_again_as_a_job(
    vendor, connection, cohort, contract
):
    # Given 5 active seats, 1 suspended and 1 revoked, all provisioned; then the vendor's
    # workspace is wiped (restored from an old backup) and a revoked person re-added by hand
    seats = _fleet(cohort, contract, 7)
    seat_suspend(seat=seats[5])
    seat_revoke(seat=seats[6])
    vendor.storage.resources = []
    vendor.add_user(seats[6].employee.email)

    # When the vendor is synced
    out = StringIO()
    call_command("sync_vendor", "--contract", str(contract.pk), stdout=out, stderr=StringIO())

    # Then the active are back and active, the suspended one is absent (nothing to deactivate),
    # the revoked one removed again; recorded as a finished job
    assert sorted(u.user_name for u in vendor.users() if u.active) == sorted(
        s.employee.email for s in seats[:5]
    )
    assert vendor.user(seats[6].employee.email) is None
    job = Job.objects.get(kind="vendor_sync")
    assert (job.status, job.done, job.total) == ("succeeded", 7, 7)
    assert job.outcome["provisioned"] == 7 and job.outcome["waiting"] == 0
    assert "succeeded" in out.getvalue()


def test_sync_vendor__dry_run__counts_what_would_be_asked_and_sends_nothing(
    vendor, connection, cohort, contract
):
    seats = _fleet(cohort, contract, 3)
    seat_revoke(seat=seats[2])
    calls = len(vendor.requests())

    out = StringIO()
    call_command("sync_vendor", "--dry-run", stdout=out, stderr=StringIO())

    assert len(vendor.requests()) == calls
    job = Job.objects.get(kind="vendor_sync")
    assert job.dry_run and job.outcome == {
        "seats": 3,
        "would_ask": {"delete": 1, "ensure_active": 2},
    }
    assert "ensure_active: 2" in out.getvalue()


def test_sync_vendor__vendor_dies_mid_sync__job_failed_rest_kept_and_resumed(
    vendor, connection, cohort, contract, settings
):
    # Given 40 provisioned seats, whose users the vendor then lost
    _fleet(cohort, contract, 40)
    vendor.storage.resources = []
    # and a vendor that dies after re-creating 15 of them
    vendor.gate.stop_after(15)

    # When the vendor is synced
    with pytest.raises(CommandError, match="did not take every seat"):
        call_command("sync_vendor", stdout=StringIO(), stderr=StringIO())

    # Then the job says how far it got (the creates in flight when it died included), and the
    # other seats wait, pending
    job = Job.objects.get(kind="vendor_sync")
    made = len(vendor.users())
    assert 15 <= made < 15 + settings.VENDOR_SCIM_CONCURRENCY
    assert job.status == "failed"
    assert job.outcome["provisioned"] == made and job.outcome["waiting"] == 40 - made
    assert f"stopped answering after {made} of 40 seats" in job.errors[0]["detail"]
    assert SeatProvisioning.objects.filter(state="pending").count() == 40 - made

    # When the vendor is back and beat's run comes after the cooldown
    vendor.start()
    VendorCircuit.objects.update(open_until=timezone.now())
    settings.VENDOR_RETRY_BASE_SECONDS = 0
    SeatProvisioning.objects.update(next_attempt_at=timezone.now())
    provision_seats_task()

    # Then all 40 are back, each created once
    assert len(vendor.users()) == 40
    assert SeatProvisioning.objects.filter(state="provisioned").count() == 40


def test_sync_vendor__contract_not_connected__refused(contract):
    with pytest.raises(CommandError, match="not connected to a vendor"):
        call_command("sync_vendor", "--contract", str(contract.pk), stdout=StringIO())


def test_provision_vendor__close_circuit__pushes_the_waiting_seats_now(
    vendor, connection, cohort, contract
):
    # Given seats left pending by an outage, the circuit still cooling down
    vendor.stop()
    _fleet(cohort, contract, 4)
    assert VendorCircuit.objects.get().is_open()
    vendor.start()

    # When an operator knows the vendor is back
    out = StringIO()
    SeatProvisioning.objects.update(next_attempt_at=timezone.now())
    call_command("provision_vendor", "--close-circuit", stdout=out)

    # Then every seat is pushed now
    assert "4 provisioned" in out.getvalue()
    assert len(vendor.users()) == 4
