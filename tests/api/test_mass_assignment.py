"""Mass assignment: a write that carries a field the endpoint does not take is refused with a 400
naming it, instead of being silently dropped; `status` changes only through the actions."""

from __future__ import annotations

import pytest

from config.roles import FINANCE, ROLLOUT_MANAGER
from tests.factories import EmployeeFactory


@pytest.fixture
def manager(clients):
    return clients[ROLLOUT_MANAGER]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"status": "active"}, "This field is read-only."),
        ({"agency": 2}, "This field is read-only."),
        ({"activated_at": "2026-03-01T00:00:00Z"}, "This field is read-only."),
        ({"id": 77}, "This field is read-only."),
        ({"is_admin": True}, "Unknown field."),
    ],
)
def test_mass_assignment__seat_request_with_extra_field__400_naming_it(
    manager, world, extra, message
):
    # Given a seat request for an employee without a seat, plus a field clients may not set
    person = EmployeeFactory(agency=world["agency_a"])
    body = {"employee": person.pk, "contract": world["contract"].pk, **extra}

    # When it is posted
    response = manager.post("/api/v1/seats/", body)

    # Then it is refused, naming the field, and no seat is written
    assert response.status_code == 400
    name = next(iter(extra))
    assert response.json()["fields"] == {name: [message]}
    assert not person.seats.exists()


def test_mass_assignment__several_extra_fields__each_named(manager, world):
    # Given a request with two read-only fields and an unknown one
    person = EmployeeFactory(agency=world["agency_a"])
    body = {
        "employee": person.pk,
        "contract": world["contract"].pk,
        "status": "active",
        "cohort_status": "x",
        "ended_at": None,
    }

    # When it is posted
    response = manager.post("/api/v1/seats/", body)

    # Then every offender is listed
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "cohort_status", "ended_at"}


@pytest.mark.parametrize("verb", ["approve", "activate", "suspend", "reactivate", "revoke"])
def test_mass_assignment__seat_action_with_status__400_and_seat_unchanged(manager, world, verb):
    # Given a requested seat
    seat = world["seats_a"][0]

    # When an action is posted with a status of the client's choosing
    response = manager.post(f"/api/v1/seats/{seat.pk}/{verb}/", {"status": "active"})

    # Then it is refused before the service runs
    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ["This field is read-only."]}
    seat.refresh_from_db()
    assert seat.status == "requested"


def test_mass_assignment__wave_action_with_approved_by__400(manager, world):
    # Given a wave
    wave = world["wave"]

    # When it is paused with an approver and a status in the body
    response = manager.post(
        f"/api/v1/waves/{wave.pk}/pause/", {"approved_by": 1, "status": "planned"}
    )

    # Then both fields are refused and the wave keeps running
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"approved_by", "status"}
    wave.refresh_from_db()
    assert wave.status == "in_progress"


def test_mass_assignment__billing_mark_with_amount__400(clients, world):
    # Given a billing line
    line = world["line"]

    # When finance marks it and also sends an amount
    response = clients[FINANCE].post(
        f"/api/v1/contracts/{world['contract'].pk}/periods/{line.pk}/mark/",
        {"status": "invoiced", "amount": "0.00"},
    )

    # Then the amount is refused and the line is unchanged
    assert response.status_code == 400
    assert response.json()["fields"] == {"amount": ["This field is read-only."]}
    line.refresh_from_db()
    assert line.status == "accrued"


def test_mass_assignment__forecast_change_with_unknown_key__400_naming_path(manager, world):
    # Given a forecast change with a key the change type does not take
    body = {"changes": [{"type": "cancel_wave", "wave": world["wave"].pk, "days": 3}]}

    # When it is posted
    response = manager.post(f"/api/v1/contracts/{world['contract'].pk}/forecast/", body)

    # Then the nested key is named by its path
    assert response.status_code == 400
    assert response.json()["fields"] == {"changes.0.days": ["Unknown field."]}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_mass_assignment__update_or_delete_a_seat__405(manager, world, method):
    # Given a seat
    seat = world["seats_a"][0]

    # When a client tries to write it directly
    response = getattr(manager, method)(f"/api/v1/seats/{seat.pk}/", {"status": "active"})

    # Then the method is not allowed at all
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "PUT" not in response["Allow"] and "GET" in response["Allow"]
