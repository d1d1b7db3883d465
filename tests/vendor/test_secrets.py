"""The vendor's bearer token is a secret: written in the admin, never shown back, never in a log,
a string of the connection, or a stored message, whatever the vendor answers; and a person's
email or name is not logged by provisioning either."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from licensing.services.seats import seat_activate, seat_request
from tests.factories import ContractFactory
from vendor.models import SeatProvisioning, VendorCircuit, VendorConnection
from vendor.selectors import contract_connection

from .conftest import people

SECRET = "sk-scim-5cd1e0b7a4f94d0c9e2b-do-not-leak"


@pytest.mark.django_db
def test_admin__connection_token__write_only(admin_client):
    # Given a connection whose token was set
    contract = ContractFactory()
    connection = VendorConnection.objects.create(
        contract=contract, base_url="https://vendor.example/scim/v2", token=SECRET
    )
    url = reverse("admin:vendor_vendorconnection_change", args=[connection.pk])

    # When staff open it and the list, the token is nowhere on the page
    page = admin_client.get(url).content.decode()
    listing = admin_client.get(reverse("admin:vendor_vendorconnection_changelist")).content.decode()
    assert SECRET not in page and SECRET not in listing
    assert SECRET not in str(connection) and SECRET not in repr(contract_connection(contract.pk))

    # When they save it with the token field left empty, the stored token is kept
    form = {
        "contract": contract.pk,
        "is_enabled": "on",
        "base_url": "https://vendor.example/scim/v2",
        "token": "",
        "revoke_action": "deactivate",
    }
    assert admin_client.post(url, form).status_code == 302
    connection.refresh_from_db()
    assert connection.token == SECRET and connection.revoke_action == "deactivate"

    # When they type a new one, it replaces the old
    assert admin_client.post(url, {**form, "token": "new-token"}).status_code == 302
    connection.refresh_from_db()
    assert connection.token == "new-token"


@pytest.mark.django_db
def test_admin__new_connection__needs_a_token_and_an_https_url(admin_client):
    contract = ContractFactory()
    url = reverse("admin:vendor_vendorconnection_add")

    response = admin_client.post(
        url,
        {
            "contract": contract.pk,
            "is_enabled": "on",
            "base_url": "http://vendor.example/scim/v2",
            "token": "",
            "revoke_action": "delete",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "needs the vendor&#x27;s bearer token" in html
    assert "only to this machine" in html
    assert not VendorConnection.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "vendorconnection",
        "seatprovisioning",
        "provisioningintent",
        "vendorcircuit",
        "reconciliation",
    ],
)
def test_admin__every_vendor_changelist__answers(admin_client, model):
    assert admin_client.get(reverse(f"admin:vendor_{model}_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_provisioning__token_refused_or_accepted__token_and_person_never_logged(
    vendor, cohort, contract, caplog
):
    # Given a connection with a wrong token first
    connection = VendorConnection.objects.create(
        contract=contract, base_url=vendor.url, token=SECRET
    )
    employee, other = people(cohort, 2)
    caplog.set_level(logging.DEBUG)

    # When seats are pushed with the wrong token, then with the right one
    seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))
    connection.token = vendor.token
    connection.save()
    VendorCircuit.objects.all().delete()
    seat_activate(seat=seat_request(employee=other, contract=contract, cohort=cohort))

    # Then neither token, nor the people's emails or names, is in any log record or message
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in (SECRET, vendor.token, employee.email, other.email, employee.last_name):
        assert secret not in logged
    stored = " ".join(SeatProvisioning.objects.values_list("detail", flat=True))
    stored += " ".join(VendorCircuit.objects.values_list("last_error", flat=True))
    assert SECRET not in stored and vendor.token not in stored
