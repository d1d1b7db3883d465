"""Deprovisioning through SCIM separates the employee the same day, through the roster
import's own separation: open seats revoked (one seat event each, naming the token) and the
contract's cost recomputed once the request commits."""

from __future__ import annotations

from agencies.imports import separation
from identity.services import roster
from licensing.models import CostSnapshot, SeatEvent
from licensing.services.cost import contract_cost_snapshot

from .conftest import patch_body, provisioned


def _deactivate(scim, user_id, value="False"):
    return scim.patch(
        f"/Users/{user_id}", patch_body({"op": "Replace", "path": "active", "value": value})
    )


def test_separation__is_the_roster_imports_own():
    assert roster.revoke_separated_seats is separation.revoke_separated_seats


def test_active_false__seat_revoked_and_cost_snapshot_moves(
    scim, seated, django_capture_on_commit_callbacks
):
    # Given an employee with an active seat, provisioned by the identity provider, and the
    # contract's cost as it stands
    employee, seat = seated
    contract = seat.contract
    before = contract_cost_snapshot(contract=contract)
    assert before.active_seats == 1
    resource = provisioned(scim)

    # When the provider deactivates them (Entra ID's capitalised op, the value as a string)
    with django_capture_on_commit_callbacks(execute=True):
        response = _deactivate(scim, resource["id"])

    # Then the employee is separated and the seat revoked, in the seat's event log, by the token
    assert response.status_code == 200 and response.json()["active"] is False
    employee.refresh_from_db()
    seat.refresh_from_db()
    assert employee.employment_status == "separated"
    assert seat.status == "revoked"
    event = SeatEvent.objects.filter(seat=seat).latest("at", "id")
    assert (event.from_status, event.to_status) == ("active", "revoked")
    assert event.actor.username == "scim.entra"
    assert event.reason == "Employee separated (SCIM: patch by token 'entra')"

    # And the committed change recomputed the cost: one seat fewer, more headroom
    after = CostSnapshot.objects.filter(contract=contract).latest("computed_at", "id")
    assert after.pk != before.pk
    assert after.active_seats == 0
    assert after.headroom_seats > before.headroom_seats


def test_delete__seat_revoked_and_cost_snapshot_moves(
    scim, seated, django_capture_on_commit_callbacks
):
    _, seat = seated
    before = contract_cost_snapshot(contract=seat.contract)
    resource = provisioned(scim)

    with django_capture_on_commit_callbacks(execute=True):
        assert scim.delete(f"/Users/{resource['id']}").status_code == 204

    seat.refresh_from_db()
    assert seat.status == "revoked"
    after = CostSnapshot.objects.filter(contract=seat.contract).latest("computed_at", "id")
    assert after.pk != before.pk and after.active_seats == 0


def test_reactivated__employee_active_again_seat_stays_revoked(scim, seated):
    employee, seat = seated
    resource = provisioned(scim)
    _deactivate(scim, resource["id"])

    _deactivate(scim, resource["id"], value=True)

    employee.refresh_from_db()
    seat.refresh_from_db()
    assert employee.employment_status == "active"
    assert seat.status == "revoked"


def test_created_inactive__employee_added_separated_no_seat_touched(scim, dor):
    resource = provisioned(scim, "left@mass.example.gov", number="7007", active=False)
    from identity.models import ScimUser

    employee = ScimUser.objects.get(pk=resource["id"]).employee
    assert employee.employment_status == "separated"
    assert not SeatEvent.objects.exists()


def test_deactivated_twice__one_revocation(scim, seated, django_capture_on_commit_callbacks):
    _, seat = seated
    resource = provisioned(scim)
    _deactivate(scim, resource["id"])
    _deactivate(scim, resource["id"])
    assert SeatEvent.objects.filter(seat=seat, to_status="revoked").count() == 1
