"""Webhooks end to end, against a real HTTP receiver on 127.0.0.1 that verifies every signature
with the `standardwebhooks` library: what arrives, signed how, retried when, disabled after a
day, redelivered with the same id, and cut to what the endpoint owner's role may read."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agencies.models import CoordinatorAgency
from config.errors import BusinessRuleError
from config.roles import AGENCY_COORDINATOR, ROLLOUT_MANAGER
from core.models import Event
from core.outbox import event_emit, events_dispatch_all
from notifications.choices import DeliveryStatus
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.services.webhooks import (
    RETRY_SCHEDULE,
    webhook_deliveries_sweep,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_deliver,
    webhook_endpoint_update,
)
from rollout.services import wave_pause
from tests.factories import AgencyFactory, CohortFactory
from tests.rollout.builders import running_cohort

from .conftest import person

pytestmark = pytest.mark.django_db(transaction=True)


def register(owner, receiver, types=("wave.status_changed",)):
    endpoint = webhook_endpoint_create(owner=owner, url=receiver.url, event_types=list(types))
    receiver.secret = endpoint.secret
    return endpoint


def later(delivery: WebhookDelivery):
    """Make a delivery's retry due now, as if the time had passed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_wave_paused__registered_endpoint__receives_one_signed_standard_webhook(manager, receiver):
    # Given an endpoint for wave changes, and a running wave
    endpoint = register(manager, receiver)
    cohort = running_cohort()

    # When the wave is paused (eager Celery: the outbox and the delivery run on commit)
    wave_pause(wave=cohort.wave, actor=manager, reason="incident")

    # Then the receiver got one request whose signature verifies with the endpoint's secret
    (request,) = receiver.requests
    assert request.verified
    assert request.headers["webhook-id"].startswith("evt_")
    assert request.headers["content-type"] == "application/json"
    assert request.document["type"] == "wave.status_changed"
    assert request.document["data"]["to_status"] == "paused"
    assert request.document["timestamp"].endswith("Z")
    assert "reason" not in request.document["data"]
    # And the delivery is recorded once, delivered
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert delivery.event.type == "wave.status_changed"


def test_webhook__tampered_body__fails_verification(manager, receiver):
    # Given a delivered message
    register(manager, receiver)
    wave_pause(wave=running_cohort().wave, actor=manager)
    (request,) = receiver.requests

    # Then a body changed by one byte no longer verifies with the same headers
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.secret).verify(request.body.replace(b"paused", b"pauses"), request.headers)


def test_outbox__batch_dispatched_twice__one_delivery_per_event_and_endpoint(manager, receiver):
    # Given an event recorded for an endpoint
    register(manager, receiver)
    with transaction.atomic():
        event = event_emit(type="wave.status_changed", subject="wave:1", payload={"wave": 1})

    # When the consumer is handed the same event again (a repeated batch)
    from notifications.services.webhooks import webhook_deliveries_accept

    with transaction.atomic():
        webhook_deliveries_accept([event])
    webhook_deliveries_sweep()

    # Then there is still one delivery row, delivered once
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert len(receiver.requests) == 1


def test_endpoint__other_types_and_earlier_events__not_sent(manager, receiver):
    # Given an event from before the endpoint existed, and one of a type it does not name
    with transaction.atomic():
        event_emit(type="wave.status_changed", subject="wave:1", payload={"wave": 1})
    register(manager, receiver, types=("cohort.gates_passed",))
    with transaction.atomic():
        event_emit(type="wave.status_changed", subject="wave:2", payload={"wave": 2})

    # Then nothing was sent
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_receiver_fails__retried_on_the_schedule_then_delivered_with_the_same_id(manager, receiver):
    # Given a receiver that answers 500 twice, then 200
    receiver.status = lambda n: 500 if n <= 2 else 200
    endpoint = register(manager, receiver)
    wave_pause(wave=running_cohort().wave, actor=manager)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    # Then the first attempt failed and the retry waits 5 seconds
    assert (delivery.status, delivery.retries, delivery.last_status_code) == ("pending", 1, 500)
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert RETRY_SCHEDULE[0] <= wait < RETRY_SCHEDULE[0] + dt.timedelta(seconds=1)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None

    # When the sweep runs before the retry is due, nothing is sent
    webhook_deliveries_sweep()
    assert len(receiver.requests) == 1

    # When it is due, the second attempt fails too and waits 5 minutes; the third succeeds
    later(delivery)
    webhook_deliveries_sweep()
    delivery.refresh_from_db()
    assert delivery.retries == 2
    assert delivery.next_attempt_at - delivery.last_attempt_at >= RETRY_SCHEDULE[1]
    later(delivery)
    webhook_deliveries_sweep()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len(receiver.processed()) == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.last_success_at is not None


def test_receiver_down_for_a_day__endpoint_disabled_and_owner_told_by_mail(manager, receiver, smtp):
    # Given an endpoint whose receiver has failed since yesterday
    receiver.status = 503
    endpoint = register(manager, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )

    # When one more delivery fails
    wave_pause(wave=running_cohort().wave, actor=manager)

    # Then the endpoint is disabled, saying why, and the owner got a mail about it
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "HTTP 503" in endpoint.disabled_reason
    (mail,) = smtp.wait_for(1)
    assert mail["To"] == manager.email
    assert "disabled" in mail.get_content()
    assert f"/notifications/webhooks/{endpoint.pk}/" in mail.get_content()
    # And nothing more is sent to it
    with transaction.atomic():
        event_emit(type="wave.status_changed", subject="wave:9", payload={"wave": 9})
    assert len(receiver.requests) == 1


