"""Hostile bodies, headers, URLs and types (issue 14, items 3, 4 and 6): every one answers a 4xx
in the one error shape, names what was wrong, and changes nothing. One mechanism each: the
bounded JSON parser, the strict input serializers, the path-id check, the request limits."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config.api.parsers import BoundedJSONParser, RequestTooLarge
from config.roles import API_READER, FINANCE, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import Seat

SHAPE = {"code", "detail", "fields"}


@pytest.fixture
def manager(clients):
    return clients[ROLLOUT_MANAGER]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == SHAPE
    assert body["code"] == code
    return body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- item 3: nesting and size of a parsed body ---------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/seats/", "forecast"])
@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_body__nested_deeper_than_the_limit__400_parse_error(manager, world, path, depth):
    # Given a body nested deeper than 32 levels
    if path == "forecast":
        path = f"/api/v1/contracts/{world['contract'].pk}/forecast/"

    # When it is posted
    response = manager.post(path, _nested(depth), content_type="application/json")

    # Then it is refused before it is decoded: no RecursionError, no 500
    body = _error(response, 400, "parse_error")
    assert "nested deeper than 32" in body["detail"]


def test_body__brackets_inside_strings__not_counted_as_nesting(manager, world):
    # Given a reason full of brackets and quotes, in an otherwise flat body
    seat = world["seats_a"][0]
    reason = '[[[[{"' * 20 + '\\"' + "]]]]" * 20

    # When it is posted
    response = manager.post(
        f"/api/v1/seats/{seat.pk}/approve/",
        json.dumps({"reason": reason}),
        content_type="application/json",
    )

    # Then it is read as the text it is
    assert response.status_code == 200, response.content


def test_body__over_the_size_limit__413_too_large(manager, world, settings):
    # Given a limit of 1 KiB and a 3 KiB body
    settings.API_MAX_BODY_BYTES = 1024
    body = json.dumps({"reason": "x" * 3000})

    # When it is posted
    response = manager.post(
        f"/api/v1/seats/{world['seats_a'][0].pk}/approve/", body, content_type="application/json"
    )

    # Then it is refused as too large, and the seat is untouched
    _error(response, 413, "too_large")
    assert Seat.objects.get(pk=world["seats_a"][0].pk).status == "requested"


def test_body__oversized_content_length__413_without_reading(manager, world):
    # Given a request that announces 3 MB
    response = manager.post(
        "/api/v1/seats/", "{}", content_type="application/json", CONTENT_LENGTH=str(3 * 10**6)
    )

    # Then it is refused before the body is read
    _error(response, 413, "too_large")


def test_parser__body_without_content_length__bounded_all_the_same(settings):
    # Given a stream longer than the limit (a chunked body has no Content-Length)
    settings.API_MAX_BODY_BYTES = 100
    stream = io.BytesIO(b'{"reason": "' + b"x" * 1000 + b'"}')

    # When the parser reads it, then it stops at the limit and refuses
    with pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(stream, "application/json", {})


@pytest.mark.parametrize("raw", ["NaN", '{"reason": Infinity}', '{"days": -Infinity}'])
def test_body__non_json_numbers__400(manager, world, raw):
    response = manager.post("/api/v1/seats/", raw, content_type="application/json")

    _error(response, 400, "parse_error")


# --- item 6: URL and header limits, in the error shape -------------------------------------------


def test_request__4kb_query__414_in_the_error_shape(manager, world):
    response = manager.get("/api/v1/seats/?status=" + "a" * 4096)

    _error(response, 414, "uri_too_long")


def test_request__8kb_header__431_in_the_error_shape(manager, world):
    response = manager.get("/api/v1/seats/", HTTP_X_PADDING="a" * 8192)

    _error(response, 431, "headers_too_large")


def test_request__too_many_header_bytes_together__431(manager, world):
    headers = {f"HTTP_X_PAD_{n}": "a" * 4000 for n in range(9)}

    _error(manager.get("/api/v1/seats/", **headers), 431, "headers_too_large")


def test_request__over_a_limit_outside_the_api__plain_text():
    response = Client().get("/accounts/login/?next=" + "a" * 5000)

    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/plain")


def test_request__within_the_limits__served(manager, world):
    response = manager.get("/api/v1/seats/?status=active", HTTP_X_PADDING="a" * 4000)

    assert response.status_code == 200


# --- item 4: JSON types taken as they are --------------------------------------------------------


def test_cohort_activate__dry_run_zero__400_and_nothing_runs(manager, world):
    # Given a cohort in a running wave
    cohort = world["cohort_a"]
    jobs_before = Job.objects.count()

    # When a dry run is asked with 0 (which DRF would read as false: a real run)
    response = manager.post(f"/api/v1/cohorts/{cohort.pk}/activate/", {"dry_run": 0})

    # Then it is refused naming the field, and no job is written
    body = _error(response, 400, "invalid")
    assert body["fields"] == {"dry_run": ["Must be a JSON boolean: true or false."]}
    assert Job.objects.count() == jobs_before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("cohort:readiness/sign-off/", {"kind": "privacy_review", "evidence": 0}, "evidence"),
        ("cohort:readiness/sign-off/", {"kind": 1, "evidence": "memo"}, "kind"),
        ("cohort:readiness/reopen/", {"kind": "privacy_review", "reason": 0}, "reason"),
        ("cohort:activate/", {"dry_run": "true"}, "dry_run"),
        ("cohort:activate/", {"dry_run": 1}, "dry_run"),
        ("seat:approve/", {"reason": 0}, "reason"),
        ("seat:approve/", {"reason": ["a"]}, "reason"),
        ("seat:activate/", {"override": "yes", "reason": "x"}, "override"),
        ("seat:activate/", {"override": 0, "reason": "x"}, "override"),
        ("wave:pause/", {"reason": False}, "reason"),
        ("seats", {"employee": "1", "contract": 1}, "employee"),
        ("seats", {"employee": 1, "contract": 1, "reason": 7}, "reason"),
        ("forecast", {"changes": [{"type": "set_quota", "cohort": 1, "seat_quota": "5"}]}, None),
        ("forecast", {"changes": [{"type": "shift_wave", "wave": 1, "days": 1.0}]}, None),
    ],
)
def test_writes__wrong_json_type__400_naming_the_field(manager, world, path, body, field):
    # Given an otherwise valid write with one value of the wrong JSON type
    kind, _, action = path.partition(":")
    targets = {
        "cohort": f"/api/v1/cohorts/{world['cohort_a'].pk}/",
        "seat": f"/api/v1/seats/{world['seats_a'][0].pk}/",
        "wave": f"/api/v1/waves/{world['wave'].pk}/",
        "seats": "/api/v1/seats/",
        "forecast": f"/api/v1/contracts/{world['contract'].pk}/forecast/",
    }
    url = targets[kind] + action
    body = json.loads(
        json.dumps(body)
        .replace('"contract": 1', f'"contract": {world["contract"].pk}')
        .replace('"cohort": 1', f'"cohort": {world["cohort_a"].pk}')
        .replace('"wave": 1', f'"wave": {world["wave"].pk}')
    )
    seats_before = list(Seat.objects.order_by("id").values_list("id", "status"))

    # When it is posted
    response = manager.post(url, body)

    # Then it is a 400 naming the field, and nothing changed
    payload = _error(response, 400, "invalid")
    if field is not None:
        assert field in payload["fields"], payload
    else:
        assert any(name.startswith("changes.0.") for name in payload["fields"]), payload
    assert list(Seat.objects.order_by("id").values_list("id", "status")) == seats_before


@pytest.mark.parametrize("written", [" 7", "+7", "07", "７", "abc", "-7", "0x7", "7 "])
def test_path_ids__not_canonical_digits__400_naming_the_id(manager, world, written):
    # Given a seat, and its id written some other way than plain digits
    seat = world["seats_a"][0]
    text = written.replace("7", str(seat.pk))

    # When it is read
    response = manager.get(f"/api/v1/seats/{text}/")

    # Then it is a 400 naming the id, not the seat
    body = _error(response, 400, "invalid")
    assert list(body["fields"]) == ["id"]


def test_path_ids__nested_ids__each_named(clients, world):
    cohort, job, line = world["cohort_a"], world["job_a"], world["line"]

    job_body = _error(
        clients[ROLLOUT_MANAGER].get(f"/api/v1/cohorts/{cohort.pk}/jobs/0{job.pk}/"),
        400,
        "invalid",
    )
    mark = _error(
        clients[FINANCE].post(
            f"/api/v1/contracts/{world['contract'].pk}/periods/+{line.pk}/mark/",
            {"status": "invoiced"},
        ),
        400,
        "invalid",
    )

    undo = _error(
        clients[FINANCE].post(
            f"/api/v1/contracts/{world['contract'].pk}/periods/0{line.pk}/undo-paid/",
            {"reason": "typed the wrong line"},
        ),
        400,
        "invalid",
    )

    assert list(job_body["fields"]) == ["job_id"]
    assert list(mark["fields"]) == ["period_id"]
    assert list(undo["fields"]) == ["period_id"]


def test_path_ids__canonical__still_served(manager, world):
    seat = world["seats_a"][0]

    assert manager.get(f"/api/v1/seats/{seat.pk}/").status_code == 200
    assert manager.get("/api/v1/seats/0/").status_code == 404


@pytest.mark.parametrize("written", ["07", " 1", "+1", "１"])
def test_query_ids__not_canonical__400_naming_the_parameter(manager, world, written):
    response = manager.get("/api/v1/seat-counts/", {"contract": written})

    body = _error(response, 400, "invalid")
    assert "contract" in body["fields"]


# --- item 6: schema throttled, OPTIONS --------------------------------------------------------


def test_schema__throttled__429_json_error_shape(db, settings):
    # Given anonymous callers allowed two requests a minute
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    settings.REST_FRAMEWORK = rest
    client = APIClient()

    # When the schema is asked for a third time
    for _ in range(2):
        assert client.get("/api/schema/").status_code == 200
    response = client.get("/api/schema/")

    # Then the 429 is JSON in the error shape, not an OpenAPI document
    _error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("path", ["/api/v1/seat-counts/", "/api/v1/exports/chargeback/"])
@pytest.mark.parametrize("role", [ROLLOUT_MANAGER, FINANCE, API_READER, "no_role", "anonymous"])
def test_options__seat_counts_and_exports__405_with_allow_for_every_role(
    clients, world, path, role
):
    response = clients[role].options(path)

    _error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"
