"""The permission matrix of docs/api.md, walked cell by cell: every endpoint and method, called
by each role (a coordinator on their own agency's objects), by an authenticated user with no
role, and without credentials. `MATRIX` mirrors the doc's table, and a test checks that the two
say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from core.models import Event
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.services.webhooks import webhook_secret_new

RM, FIN, COORD, READER = ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER
PRINCIPALS = (RM, FIN, COORD, READER, "no_role", "anonymous")

ALL = frozenset({RM, FIN, COORD, READER})
FIGURES = frozenset({RM, FIN, READER})
MANAGER = frozenset({RM})
REQUESTERS = frozenset({RM, COORD})
FORECASTERS = frozenset({RM, FIN})
FINANCE_ONLY = frozenset({FIN})
EXPORTERS = frozenset({RM, FIN, COORD})
WHOLE_CONTRACT = frozenset({RM, FIN})
WEBHOOK_OWNERS = frozenset({RM, FIN})  # each on their own endpoints only
PUBLIC = frozenset({*PRINCIPALS})

# (method, path as docs/api.md writes it, who may call it)
MATRIX = [
    ("GET", "/api/v1/agencies/", ALL),
    ("GET", "/api/v1/agencies/{id}/", ALL),
    ("GET", "/api/v1/bargaining-units/", ALL),
    ("GET", "/api/v1/bargaining-units/{id}/", ALL),
    ("POST", "/api/v1/bargaining-units/{id}/set-status/", MANAGER),
    ("GET", "/api/v1/employees/", ALL),
    ("GET", "/api/v1/employees/{id}/", ALL),
    ("GET", "/api/v1/waves/", ALL),
    ("GET", "/api/v1/waves/{id}/", ALL),
    ("POST", "/api/v1/waves/{id}/approve/", MANAGER),
    ("POST", "/api/v1/waves/{id}/start/", MANAGER),
    ("POST", "/api/v1/waves/{id}/pause/", MANAGER),
    ("POST", "/api/v1/waves/{id}/resume/", MANAGER),
    ("POST", "/api/v1/waves/{id}/complete/", MANAGER),
    ("POST", "/api/v1/waves/{id}/cancel/", MANAGER),
    ("GET", "/api/v1/cohorts/", ALL),
    ("GET", "/api/v1/cohorts/{id}/", ALL),
    ("GET", "/api/v1/cohorts/{id}/readiness/", ALL),
    ("POST", "/api/v1/cohorts/{id}/readiness/sign-off/", MANAGER),
    ("POST", "/api/v1/cohorts/{id}/readiness/reopen/", MANAGER),
    ("POST", "/api/v1/cohorts/{id}/activate/", MANAGER),
    ("GET", "/api/v1/cohorts/{id}/jobs/{job_id}/", ALL),
    ("GET", "/api/v1/seats/", ALL),
    ("POST", "/api/v1/seats/", REQUESTERS),
    ("GET", "/api/v1/seats/{id}/", ALL),
    ("POST", "/api/v1/seats/{id}/approve/", MANAGER),
    ("POST", "/api/v1/seats/{id}/activate/", MANAGER),
    ("POST", "/api/v1/seats/{id}/suspend/", MANAGER),
    ("POST", "/api/v1/seats/{id}/reactivate/", MANAGER),
    ("POST", "/api/v1/seats/{id}/revoke/", MANAGER),
    ("GET", "/api/v1/seat-events/", ALL),
    ("GET", "/api/v1/seat-events/{id}/", ALL),
    ("GET", "/api/v1/usage-days/", ALL),
    ("GET", "/api/v1/usage-days/{id}/", ALL),
    ("GET", "/api/v1/seat-counts/", ALL),
    ("GET", "/api/v1/contracts/", ALL),
    ("GET", "/api/v1/contracts/{id}/", ALL),
    ("GET", "/api/v1/contracts/{id}/cost/", FIGURES),
    ("GET", "/api/v1/contracts/{id}/periods/", FIGURES),
    ("POST", "/api/v1/contracts/{id}/periods/{period_id}/mark/", FINANCE_ONLY),
    ("POST", "/api/v1/contracts/{id}/periods/{period_id}/undo-paid/", FINANCE_ONLY),
    ("POST", "/api/v1/contracts/{id}/forecast/", FORECASTERS),
    ("GET", "/api/v1/contracts/{id}/reconciliation/", WHOLE_CONTRACT),
    ("GET", "/api/v1/exports/employees/", EXPORTERS),
    ("GET", "/api/v1/exports/seats/", EXPORTERS),
    ("GET", "/api/v1/exports/seat-events/", EXPORTERS),
    ("GET", "/api/v1/exports/chargeback/", EXPORTERS),
    ("GET", "/api/v1/exports/billing-lines/", WHOLE_CONTRACT),
    ("GET", "/api/v1/event-types/", ALL),
    ("GET", "/api/v1/events/", ALL),
    ("GET", "/api/v1/events/{id}/", ALL),
    ("GET", "/api/v1/webhooks/", WEBHOOK_OWNERS),
    ("POST", "/api/v1/webhooks/", WEBHOOK_OWNERS),
    ("GET", "/api/v1/webhooks/{id}/", WEBHOOK_OWNERS),
    ("PATCH", "/api/v1/webhooks/{id}/", WEBHOOK_OWNERS),
    ("DELETE", "/api/v1/webhooks/{id}/", WEBHOOK_OWNERS),
    ("GET", "/api/v1/webhooks/{id}/deliveries/", WEBHOOK_OWNERS),
    ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/", WEBHOOK_OWNERS),
    ("GET", "/api/v1/email-subscriptions/", ALL),
    ("POST", "/api/v1/email-subscriptions/", ALL),
    ("GET", "/api/v1/health", PUBLIC),
    ("GET", "/api/schema/", PUBLIC),
    ("GET", "/api/docs/", PUBLIC),
]


def _objects(world) -> dict:
    """The object each `{id}` stands for, by resource: always agency A's, so a coordinator's
    cell tests their role and not their scope (BOLA has its own tests); a webhook endpoint is
    the caller's own (`world["endpoint"]`, made by `_own_endpoint`)."""
    return {
        "events": next(
            e
            for e in Event.objects.filter(type="seat.status_changed")
            if e.agency_ids == [world["agency_a"].pk]
        ),
        "webhooks": world.get("endpoint"),
        "agencies": world["agency_a"],
        "bargaining-units": world["unit"],
        "employees": world["employees_a"][0],
        "waves": world["wave"],
        "cohorts": world["cohort_a"],
        "seats": world["seats_a"][0],
        "seat-events": world["seats_a"][0].events.first(),
        "usage-days": world["usage_a"],
        "contracts": world["contract"],
    }


