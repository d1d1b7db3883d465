"""`GET /api/v1/health`: no credentials, no secrets; 200 while the database answers, 503 when it
does not; a missing broker degrades the answer but does not fail it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

URL = "/api/v1/health"


def test_health__embedded_default__ok_and_eager(db):
    # Given no broker configured (tasks run in-process)
    # When the health check is called without credentials
    response = APIClient().get(URL)

    # Then all is well, and says so without detail
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert response["Cache-Control"] == "no-store"


def test_health__broker_unreachable__degraded_200_without_the_url(db, settings, monkeypatch):
    # Given a broker nobody listens on, reached with a password in its URL
    from kombu import Connection

    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    dead = "redis://:s3cret-pass@127.0.0.1:1/0"
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection(dead))

    # When the health check is called
    response = APIClient().get(URL)

    # Then it still answers 200, degraded, and shows neither the URL nor the password
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "degraded"}
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content


@pytest.mark.broker
def test_health__live_broker__ok(db, settings):
    # Given the real broker of the CI machine
    settings.CELERY_TASK_ALWAYS_EAGER = False

    # When the health check is called
    response = APIClient().get(URL)

    # Then the broker answers
    assert response.json()["broker"] == "ok"


def test_health__database_down__503_error(db, monkeypatch):
    # Given a database that refuses every query
    class Down:
        def cursor(self):
            raise RuntimeError("connection refused to db.internal:5432 as user seatplan")

    monkeypatch.setattr("config.api.health.connection", Down())

    # When the health check is called
    response = APIClient().get(URL)

    # Then it answers 503 and keeps the reason to the logs
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "broker": "eager"}
    assert b"db.internal" not in response.content


def test_health__other_methods__405(db):
    # When the health check is posted to
    response = APIClient().post(URL, {})

    # Then the method is not allowed
    assert response.status_code == 405
