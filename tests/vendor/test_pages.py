"""The vendor pages: the provisioning queue with retry (rollout managers), the reconciliation with
"reconcile now" (managers and finance), each action through the console kit; and the include
that shows a seat's vendor side on any page."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from config.roles import AGENCY_COORDINATOR, FINANCE, ROLLOUT_MANAGER
from licensing.services.seats import seat_activate, seat_request
from tests.rollout.builders import person
from vendor.models import Reconciliation, SeatProvisioning

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager_client(client):
    client.force_login(person("queue-manager", ROLLOUT_MANAGER))
    return client


def _refused_seat(vendor, cohort, contract):
    (employee,) = people(cohort, 1)
    vendor.gate.refuse[employee.email] = "userName must be in a verified domain"
    return seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))


def test_queue_page__failed_seat__vendors_words_and_a_retry(
    manager_client, vendor, connection, cohort, contract
):
    # Given a seat the vendor refused
    seat = _refused_seat(vendor, cohort, contract)

    # When a rollout manager opens the queue
    response = manager_client.get(f"/vendor/provisioning/?contract={contract.pk}")

    # Then it lists the seat as failed, with the vendor's message and a retry button
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="failed" data-value="1"' in html
    assert "userName must be in a verified domain" in html
    assert f'action="/vendor/seats/{seat.pk}/retry/"' in html
    assert "style=" not in html


def test_queue_page__retry__pushes_again_and_returns_to_the_queue(
    manager_client, vendor, connection, cohort, contract
):
    # Given a refused seat, whose problem the vendor has since fixed
    seat = _refused_seat(vendor, cohort, contract)
    vendor.gate.refuse.clear()

    # When the manager presses retry (no confirmation: the push repeats what the seat says)
    response = manager_client.post(f"/vendor/seats/{seat.pk}/retry/")

    # Then they are sent back to the queue, and the seat is provisioned
    assert response.status_code == 302
    assert response["Location"] == f"/vendor/provisioning/?contract={contract.pk}#seat-{seat.pk}"
    assert SeatProvisioning.objects.get(seat=seat).state == "provisioned"


def test_retry_failed_page__confirmation_says_how_many_then_acts(
    manager_client, vendor, connection, cohort, contract
):
    # Given two refused seats
    _refused_seat(vendor, cohort, contract)
    _refused_seat(vendor, cohort, contract)
    vendor.gate.refuse.clear()
    url = f"/vendor/provisioning/retry-failed/?contract={contract.pk}"

    # When the manager asks to retry them all, the page first says what will happen
    first = manager_client.post(url)
    assert first.status_code == 200
    assert "2 failed seats of" in first.content.decode()
    assert SeatProvisioning.objects.filter(state="failed").count() == 2

    # When they confirm, both are pushed
    second = manager_client.post(url, {"confirmed": "yes"})
    assert second.status_code == 302
    assert SeatProvisioning.objects.filter(state="provisioned").count() == 2


def test_retry__contract_not_connected__409_with_the_services_words(
    manager_client, cohort, contract
):
    (employee,) = people(cohort, 1)
    seat = seat_request(employee=employee, contract=contract, cohort=cohort)

    response = manager_client.post(f"/vendor/seats/{seat.pk}/retry/")

    assert response.status_code == 409
    assert "not connected to a vendor workspace" in response.content.decode()


@pytest.mark.parametrize("role", [FINANCE, AGENCY_COORDINATOR])
def test_queue_page__not_a_rollout_manager__403(client, role, contract):
    client.force_login(person(f"queue-{role}", role))

    assert client.get(f"/vendor/provisioning/?contract={contract.pk}").status_code == 403
    assert client.post("/vendor/seats/1/retry/").status_code == 403


def test_queue_page__vendor_down__banner_says_so_and_that_nothing_is_lost(
    manager_client, vendor, connection, cohort, contract
):
    vendor.stop()
    for employee in people(cohort, 3):
        seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))

    html = manager_client.get(f"/vendor/provisioning/?contract={contract.pk}").content.decode()

    assert "The vendor is not answering." in html
    assert "Every seat waiting below is kept" in html
    assert 'data-count="pending" data-value="3"' in html


def test_reconciliation_page__finance__shadow_members_and_cost(
    client, vendor, connection, contract
):
    # Given a reconciliation that found a hand-added member
    vendor.add_user("hand@mass.example.gov")
    from vendor.services import contract_reconcile

    contract_reconcile(contract=contract)
    client.force_login(person("recon-finance", FINANCE))

    # When finance opens the page
    response = client.get(f"/vendor/contracts/{contract.pk}/reconciliation/")

    # Then it shows the shadow member and what it costs a month
    html = response.content.decode()
    assert response.status_code == 200
    assert "hand@mass.example.gov" in html
    assert 'data-count="monthly_cost_at_risk" data-value="13.00"' in html


def test_reconcile_now__confirmed__a_new_report(client, vendor, connection, contract):
    client.force_login(person("recon-manager", ROLLOUT_MANAGER))
    url = f"/vendor/contracts/{contract.pk}/reconciliation/run/"

    preview = client.post(url)
    assert preview.status_code == 200
    assert "member list now and compares it with the 0 active seats" in preview.content.decode()
    assert not Reconciliation.objects.exists()

    done = client.post(url, {"confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == f"/vendor/contracts/{contract.pk}/reconciliation/#main"
    assert Reconciliation.objects.filter(contract=contract).count() == 1


def test_vendor_home__each_role_to_its_page(client, contract):
    client.force_login(person("home-manager", ROLLOUT_MANAGER))
    assert client.get("/vendor/")["Location"].startswith("/vendor/provisioning/")
    client.force_login(person("home-finance", FINANCE))
    assert client.get("/vendor/")["Location"] == f"/vendor/contracts/{contract.pk}/reconciliation/"


def test_seat_provisioning_include__any_page__state_and_vendor_words(
    vendor, connection, cohort, contract
):
    # Given a refused seat and a seat of a contract that is not connected
    seat = _refused_seat(vendor, cohort, contract)
    (other,) = people(cohort, 1)
    unconnected = seat_request(employee=other, contract=contract, cohort=cohort)

    # When the include is rendered for each
    shown = render_to_string("vendor/seat_provisioning.html", {"seat": seat})
    nothing = render_to_string("vendor/seat_provisioning.html", {"seat": unconnected})

    # Then the first says failed with the vendor's words; the second says nothing at all
    assert 'data-provisioning="failed"' in shown
    assert "The vendor said: The vendor refused (400 invalidValue)" in shown
    assert nothing.strip() == ""


def test_person_page__seat_of_a_connected_contract__its_vendor_side_in_the_status_cell(
    manager_client, vendor, connection, cohort, contract
):
    # Given a person whose seat is provisioned
    (employee,) = people(cohort, 1)
    seat_activate(seat=seat_request(employee=employee, contract=contract, cohort=cohort))

    # When a rollout manager opens their page
    html = manager_client.get(f"/people/{employee.pk}/").content.decode()

    # Then the seat says where the vendor's workspace stands
    assert 'data-provisioning="provisioned"' in html
    assert "Vendor workspace:" in html