def _url(path: str, world) -> str:
    parts = path.split("/")
    resource = parts[3] if len(parts) > 3 else ""
    objects = _objects(world)
    if "{id}" in path:
        path = path.replace("{id}", str(objects[resource].pk))
    path = path.replace("{job_id}", str(world["job_a"].pk)).replace(
        "{period_id}", str(world["line"].pk)
    )
    if "{delivery_id}" in path:
        path = path.replace("{delivery_id}", str(world["delivery"].pk))
    return path


def _own_endpoint(world, users, who) -> None:
    """A webhook endpoint of the caller (of the manager, for a caller who may own none), with
    one delivery; written directly, the services are tested apart."""
    owner = users[who] if who in WEBHOOK_OWNERS else users[RM]
    endpoint = WebhookEndpoint.objects.create(
        owner=owner,
        url="http://127.0.0.1:9/hook",
        event_types=["wave.status_changed"],
        secret=webhook_secret_new(),
    )
    world["endpoint"] = endpoint
    world["delivery"] = WebhookDelivery.objects.create(
        endpoint=endpoint, event=Event.objects.first(), status="failed"
    )


def _body(method: str, path: str, world) -> dict | None:
    if method == "PATCH":
        return {"description": "matrix walk"}
    if method != "POST":
        return None
    if path == "/api/v1/webhooks/":
        return {"url": "http://127.0.0.1:9/hook", "events": ["wave.status_changed"]}
    if path.endswith("/redeliver/"):
        return {}
    if path == "/api/v1/email-subscriptions/":
        return {"event_type": "wave.status_changed", "mode": "digest"}
    if path.endswith("/set-status/"):
        return {"status": "agreement", "reason": "signed"}
    if path.endswith("/sign-off/"):
        return {"kind": "privacy_review", "evidence": "Privacy memo 2026-14"}
    if path.endswith("/reopen/"):
        return {"kind": "privacy_review", "reason": "Review reopened"}
    if path.endswith("/activate/") and "/cohorts/" in path:
        return {"dry_run": True}
    if path == "/api/v1/seats/":
        newcomer = world["newcomer_a"]
        return {"employee": newcomer.pk, "contract": world["contract"].pk}
    if path.endswith("/mark/"):
        return {"status": "invoiced"}
    if path.endswith("/forecast/"):
        return {"changes": [{"type": "shift_wave", "wave": world["wave"].pk, "days": 14}]}
    return {"reason": "matrix walk"}


