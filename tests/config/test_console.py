"""The console kit (config/console.py): invalid input opens at the error summary, a valid form is
confirmed before it acts, a refusal shows the service's words, success redirects (no re-post)."""

from __future__ import annotations

import pytest

from config.roles import FINANCE, ROLLOUT_MANAGER
from tests.config import console_urls
from tests.rollout.builders import person

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.console_urls")]


@pytest.fixture
def manager_client(client):
    console_urls.DONE.clear()
    client.force_login(person("kit-manager", ROLLOUT_MANAGER))
    return client


def test_action__invalid_input__400_with_summary_linking_each_field(manager_client):
    response = manager_client.post("/add/", {"seats": "0", "reason": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="errors"' in html
    assert 'href="#id_seats"' in html and 'href="#id_reason"' in html
    # the form posts back to the summary, so the browser opens there
    assert 'action="/add/#errors"' in html
    assert console_urls.DONE == []


def test_action__valid__confirmation_step_then_acts_and_redirects(manager_client):
    # When the form is filled in, the page first says what will happen, and nothing is done
    first = manager_client.post("/add/", {"seats": "5", "reason": "DPH onboarding"})
    assert first.status_code == 200
    assert "5 seats will be added." in first.content.decode()
    assert 'name="confirmed" value="yes"' in first.content.decode()
    assert console_urls.DONE == []

    # When it is confirmed, the action runs once and the browser is sent to a GET page
    second = manager_client.post(
        "/add/", {"seats": "5", "reason": "DPH onboarding", "confirmed": "yes"}
    )
    assert second.status_code == 302 and second["Location"] == "/done/#main"
    assert console_urls.DONE == [(5, "DPH onboarding")]


def test_action__service_refuses__409_with_the_services_message(manager_client):
    response = manager_client.post(
        "/add/", {"seats": "13", "reason": "too many", "confirmed": "yes"}
    )

    assert response.status_code == 409
    assert "Only 12 more seats fit under the ceiling." in response.content.decode()
    assert console_urls.DONE == []


def test_action__role_may_not__403(client):
    client.force_login(person("kit-finance", FINANCE))

    assert (
        client.post("/add/", {"seats": "5", "reason": "x", "confirmed": "yes"}).status_code == 403
    )
    assert console_urls.DONE == []
