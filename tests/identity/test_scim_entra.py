"""A recorded Entra ID provisioning sequence (tests/identity/entra_sequence.json) replayed
against /scim/v2/ over real HTTP: filter, create, patch attributes, patch `active` false,
delete, and a group's members, with the roster following each step. The user being
provisioned already holds an active seat from the CSV roster era: disabling them revokes it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from agencies.models import Employee
from licensing.services.seats import seat_activate, seat_approve, seat_request
from tests.factories import AgencyFactory, EmployeeFactory
from tests.rollout.builders import manager, running_cohort

from .test_scim_tokens import _issue

pytestmark = pytest.mark.django_db(transaction=True)
SEQUENCE = json.loads((Path(__file__).parent / "entra_sequence.json").read_text())


def _fill(value, saved: dict):
    text = json.dumps(value)
    for name, identifier in saved.items():
        text = text.replace("{" + name + "}", identifier)
    return json.loads(text)


def test_entra_sequence__replayed__every_step_answers_as_entra_expects(live_server):
    # Given the roster as the CSV left it: the user is an employee of DOR with an active seat
    dor = AgencyFactory(code="DOR", name="Department of Revenue")
    AgencyFactory(code="EOTSS", name="Executive Office of Technology Services and Security")
    cohort = running_cohort(agency=dor, seat_quota=5)
    employee = EmployeeFactory(
        employee_number="880002", email="test_user_dfeef4c5@mass.example.gov", agency=dor
    )
    seat = seat_request(employee=employee, contract=cohort.wave.contract, cohort=cohort)
    seat_activate(seat=seat_approve(seat=seat), actor=manager())
    client = httpx.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {_issue('--name', 'entra')}"},
    )
    saved: dict[str, str] = {}
    # The loop's client is closed at the end, not left to the garbage collector: a stray
    # keep-alive connection would reach the live server after the test's database is gone.
    with client:
        replay(client, saved, seat)

    # And the employee is still on the roster, separated, with the whole story in its history
    employee.refresh_from_db()
    assert employee.employment_status == "separated"
    reasons = list(employee.history.values_list("history_change_reason", flat=True))
    assert "SCIM patch by token 'entra'" in reasons


def replay(client: httpx.Client, saved: dict[str, str], seat) -> None:
    for step in SEQUENCE["steps"]:
        # When Entra ID sends the step's request
        body = _fill(step.get("body"), saved)
        response = client.request(
            step["method"],
            _fill(step["path"], saved),
            json=body,
            headers={"Content-Type": "application/scim+json"} if body else {},
        )

        # Then it answers as Entra ID expects, and the roster follows
        expect = step["expect"]
        data = response.json() if response.content else {}
        assert response.status_code == expect["status"], (step["name"], data)
        if "save" in step:
            saved[step["save"]] = data["id"]
        if "totalResults" in expect:
            assert data["totalResults"] == expect["totalResults"], step["name"]
            assert "Resources" in data
        if "active" in expect:
            assert data["active"] is expect["active"], step["name"]
        if "members" in expect:
            assert len(data.get("members", [])) == expect["members"], step["name"]
        if "employee" in expect:
            found = Employee.objects.select_related("agency").get(employee_number__in=["880002"])
            for field, wanted in expect["employee"].items():
                actual = found.agency.code if field == "agency" else getattr(found, field)
                assert actual == wanted, (step["name"], field)
        if "seat" in expect:
            seat.refresh_from_db()
            assert seat.status == expect["seat"], step["name"]