CELLS = [
    pytest.param(method, path, allowed, who, id=f"{method} {path} as {who}")
    for method, path, allowed in MATRIX
    for who in PRINCIPALS
]


@pytest.mark.parametrize(("method", "path", "allowed", "who"), CELLS)
def test_permission_matrix__each_cell__answers_as_documented(
    method, path, allowed, who, world, users, clients, settings
):
    # Given the caller and, for a seat request, an agency-A employee without a seat; for a
    # webhook, an endpoint of theirs (webhooks may go to 127.0.0.1 here, as in development)
    from tests.factories import EmployeeFactory

    world["newcomer_a"] = EmployeeFactory(agency=world["agency_a"])
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _own_endpoint(world, users, who)
    client = clients[who]

    # When they call the endpoint
    url = _url(path, world)
    body = _body(method, path, world)
    call = {"GET": client.get, "POST": client.post, "PATCH": client.patch}.get(method)
    response = client.delete(url) if method == "DELETE" else call(url, body, format="json")

    # Then an allowed caller gets through (a business refusal is still "through"), an
    # anonymous one is asked to authenticate, anyone else is forbidden
    if who in allowed:
        expected = {
            "GET": {200},
            "PATCH": {200},
            "DELETE": {204},
        }.get(method, {200, 201, 202, 409})
        assert response.status_code in expected, response.content[:500]
    elif who == "anonymous":
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    else:
        assert response.status_code == 403
        assert response.json() == {
            "code": "permission_denied",
            "detail": "You do not have permission to perform this action.",
            "fields": {},
        }


def _doc_matrix() -> list[tuple[str, str, frozenset[str]]]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    section = text.split("<!-- permission-matrix:start -->")[1].split(
        "<!-- permission-matrix:end -->"
    )[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 + len(PRINCIPALS) or cells[0] not in ("GET", "POST", "PATCH", "DELETE"):
            continue
        method, path = cells[0], re.sub(r"`", "", cells[1])
        allowed = frozenset(
            who for who, cell in zip(PRINCIPALS, cells[2:], strict=True) if cell in ("✓", "own")
        )
        rows.append((method, path, allowed))
    return rows


def test_permission_matrix__docs_table__matches_the_tested_table():
    # Given the table in docs/api.md
    documented = _doc_matrix()

    # Then it lists exactly the cells this module walks
    assert documented == [(m, p, a) for m, p, a in MATRIX]


def test_permission_matrix__schema__has_no_operation_outside_the_matrix(client):
    # Given the OpenAPI schema
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    # Then every documented operation has a row in the matrix, and every row an operation
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    rows = {
        (m, re.sub(r"^/api/v1/exports/[a-z-]+/$", "/api/v1/exports/{kind}/", p))
        for m, p, _ in MATRIX
        if p.startswith("/api/v1/")
    }
    assert operations == rows
