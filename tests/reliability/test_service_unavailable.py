"""A database, cache or broker outage answers 503 in the API's error shape (a plain page outside
/api/), never a 500 with a traceback (config/middleware.py, docs/reliability.md)."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from config.api.authentication import ApiKeyAuthentication
from config.settings.base import MIDDLEWARE

pytestmark = pytest.mark.urls("tests.reliability.urls")

SHAPE_KEYS = {"code", "detail", "fields"}


def test_middleware__base_settings__installed_inside_security_middleware():
    # The 503 response still gets the security headers: SecurityMiddleware wraps it.
    index = MIDDLEWARE.index("config.middleware.ServiceUnavailableMiddleware")
    assert MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") < index


# Ids that are not marker names: the conftest reads `broker` as the live-broker marker.
@pytest.mark.parametrize("what", ["database", "cache", "queue"])
def test_api_request__dependency_down__503_in_the_error_shape(db, what):
    # Given a view that fails the way an unreachable database, Redis cache or broker makes it
    client = Client(raise_request_exception=False)

    # When the API is asked
    response = client.get(f"/api/v1/boom/{what}")

    # Then it answers 503 in the one error shape, says when to retry, and leaks nothing
    assert response.status_code == 503
    body = response.json()
    assert set(body) == SHAPE_KEYS
    assert body["code"] == "service_unavailable"
    assert body["fields"] == {}
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    for leak in (b"Traceback", b"internal", b"10.0.0.5", b"seatplan", b"111"):
        assert leak not in response.content


def test_web_page__database_down__plain_503_page(db):
    response = Client(raise_request_exception=False).get("/rollout/boom/database")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert b"Service unavailable" in response.content
    assert b"Traceback" not in response.content and b"db.internal" not in response.content


def test_api_request__plain_bug__still_a_500(db):
    # An outage is not a bug: anything else keeps its 500 (and its log entry).
    response = Client(raise_request_exception=False).get("/api/v1/boom/bug")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_api_request__database_down__one_warning_without_traceback(db, caplog):
    caplog.set_level(logging.WARNING, logger="config.middleware")

    Client(raise_request_exception=False).get("/api/v1/boom/database")

    records = [r for r in caplog.records if r.name == "config.middleware"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert "database unavailable" in records[0].getMessage()
    assert "db.internal" not in records[0].getMessage()


def test_real_endpoint__database_fails_during_authentication__503(db, monkeypatch):
    # Given the API key lookup (the first query of an API request) hits a dead database
    def refuse(self, request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ApiKeyAuthentication, "authenticate", refuse)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.0123456789abcdef0123456789abcdef")

    # When a real endpoint is called
    response = client.get("/api/v1/seats/")

    # Then it is a clean 503
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
