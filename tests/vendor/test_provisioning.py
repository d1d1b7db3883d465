"""Provisioning against a real SCIM server (scim2-server on 127.0.0.1 playing the vendor): a seat's
life reaches the vendor's workspace, through the outbox, after each change commits."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import Event
from core.outbox import events_dispatch_all
from licensing.services.seats import (
    seat_activate,
    seat_reactivate,
    seat_request,
    seat_revoke,
    seat_suspend,
)
from vendor.models import ProvisioningIntent, SeatProvisioning, VendorCircuit, VendorConnection
from vendor.services import provisioning_drain, seat_provisioning_retry

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)


def _provisioning(seat) -> SeatProvisioning:
    return SeatProvisioning.objects.get(seat=seat)


def _seat(cohort, contract):
    (employee,) = people(cohort, 1)
    return employee, seat_request(employee=employee, contract=contract, cohort=cohort)


def test_seat_lifecycle__activate_suspend_reactivate_revoke__vendor_follows_each_step(
    vendor, connection, cohort, contract
):
    # Given a requested seat of a connected contract
    employee, seat = _seat(cohort, contract)
    assert not SeatProvisioning.objects.exists()  # a request asks nothing of the vendor

    # When it is activated
    seat = seat_activate(seat=seat)
    # Then the vendor holds an active user: work email as userName, employee number as externalId
    user = vendor.user(employee.email)
    assert user is not None and user.active is True
    assert user.external_id == employee.employee_number
    assert user.name.family_name == employee.last_name
    assert _provisioning(seat).state == "provisioned"
    assert _provisioning(seat).vendor_user_id == user.id

    # When it is suspended: the same user, deactivated
    seat = seat_suspend(seat=seat)
    assert vendor.user(employee.email).active is False
    assert vendor.user(employee.email).id == user.id

    # When it is reactivated: active again, still one user
    seat = seat_reactivate(seat=seat)
    assert vendor.user(employee.email).active is True
    assert len(vendor.users()) == 1

    # When it is revoked: the user is deleted
    seat = seat_revoke(seat=seat)
    assert vendor.user(employee.email) is None
    row = _provisioning(seat)
    assert (row.state, row.operation, row.vendor_active) == ("provisioned", "delete", None)

    # And every intent (one per change) was delivered once
    intents = ProvisioningIntent.objects.filter(seat=seat).order_by("event_id")
    assert [i.to_status for i in intents] == ["active", "suspended", "active", "revoked"]
    assert all(i.delivered_at is not None for i in intents)


def test_seat_revoke__connection_says_deactivate__user_kept_inactive(
    vendor, connection, cohort, contract
):
    # Given a contract whose revoked seats are deactivated rather than deleted
    connection.revoke_action = "deactivate"
    connection.save()
    employee, seat = _seat(cohort, contract)
    seat = seat_activate(seat=seat)

    # When the seat is revoked
    seat_revoke(seat=seat)

    # Then the vendor keeps the user, deactivated
    assert vendor.user(employee.email).active is False


def test_seat_activate__user_already_in_the_vendor__adopted_not_duplicated(
    vendor, connection, cohort, contract
):
    # Given the person was added by hand in the vendor's console, deactivated
    employee, seat = _seat(cohort, contract)
    existing = vendor.add_user(employee.email, active=False)

    # When their seat is activated
    seat_activate(seat=seat)

    # Then Seatplan adopts that user and reactivates it; no second user, no create
    assert len(vendor.users()) == 1
    assert vendor.user(employee.email).active is True
    assert _provisioning(seat).vendor_user_id == existing.id
    assert "Adopted" in _provisioning(seat).detail
    assert vendor.requests("POST") == []


def test_seat_activate__create_meets_409_uniqueness__existing_user_adopted(
    vendor, connection, cohort, contract
):
    # Given a vendor whose search has not caught up with a user it already holds
    employee, seat = _seat(cohort, contract)
    existing = vendor.add_user(employee.email)
    vendor.gate.hide_searches = 2  # by userName, then by externalId: both find nobody

    # When the seat is activated, the create is refused as a duplicate (409 uniqueness)
    seat_activate(seat=seat)

    # Then the existing user is adopted, and the vendor still holds one
    assert [s.status for s in vendor.requests("POST")] == [409]
    assert _provisioning(seat).state == "provisioned"
    assert _provisioning(seat).vendor_user_id == existing.id
    assert len(vendor.users()) == 1


def test_seat_activate__answer_to_the_create_lost__retry_adopts_it_once(
    vendor, connection, cohort, contract
):
    # Given a vendor that carries out the next create but whose answer is lost (a proxy's 502)
    _, seat = _seat(cohort, contract)
    vendor.gate.lose_create_answers = 1

    # When the seat is activated
    seat_activate(seat=seat)
    # Then the push is pending with the failure, to be retried
    row = _provisioning(seat)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "502" in row.detail

    # When its backoff is over and the retry comes (beat's run)
    SeatProvisioning.objects.update(next_attempt_at=timezone.now())
    provisioning_drain()

    # Then it finds the user the lost create made and adopts it: one user, one create
    assert _provisioning(seat).state == "provisioned"
    assert len(vendor.users()) == 1
    assert len(vendor.requests("POST")) == 1


def test_vendor_refuses_the_user__seat_failed_with_the_vendors_message_until_retried(
    vendor, connection, cohort, contract
):
    # Given a person the vendor refuses: their email is not in the workspace's verified domain
    employee, seat = _seat(cohort, contract)
    vendor.gate.refuse[employee.email] = "userName must be in a verified domain"

    # When the seat is activated
    seat_activate(seat=seat)

    # Then the seat failed, saying what the vendor said, and nothing was tried again
    row = _provisioning(seat)
    assert row.state == "failed"
    assert row.detail == (
        "The vendor refused (400 invalidValue): userName must be in a verified domain"
    )
    posts = len(vendor.requests("POST"))
    provisioning_drain()
    assert len(vendor.requests("POST")) == posts

    # When the email is fixed and a manager retries
    employee.email = "fixed@mass.example.gov"
    employee.save(update_fields=["email"])
    seat_provisioning_retry(seat=seat)

    # Then the vendor holds the user
    assert _provisioning(seat).state == "provisioned"
    assert vendor.user("fixed@mass.example.gov").active is True


def test_changes_before_the_worker_came__collapsed_into_one_push_of_the_latest(
    vendor, connection, cohort, contract, settings
):
    # Given the outbox is not dispatched while three changes happen (a busy worker)
    employee, seat = _seat(cohort, contract)
    consumers = settings.OUTBOX_CONSUMERS
    settings.OUTBOX_CONSUMERS = []
    seat = seat_activate(seat=seat)
    seat = seat_suspend(seat=seat)
    seat = seat_reactivate(seat=seat)
    Event.objects.update(dispatched_at=None)
    settings.OUTBOX_CONSUMERS = consumers

    # When the dispatcher hands the three events over at once
    with transaction.atomic():
        events_dispatch_all()

    # Then the vendor got one create (the latest state: active) and nothing else
    assert [r.method for r in vendor.requests() if r.method != "GET"] == ["POST"]
    assert vendor.user(employee.email).active is True
    # And the three intents were all delivered by that one push
    intents = ProvisioningIntent.objects.filter(seat=seat)
    assert intents.count() == 3 and not intents.filter(delivered_at__isnull=True).exists()


def test_consumer__same_events_handed_over_twice__one_intent_each(
    vendor, connection, cohort, contract
):
    # Given an activation whose event was dispatched and delivered
    _, seat = _seat(cohort, contract)
    seat_activate(seat=seat)
    assert ProvisioningIntent.objects.count() == 1

    # When the dispatcher hands the same events over again
    from vendor.consumer import accept

    with transaction.atomic():
        accept(list(Event.objects.all()))

    # Then no intent is added and nothing more is sent
    assert ProvisioningIntent.objects.count() == 1
    assert _provisioning(seat).state == "provisioned"
    assert len(vendor.requests("POST")) == 1


def test_contract_not_connected__nothing_recorded_nothing_sent(vendor, cohort, contract):
    # Given no connection (neither the admin's nor the environment's)
    _, seat = _seat(cohort, contract)

    # When the seat is activated
    seat_activate(seat=seat)

    # Then provisioning is off: no intent, no state, no call
    assert not ProvisioningIntent.objects.exists()
    assert not SeatProvisioning.objects.exists()
    assert vendor.requests() == []


def test_connection_from_the_environment__serves_contracts_without_their_own(
    vendor, cohort, contract, settings
):
    # Given only VENDOR_SCIM_URL and VENDOR_SCIM_TOKEN
    settings.VENDOR_SCIM_URL = vendor.url
    settings.VENDOR_SCIM_TOKEN = vendor.token
    employee, seat = _seat(cohort, contract)

    # When the seat is activated
    seat_activate(seat=seat)

    # Then the environment's vendor holds the user
    assert vendor.user(employee.email).active is True


def test_disabled_connection__turns_the_environments_off_for_its_contract(
    vendor, cohort, contract, settings
):
    # Given the environment names a vendor, but the contract's own connection is disabled
    settings.VENDOR_SCIM_URL = vendor.url
    settings.VENDOR_SCIM_TOKEN = vendor.token
    VendorConnection.objects.create(
        contract=contract, base_url=vendor.url, token="x", is_enabled=False
    )
    _, seat = _seat(cohort, contract)

    # When the seat is activated, nothing is sent
    seat_activate(seat=seat)
    assert vendor.requests() == []


def test_wrong_token__vendor_counted_down_and_seat_kept_pending(
    vendor, connection, cohort, contract
):
    # Given a token the vendor does not accept
    connection.token = "wrong-token"
    connection.save()
    _, seat = _seat(cohort, contract)

    # When the seat is activated
    seat_activate(seat=seat)

    # Then the seat waits (pending, the refusal noted) and the circuit counts a failure
    row = _provisioning(seat)
    assert row.state == "pending" and "token" in row.detail
    assert VendorCircuit.objects.get(endpoint=vendor.url).failures == 1


def test_seat_given_again_after_revocation__old_seat_leaves_the_new_ones_user(
    vendor, connection, cohort, contract, settings
):
    # Given a person whose first seat is revoked, and who gets a second, activated, before the
    # revocation reached the vendor (the worker was late)
    employee, first = _seat(cohort, contract)
    first = seat_activate(seat=first)
    consumers = settings.OUTBOX_CONSUMERS
    settings.OUTBOX_CONSUMERS = []
    seat_revoke(seat=first)
    second = seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))
    Event.objects.filter(payload__seat=first.pk, payload__to_status="revoked").update(
        dispatched_at=None
    )
    Event.objects.filter(payload__seat=second.pk).update(dispatched_at=None)
    settings.OUTBOX_CONSUMERS = consumers

    # When both reach the vendor
    with transaction.atomic():
        events_dispatch_all()

    # Then the person keeps their active user: the revoked seat does not delete it
    assert vendor.user(employee.email).active is True
    assert _provisioning(first).operation == "nothing"
    assert _provisioning(second).state == "provisioned"
