"""The notifications API: webhook endpoints managed by their owners (the secret shown once),
deliveries and redelivery, the event feed scoped like every other list, the catalogue, and a
person's email choices."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from core.models import Event
from core.outbox import event_emit
from notifications.models import WebhookDelivery, WebhookEndpoint
from rollout.services import wave_pause
from tests.factories import AgencyFactory
from tests.rollout.builders import running_cohort

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def allow_local(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


def create(client, url="http://127.0.0.1:9/hook", events=("wave.status_changed",), **extra):
    return client.post(
        "/api/v1/webhooks/", {"url": url, "events": list(events), **extra}, format="json"
    )


def test_webhooks_post__valid__201_with_the_secret_once(manager, allow_local):
    client = client_for(manager)

    created = create(client, description="Teams bot")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["wave.status_changed"]
    assert body["description"] == "Teams bot"
    # And it is never shown again
    again = client.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in again
    assert "secret" not in str(client.get("/api/v1/webhooks/").json())


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.org/x", "Only http:// and https://"),
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
    ],
)
def test_webhooks_post__refused_url__400_naming_url(manager, url, why):
    response = create(client_for(manager), url=url)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert why in response.json()["fields"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_webhooks_post__unknown_event_type_or_secret_in_body__400(manager, allow_local):
    client = client_for(manager)

    unknown = create(client, events=("wave.exploded",))
    forged = create(client, secret="whsec_mine")

    assert unknown.status_code == 400 and "events" in str(unknown.json()["fields"])
    assert forged.status_code == 400
    assert forged.json()["fields"] == {"secret": ["This field is read-only."]}


def test_webhooks__another_owners_endpoint__404_like_missing(manager, finance, allow_local):
    endpoint_id = create(client_for(manager)).json()["id"]
    client = client_for(finance)

    assert client.get(f"/api/v1/webhooks/{endpoint_id}/").status_code == 404
    assert client.patch(f"/api/v1/webhooks/{endpoint_id}/", {}, format="json").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").status_code == 404
    assert client.get("/api/v1/webhooks/").json()["results"] == []


def test_webhooks_patch__events_and_disable__saved(manager, allow_local):
    client = client_for(manager)
    endpoint_id = create(client).json()["id"]

    response = client.patch(
        f"/api/v1/webhooks/{endpoint_id}/",
        {"events": ["cost.threshold_crossed", "job.finished"], "is_active": False},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["events"] == ["cost.threshold_crossed", "job.finished"]
    assert body["is_active"] is False
    assert body["disabled_reason"] == "Disabled by rm."


def test_webhooks_delete__own__204_and_gone(manager, allow_local):
    client = client_for(manager)
    endpoint_id = create(client).json()["id"]

    assert client.delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_webhooks_deliveries_and_redeliver__through_the_api(manager, receiver):
    # Given an endpoint registered through the API and a wave paused
    client = client_for(manager)
    created = create(client, url=receiver.url).json()
    receiver.secret = created["secret"]
    wave_pause(wave=running_cohort().wave, actor=manager)

    # When its deliveries are listed and the one there is redelivered
    listed = client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
    (delivery,) = listed
    again = client.post(
        f"/api/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/redeliver/",
        format="json",
    )

    # Then the first said delivered, and the redelivery went out with the same id
    assert (delivery["status"], delivery["event_type"]) == ("delivered", "wave.status_changed")
    assert again.status_code == 202
    assert again.json()["status"] == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.verified()] == [delivery["webhook_id"]] * 2
    filtered = client.get(f"/api/v1/webhooks/{created['id']}/deliveries/?status=failed")
    assert filtered.json()["results"] == []
    assert client.get(f"/api/v1/webhooks/{created['id']}/deliveries/?status=x").status_code == 400


def test_webhooks_redeliver__disabled_endpoint__409(manager, allow_local):
    client = client_for(manager)
    endpoint = WebhookEndpoint.objects.get(pk=create(client).json()["id"])
    with transaction.atomic():
        event = event_emit(type="wave.status_changed", subject="wave:1", payload={"wave": 1})
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, status="failed")
    client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False}, format="json")

    response = client.post(
        f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/", format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_disabled"


# --- the event feed ----------------------------------------------------------------------------


def test_events__coordinator__own_agencies_only_and_never_contract_wide(coordinator_of, manager):
    # Given events of agency A, of agency B, and a contract-wide one
    agency_a, agency_b = AgencyFactory(), AgencyFactory()
    with transaction.atomic():
        mine = event_emit(type="wave.status_changed", subject="w", agency_ids=[agency_a.pk])
        event_emit(type="wave.status_changed", subject="w", agency_ids=[agency_b.pk])
        both = event_emit(
            type="wave.status_changed", subject="w", agency_ids=[agency_a.pk, agency_b.pk]
        )
        event_emit(type="cost.threshold_crossed", subject="c", payload={"contract": 1})
        wide = event_emit(type="job.finished", subject="j", payload={"job": 1})

    # When a coordinator of A reads the feed
    coordinator = client_for(coordinator_of(agency_a))
    ids = [e["id"] for e in coordinator.get("/api/v1/events/").json()["results"]]

    # Then they see A's events only; another's answers 404
    assert ids == [mine.pk, both.pk]
    assert coordinator.get(f"/api/v1/events/{wide.pk}/").status_code == 404
    # And a manager sees all five, oldest first, with the webhook id
    everything = client_for(manager).get("/api/v1/events/").json()["results"]
    assert len(everything) == 5
    assert everything[0]["webhook_id"] == f"evt_{mine.pk}"


def test_events__after_and_type__filter_the_feed(manager):
    with transaction.atomic():
        first = event_emit(type="wave.status_changed", subject="w")
        second = event_emit(type="job.finished", subject="j")
        third = event_emit(type="wave.status_changed", subject="w")
    client = client_for(manager)

    after = client.get(f"/api/v1/events/?after={first.pk}").json()["results"]
    typed = client.get("/api/v1/events/?type=wave.status_changed").json()["results"]

    assert [e["id"] for e in after] == [second.pk, third.pk]
    assert [e["id"] for e in typed] == [first.pk, third.pk]
    assert client.get("/api/v1/events/?type=nope").status_code == 400


def test_events__undeclared_and_internal__never_shown(manager):
    with transaction.atomic():
        event_emit(type="wave.status_changed", subject="w", payload={"wave": 1, "note": "Jane"})
        event_emit(type="webhook.disabled", subject="webhook:1", payload={"endpoint": 1})

    (event,) = client_for(manager).get("/api/v1/events/").json()["results"]

    assert event["data"] == {"wave": 1}


def test_event_types__lists_the_catalogue_with_vendor_drift(reader):
    body = client_for(reader).get("/api/v1/event-types/").json()

    types = {t["type"]: t for t in body}
    assert "vendor.drift" in types and "webhook.disabled" not in types
    assert types["cost.threshold_crossed"]["contract_wide"] is True
    assert "to_status" in types["wave.status_changed"]["fields"]


# --- email choices -----------------------------------------------------------------------------


def test_email_subscriptions__set_and_read_back(finance):
    client = client_for(finance)

    client.post(
        "/api/v1/email-subscriptions/",
        {"event_type": "cost.threshold_crossed", "mode": "immediate"},
        format="json",
    )
    body = client.post(
        "/api/v1/email-subscriptions/",
        {"event_type": "job.finished", "mode": "digest"},
        format="json",
    ).json()
    off = client.post(
        "/api/v1/email-subscriptions/", {"event_type": "job.finished", "mode": "off"}, format="json"
    ).json()

    assert body == [
        {"event_type": "cost.threshold_crossed", "mode": "immediate"},
        {"event_type": "job.finished", "mode": "digest"},
    ]
    assert off == [{"event_type": "cost.threshold_crossed", "mode": "immediate"}]
    assert client.get("/api/v1/email-subscriptions/").json() == off


def test_email_subscriptions__coordinator_asks_for_contract_figures__409(coordinator_of):
    client = client_for(coordinator_of(AgencyFactory()))

    response = client.post(
        "/api/v1/email-subscriptions/",
        {"event_type": "cost.threshold_crossed", "mode": "immediate"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_for_your_role"


def test_events__api_reader__declared_fields_only(reader):
    cohort = running_cohort()
    from licensing.services.seats import seat_request
    from tests.factories import EmployeeFactory

    seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=cohort.wave.contract)

    (event,) = client_for(reader).get("/api/v1/events/").json()["results"]

    assert event["type"] == "seat.status_changed"
    assert set(event["data"]) <= {
        "seat",
        "contract",
        "employee",
        "agency",
        "cohort",
        "from_status",
        "to_status",
        "at",
        "job",
    }
    assert Event.objects.count() == 1
