"""Exports never tell a role more than the API would (issue 14, item 2): each export's columns are
compared with what the same caller may read from the equivalent API resource. A coordinator's
chargeback holds their agencies' rows and figures, never the contract's period totals, which
`GET /api/v1/contracts/{id}/cost/` refuses them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from licensing.exports import KINDS, export_build
from licensing.services.seats import seat_activate

pytestmark = pytest.mark.django_db

ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)

# The API resource that serves the same rows as each export (a list, or the contract's own).
EQUIVALENT = {
    "employees": "/api/v1/employees/",
    "seats": "/api/v1/seats/",
    "seat-events": "/api/v1/seat-events/",
    "billing-lines": "/api/v1/contracts/{contract}/periods/",
    "chargeback": "/api/v1/seat-counts/?contract={contract}",
}
# Export columns that carry a field the API may leave out for a role: column -> API field.
PERSONAL = {
    "employees": {c: c for c in ("email", "first_name", "last_name", "job_title")},
    "seat-events": {"actor": "actor", "reason": "reason"},
}


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _export(client, kind: str, world):
    query = f"?contract={world['contract'].number}"
    return client.get(reverse("exports:export", kwargs={"kind": kind}) + query)


@pytest.fixture(autouse=True)
def _billable(world, users):
    """One active seat in each agency, so the chargeback has a row for each."""
    for seat in (world["seats_a"][0], world["seats_b"][0]):
        seat_activate(seat=seat, actor=users[ROLLOUT_MANAGER], reason="test", override=True)


@pytest.fixture
def operations(db):
    """operationId -> (method, path) of the API schema."""
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return {
        op["operationId"]: (method, path)
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def _api_status(client, path: str, world) -> int:
    contract = str(world["contract"].pk)
    return client.get(path.replace("{id}", contract).replace("{contract}", contract)).status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_export_columns__each_role__never_more_than_the_equivalent_api(
    world, clients, operations, role, kind
):
    # Given a caller in `role` and the API resource equivalent to the export
    client = clients[role]
    spec = KINDS[kind]
    export = _export(client, kind, world)
    api = _api_status(client, EQUIVALENT[kind], world)

    # Then the export is refused whenever the API resource is
    if api != 200:
        assert export.status_code == 403, (role, kind)
        return
    if export.status_code == 403:
        return  # allowed to read but not to export (API readers): never more, so fine
    assert export.status_code == 200, export.content[:300]
    header = _rows(export)[0]

    # And each contract-wide column is there exactly when the caller may read that figure
    for column, operation_id in spec.contract_wide.items():
        method, path = operations[operation_id]
        assert method == "get"
        may_read = _api_status(client, path, world) == 200
        assert (column in header) == may_read, (role, kind, column)

    # And each personal column is there only if the API shows that field to the caller
    fields = PERSONAL.get(kind, {})
    if fields:
        listed = client.get(EQUIVALENT[kind]).json()["results"]
        assert listed, (role, kind)
        for column, field in fields.items():
            assert (column in header) == all(field in row for row in listed), (role, kind)


def test_chargeback__coordinator__own_agency_rows_and_no_contract_figures(world, clients):
    # Given the chargeback as finance and as agency A's coordinator
    full = _rows(_export(clients[FINANCE], "chargeback", world))
    mine = _rows(_export(clients[AGENCY_COORDINATOR], "chargeback", world))

    # Then finance has the contract's period totals; the coordinator neither those columns
    # nor any other agency's row (nor the unallocated line, which is the contract's)
    assert {"period_billable_persons", "period_charge"} <= set(full[0])
    assert mine[0] == [
        "contract_number",
        "period_start",
        "period_end",
        "agency_code",
        "agency_name",
        "chargeback_code",
        "billable_persons",
        "agency_amount",
    ]
    assert len(mine) > 1
    assert {row[3] for row in mine[1:]} == {"AGA"}
    # And the coordinator's own amounts are finance's amounts for AGA, unchanged
    own = [(r[1], r[-1]) for r in full[1:] if r[3] == "AGA"]
    assert [(r[1], r[-1]) for r in mine[1:]] == own


def test_chargeback__scoped_export_job__records_the_columns(world, users):
    # The job row says which columns a scoped file carried
    scoped = export_build(
        kind="chargeback",
        fmt="xlsx",
        actor=users[AGENCY_COORDINATOR],
        agency_ids=frozenset({world["agency_a"].pk}),
    )

    assert "period_charge" not in scoped.job.outcome["columns"]
    assert scoped.job.outcome["agency_scope"] == [world["agency_a"].pk]


def test_contract_wide_columns__name_real_operations(operations):
    for spec in KINDS.values():
        for operation_id in spec.contract_wide.values():
            assert operation_id in operations
