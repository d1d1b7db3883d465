"""The OpenAPI schema: generated without a warning, served at /api/schema/, with interactive docs
served from local static files (no CDN), and every operation documenting its errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def test_schema__spectacular_validate__no_warning_or_error(db, tmp_path):
    # When the schema is generated and validated, warnings counting as failures
    out = StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "s.yaml"),
        stdout=out,
    )

    # Then it is written (the command raises on any warning)
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")


@pytest.fixture
def schema(db):
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_schema__every_operation__documents_its_errors(schema):
    # Given every operation of the API
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            # Then each documents success, and the auth errors when it needs a role
            assert codes & {"200", "201", "202", "204"}, (method, path)
            if path != "/api/v1/health":
                assert {"401", "403", "429"} <= codes, (method, path)
                assert "**Roles:**" in operation["description"], (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method == "post":
                assert {"400", "409", "413", "415"} <= codes, (method, path)
            # The request limits apply to every request, so every operation documents them
            assert {"414", "431"} <= codes, (method, path)
            for code, response in operation["responses"].items():
                if code >= "400" and code != "503":  # the health check's 503 is its own body
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    # A refusal's fields are its figures (numbers, strings, lists), not input
                    # errors: the same shape, its own schema.
                    expected = "Refusal" if code == "409" else "Error"
                    assert ref == f"#/components/schemas/{expected}"


def test_schema__api_key_scheme__declared(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}


def test_docs__swagger_ui__served_from_local_static(db):
    # When the interactive docs are opened
    response = APIClient().get("/api/docs/")

    # Then the page loads its scripts from this server's static files, never a CDN
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
        assert cdn not in html


def test_schema__strict_request_bodies__refuse_unknown_keys(schema):
    # Given every request body of the API (all are strict input serializers)
    components = schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            body = components[name.rsplit("/", 1)[1]]
            # Then the schema says what the API does: unknown keys are refused
            assert body["additionalProperties"] is False, (method, path)


def test_schema__fields_some_callers_do_not_get__not_required(schema):
    # A seat event's actor and reason, an employee's personal fields: left out for API readers
    components = schema["components"]["schemas"]

    assert not {"actor", "reason"} & set(components["SeatEvent"]["required"])
    assert not {"email", "first_name", "last_name", "job_title"} & set(
        components["Employee"]["required"]
    )
    assert "id" in components["SeatEvent"]["required"]


def test_schema__every_seat_and_wave_action__documents_its_body(schema):
    for path, item in schema["paths"].items():
        if path.startswith(("/api/v1/seats/{id}/", "/api/v1/waves/{id}/")) and "post" in item:
            assert "requestBody" in item["post"], path
