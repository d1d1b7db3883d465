"""The notification pages, through the console kit: add an endpoint (confirmed, then its secret
shown once), redeliver from the page, change and delete, and each person's email choices;
another person's endpoint answers 404, a role that may not manage webhooks 403."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notifications.models import EmailSubscription, WebhookDelivery, WebhookEndpoint
from rollout.services import wave_pause
from tests.factories import AgencyFactory
from tests.rollout.builders import running_cohort

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add(client, url, events=("wave.status_changed",), confirmed=False):
    data = {"url": url, "events": list(events), "description": "Teams bot"}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post("/notifications/webhooks/new/", data)


def test_add_endpoint__confirmed__secret_shown_once_then_never(manager, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client = browser(manager)
    assert client.get("/notifications/webhooks/new/").status_code == 200

    # When the form is filled in, the page first says what will happen, and adds nothing
    preview = add(client, "http://127.0.0.1:9/hook")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Seatplan will POST signed messages to http://127.0.0.1:9/hook." in html
    assert not WebhookEndpoint.objects.exists()

    # When the confirmation is posted as the browser would (its hidden fields), the endpoint
    # is added and its page shows the secret, once
    hidden: dict = {}
    for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html):
        if name == "events":
            hidden.setdefault(name, []).append(value)
        elif name != "csrfmiddlewaretoken":
            hidden[name] = value
    assert hidden["events"] == ["wave.status_changed"] and hidden["confirmed"] == "yes"
    done = client.post("/notifications/webhooks/new/", hidden)
    endpoint = WebhookEndpoint.objects.get()
    assert (
        done.status_code == 302
        and done["Location"] == f"/notifications/webhooks/{endpoint.pk}/#main"
    )
    first = client.get(done["Location"])
    assert endpoint.secret in first.content.decode()
    assert first["Cache-Control"] == "no-store"
    assert endpoint.secret not in client.get(done["Location"]).content.decode()


def test_add_endpoint__private_address__400_with_the_reason(manager):
    response = add(browser(manager), "http://10.1.2.3/hook", confirmed=True)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="errors"' in html and "10.1.2.3 is a private address" in html
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_redeliver_from_the_page__confirmed__sent_again(manager, receiver):
    client = browser(manager)
    add(client, receiver.url, confirmed=True)
    endpoint = WebhookEndpoint.objects.get()
    receiver.secret = endpoint.secret
    wave_pause(wave=running_cohort().wave, actor=manager)
    delivery = WebhookDelivery.objects.get()
    page = client.get(f"/notifications/webhooks/{endpoint.pk}/").content.decode()
    assert f"evt_{delivery.event_id}" in page
    url = f"/notifications/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    assert f'action="{url}"' in page

    confirm = client.post(url)
    assert "is sent again to" in confirm.content.decode()
    assert len(receiver.requests) == 1
    done = client.post(url, {"confirmed": "yes"})

    assert done.status_code == 302
    assert len(receiver.verified()) == 2
    assert len(receiver.processed()) == 1


def test_edit_and_delete__through_their_pages(manager, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client = browser(manager)
    add(client, "http://127.0.0.1:9/hook", confirmed=True)
    endpoint = WebhookEndpoint.objects.get()
    edit = f"/notifications/webhooks/{endpoint.pk}/edit/"
    assert "http://127.0.0.1:9/hook" in client.get(edit).content.decode()

    preview = client.post(edit, {"url": endpoint.url, "events": ["job.finished"]})
    assert "It receives: Job finished." in preview.content.decode()
    assert "It is disabled." in preview.content.decode()
    client.post(edit, {"url": endpoint.url, "events": ["job.finished"], "confirmed": "yes"})
    endpoint.refresh_from_db()
    assert (endpoint.event_types, endpoint.is_active) == (["job.finished"], False)

    delete = f"/notifications/webhooks/{endpoint.pk}/delete/"
    assert "This cannot be undone." in client.post(delete).content.decode()
    assert client.post(delete, {"confirmed": "yes"})["Location"] == "/notifications/webhooks/#main"
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_pages__another_owner__404_and_coordinator__403(
    manager, finance, coordinator_of, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    add(browser(manager), "http://127.0.0.1:9/hook", confirmed=True)
    endpoint = WebhookEndpoint.objects.get()
    other = browser(finance)
    coordinator = browser(coordinator_of(AgencyFactory()))

    for path in ("", "edit/", "delete/"):
        assert other.get(f"/notifications/webhooks/{endpoint.pk}/{path}").status_code == 404
    assert "127.0.0.1:9" not in other.get("/notifications/webhooks/").content.decode()
    assert coordinator.get("/notifications/webhooks/").status_code == 403
    assert coordinator.get("/notifications/webhooks/new/").status_code == 403


def test_preferences__coordinator__agency_types_only_and_saved(coordinator_of):
    client = browser(coordinator_of(AgencyFactory()))

    page = client.get("/notifications/").content.decode()
    saved = client.post(
        "/notifications/",
        {
            "wave.status_changed": "immediate",
            "job.finished": "digest",
            "cohort.gates_passed": "off",
        },
    )

    assert "Wave status changed" in page and "Cost threshold crossed" not in page
    assert saved.status_code == 302 and saved["Location"] == "/notifications/#main"
    assert dict(EmailSubscription.objects.values_list("event_type", "mode")) == {
        "wave.status_changed": "immediate",
        "job.finished": "digest",
    }
    again = client.get("/notifications/").content.decode()
    assert re.search(r'name="wave.status_changed" value="immediate" id="[^"]+" checked', again)


def test_preferences__no_email_address__409_with_the_reason(roles):
    from config.roles import FINANCE

    from .conftest import person

    client = browser(person("no-mail", FINANCE, email=""))

    response = client.post("/notifications/", {"job.finished": "immediate"})

    assert response.status_code == 409
    assert "no email address" in response.content.decode()


def test_navigation__every_role__links_to_notifications(reader):
    assert 'href="/notifications/"' in browser(reader).get("/notifications/").content.decode()