def test_disabled_endpoint__enabled_again__waiting_delivery_sent_at_once(manager, receiver):
    # Given a disabled endpoint whose delivery waits for a retry hours away
    receiver.status = lambda n: 503 if n == 1 else 204
    endpoint = register(manager, receiver)
    wave_pause(wave=running_cohort().wave, actor=manager)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=5)
    )
    webhook_endpoint_update(endpoint=endpoint, actor=manager, is_active=False)

    # When its owner enables it again
    webhook_endpoint_update(endpoint=endpoint, actor=manager, is_active=True)

    # Then the waiting delivery went out at once
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.processed()) == 1


def test_redeliver__delivered_message__sent_again_with_the_same_webhook_id(manager, receiver):
    endpoint = register(manager, receiver)
    wave_pause(wave=running_cohort().wave, actor=manager)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    webhook_delivery_redeliver(delivery=delivery, actor=manager)

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.verified
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_redeliver__someone_elses_endpoint__refused(manager, finance, receiver):
    endpoint = register(manager, receiver)
    wave_pause(wave=running_cohort().wave, actor=manager)

    with pytest.raises(BusinessRuleError) as refused:
        webhook_delivery_redeliver(
            delivery=WebhookDelivery.objects.get(endpoint=endpoint), actor=finance
        )
    assert refused.value.code == "not_owner"


def test_delivery__worker_died_holding_the_lease__sent_again_once_it_expires(
    manager, receiver, settings
):
    # Given a delivery whose worker took it and died (its lease ran out, no outcome recorded)
    endpoint = register(manager, receiver)
    receiver.status = 500
    wave_pause(wave=running_cohort().wave, actor=manager)
    receiver.status = 204
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() + dt.timedelta(minutes=1),
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1),
    )

    # When a worker looks while the lease holds: nothing is sent
    assert webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 0

    # When the lease has run out
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert webhook_endpoint_deliver(endpoint_id=endpoint.pk) == 1

    # Then it was sent again, with the same id, and the unknown attempt is on record
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[-1].headers["webhook-id"]


def test_delivery__late_worker_after_lease_lost__its_outcome_not_written(manager, receiver):
    from notifications.services.leases import delivery_settle

    endpoint = register(manager, receiver)
    receiver.status = 500
    wave_pause(wave=running_cohort().wave, actor=manager)
    stale = WebhookDelivery.objects.get(endpoint=endpoint)
    # Another worker claimed it since (one more attempt counted)
    WebhookDelivery.objects.filter(pk=stale.pk).update(attempts=stale.attempts + 1)

    assert delivery_settle(stale, status=DeliveryStatus.DELIVERED) is False
    stale.refresh_from_db()
    assert stale.status == "pending"


# --- what the owner's role may read ------------------------------------------------------------


def test_endpoint_owner_now_a_coordinator__only_their_agencies_events_and_no_contract_figures(
    roles, receiver
):
    # Given an endpoint registered by a rollout manager, who later becomes a coordinator of A
    owner = person("was-manager", ROLLOUT_MANAGER)
    register(owner, receiver, types=("wave.status_changed", "cost.threshold_crossed"))
    agency_a = AgencyFactory()
    owner.groups.set([Group.objects.get(name=AGENCY_COORDINATOR)])
    CoordinatorAgency.objects.create(user=owner, agency=agency_a)
    mine = running_cohort(agency=agency_a)
    theirs = running_cohort()
    boss = person("boss", ROLLOUT_MANAGER)

    # When waves of A and of another agency are paused, and a threshold is crossed
    wave_pause(wave=mine.wave, actor=boss)
    wave_pause(wave=theirs.wave, actor=boss)
    with transaction.atomic():
        event_emit(type="cost.threshold_crossed", subject="contract:1", payload={"contract": 1})

    # Then only A's wave reached the receiver
    assert [r.document["data"]["wave"] for r in receiver.verified()] == [mine.wave_id]


def test_payload__undeclared_key__never_leaves(manager, receiver):
    register(manager, receiver)
    with transaction.atomic():
        event_emit(
            type="wave.status_changed",
            subject="wave:1",
            payload={"wave": 1, "to_status": "paused", "note": "Jane Doe asked"},
        )

    (request,) = receiver.requests
    assert request.document["data"] == {"wave": 1, "to_status": "paused"}
    assert b"Jane" not in request.body


def test_outbox__events_for_a_busy_endpoint__all_delivered_in_order(manager, receiver):
    register(manager, receiver)
    cohort = running_cohort()
    others = [CohortFactory(wave=cohort.wave, agency=AgencyFactory()) for _ in range(2)]
    with transaction.atomic():
        for n in range(5):
            event_emit(
                type="wave.status_changed",
                subject=f"wave:{n}",
                payload={"wave": n},
                agency_ids=[others[n % 2].agency_id],
            )
    events_dispatch_all()

    ids = [r.headers["webhook-id"] for r in receiver.verified()]
    expected = [
        f"evt_{pk}"
        for pk in Event.objects.filter(type="wave.status_changed")
        .order_by("id")
        .values_list("pk", flat=True)
    ]
    assert ids == expected
    assert json.loads(receiver.requests[0].body)["data"] == {"wave": 0}
