"""The API: every seat carries its provisioning state; the reconciliation endpoint serves the
latest stored report with exactly the named keys, to the roles that read everyone's names."""

from __future__ import annotations

import pytest

from config.roles import AGENCY_COORDINATOR, FINANCE, ROLLOUT_MANAGER
from licensing.services.seats import seat_request
from tests.api.conftest import key_client, make_user
from vendor.services import contract_reconcile

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager_api():
    return key_client(make_user("vendor-manager", ROLLOUT_MANAGER))


def test_seat_activate_api__connected_contract__seat_shows_provisioned(
    manager_api, vendor, connection, cohort, contract
):
    # Given a requested seat of a connected contract
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)

    # When a manager activates it through the API
    response = manager_api.post(f"/api/v1/seats/{seat.pk}/activate/", {"reason": "go"})

    # Then the answer already shows the vendor's side (eager workers: done on commit)
    assert response.status_code == 200, response.content
    provisioning = response.json()["provisioning"]
    assert provisioning["state"] == "provisioned"
    assert provisioning["operation"] == "ensure_active"
    assert provisioning["vendor_active"] is True
    assert provisioning["vendor_user_id"] == vendor.user(employee.email).id


def test_seat_api__vendor_refused__failed_with_the_vendors_message(
    manager_api, vendor, connection, cohort, contract
):
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)
    vendor.gate.refuse[employee.email] = "Seat limit of the workspace reached"

    manager_api.post(f"/api/v1/seats/{seat.pk}/activate/", {"reason": "go"})
    body = manager_api.get(f"/api/v1/seats/{seat.pk}/").json()

    assert body["provisioning"]["state"] == "failed"
    assert body["provisioning"]["detail"].endswith("Seat limit of the workspace reached")


def test_seat_api__contract_not_connected__provisioning_null(manager_api, cohort, contract):
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)

    manager_api.post(f"/api/v1/seats/{seat.pk}/activate/", {"reason": "go"})
    listed = manager_api.get("/api/v1/seats/").json()["results"]

    assert [s["provisioning"] for s in listed] == [None]


def test_reconciliation_api__latest_report__exactly_the_named_keys(
    manager_api, vendor, connection, contract
):
    # Given two reconciliations, the second finding a shadow member
    contract_reconcile(contract=contract)
    vendor.add_user("shadow@mass.example.gov")
    latest = contract_reconcile(contract=contract)

    # When finance reads it
    finance = key_client(make_user("vendor-finance", FINANCE))
    response = finance.get(f"/api/v1/contracts/{contract.pk}/reconciliation/")

    # Then it is the latest, as stored, and reading it called nobody
    calls = len(vendor.requests())
    assert response.status_code == 200
    assert response.json() == latest.report  # the same object, whatever the order
    assert list(response.json()) == [
        "contract",
        "checked_at",
        "vendor_users",
        "active_seats",
        "in_vendor_not_active",
        "active_not_in_vendor",
        "mismatched",
        "monthly_cost_at_risk",
    ]
    assert len(vendor.requests()) == calls


def test_reconciliation_api__never_reconciled__404_in_the_error_shape(manager_api, contract):
    response = manager_api.get(f"/api/v1/contracts/{contract.pk}/reconciliation/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "not been reconciled" in response.json()["detail"]


def test_reconciliation_api__coordinator__403(contract, cohort):
    coordinator = key_client(make_user("vendor-coord", AGENCY_COORDINATOR, [cohort.agency]))
    contract_reconcile(contract=contract, members=[])

    response = coordinator.get(f"/api/v1/contracts/{contract.pk}/reconciliation/")

    assert response.status_code == 403
