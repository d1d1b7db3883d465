"""Reconciliation against the real SCIM server: a member added behind Seatplan's back is reported
as a shadow member with its monthly cost, the report is stored and served, drift is told
through the outbox; and the same report from the console's member-list CSV."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import Event
from licensing.models import PriceTier
from licensing.services.seats import seat_activate, seat_request, seat_revoke
from notifications.catalog import event_type
from notifications.messages import event_lines
from vendor.models import Reconciliation
from vendor.services import contract_reconcile

from .conftest import people

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = [
    "contract",
    "checked_at",
    "vendor_users",
    "active_seats",
    "in_vendor_not_active",
    "active_not_in_vendor",
    "mismatched",
    "monthly_cost_at_risk",
]


def _activated(cohort, contract, n):
    return [
        seat_activate(seat=seat_request(employee=e, contract=contract, cohort=cohort))
        for e in people(cohort, n)
    ]


def test_reconcile_vendor__member_added_behind_seatplans_back__shadow_member_with_its_cost(
    vendor, connection, cohort, contract
):
    # Given three provisioned seats, and a member the vendor's owner added by hand
    seats = _activated(cohort, contract, 3)
    vendor.add_user("contractor@partner.example")

    # When the vendor is reconciled from the command line
    out = StringIO()
    call_command("reconcile_vendor", "--contract", str(contract.pk), "--json", stdout=out)
    report = json.loads(out.getvalue())

    # Then the report has exactly the named keys, and the shadow member with its cost: under
    # the demo's terms (10,000 billable minimum, $13 up to 10,000) one user costs $13 a month
    assert list(report) == KEYS
    assert report["contract"] == contract.pk
    assert report["vendor_users"] == 4 and report["active_seats"] == 3
    assert report["in_vendor_not_active"] == [
        {
            "userName": "contractor@partner.example",
            "employee_number": None,
            "seat": None,
            "detail": "No seat in Seatplan: added in the vendor's console, or by another system.",
        }
    ]
    assert report["active_not_in_vendor"] == [] and report["mismatched"] == []
    assert report["monthly_cost_at_risk"] == "13.00"
    # And it is stored, and a vendor.drift event tells the subscribers (counts, no names)
    stored = Reconciliation.objects.get()
    assert stored.report == report and stored.shadow_members == 1 and stored.source == "scim"
    drift = Event.objects.get(type="vendor.drift")
    assert drift.payload["in_vendor_not_active"] == 1
    assert drift.payload["monthly_cost_at_risk"] == "13.00"
    assert drift.agency_ids == []
    assert "contractor" not in json.dumps(drift.payload)
    assert len(seats) == 3


def test_reconcile__revoked_seat_still_active_in_vendor__shadow_priced_at_the_current_tier(
    vendor, connection, cohort, contract
):
    # Given a contract whose current tier is $11 (no billable minimum, 1 seat in the $11 tier)
    PriceTier.objects.filter(contract=contract).delete()
    PriceTier.objects.create(contract=contract, min_seats=1, max_seats=1, unit_price_monthly=13)
    PriceTier.objects.create(contract=contract, min_seats=2, max_seats=None, unit_price_monthly=11)
    contract.min_billable_seats = 0
    contract.save()
    first, _ = _activated(cohort, contract, 2)
    # and a revoked seat whose user someone re-added by hand in the vendor
    revoked = seat_revoke(seat=first)
    vendor.add_user(revoked.employee.email, external_id=revoked.employee.employee_number)

    # When reconciled
    reconciliation = contract_reconcile(contract=contract)

    # Then the re-added user is a shadow member named after the revoked seat, at $13 (one
    # person active now: the $13 tier)
    (entry,) = reconciliation.report["in_vendor_not_active"]
    assert entry["seat"] == revoked.pk
    assert entry["employee_number"] == revoked.employee.employee_number
    assert reconciliation.monthly_cost_at_risk == Decimal("13.00")


def test_reconcile__vendor_in_line__no_drift_no_event(vendor, connection, cohort, contract):
    _activated(cohort, contract, 2)

    reconciliation = contract_reconcile(contract=contract)

    assert not reconciliation.has_drift
    assert reconciliation.monthly_cost_at_risk == Decimal("0.00")
    assert not Event.objects.filter(type="vendor.drift").exists()


def test_reconcile__vendor_down__refused_and_nothing_stored(vendor, connection, contract):
    vendor.stop()

    with pytest.raises(CommandError, match="could not be read: Unreachable"):
        call_command("reconcile_vendor", "--contract", str(contract.pk), stdout=StringIO())

    assert not Reconciliation.objects.exists()


def test_reconcile_vendor__members_csv__same_report_without_scim(cohort, contract, tmp_path):
    # Given a contract with no SCIM access, two active seats, and the console's export
    seats = _activated(cohort, contract, 2)
    export = tmp_path / "members.csv"
    export.write_text(
        "Name,E-mail,Status\n"
        f"A,{seats[0].employee.email},Active\n"
        f"B,{seats[1].employee.email},Pending invite\n"
        "C,shadow@mass.example.gov,active\n"
    )

    # When reconciled from it, naming the email column
    out = StringIO()
    call_command(
        "reconcile_vendor",
        "--contract",
        str(contract.pk),
        "--members-csv",
        str(export),
        "--email-column",
        "E-mail",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())

    # Then: one shadow member, one person invited but not yet a member (mismatched)
    assert list(report) == KEYS
    assert [e["userName"] for e in report["in_vendor_not_active"]] == ["shadow@mass.example.gov"]
    assert [e["seat"] for e in report["mismatched"]] == [seats[1].pk]
    assert report["monthly_cost_at_risk"] == "13.00"
    assert Reconciliation.objects.get().source == "csv"


def test_reconcile_vendor__members_csv_without_the_column__clear_error(contract, tmp_path):
    export = tmp_path / "members.csv"
    export.write_text("Name,Mail\nA,a@mass.gov\n")

    with pytest.raises(CommandError, match="no 'email' column"):
        call_command(
            "reconcile_vendor", "--contract", str(contract.pk), "--members-csv", str(export)
        )


def test_reconcile_vendor__summary__lists_and_cost(vendor, connection, cohort, contract):
    _activated(cohort, contract, 1)
    vendor.add_user("hand@mass.example.gov")

    out = StringIO()
    call_command("reconcile_vendor", stdout=out)

    text = out.getvalue()
    assert "shadow members                   1" in text
    assert "monthly cost at risk    $13.00" in text
    assert "hand@mass.example.gov (—, no seat)" in text


def test_reconcile_all_task__every_connected_contract(vendor, connection, contract):
    from vendor.tasks import reconcile_all_task

    assert reconcile_all_task() == 1
    assert Reconciliation.objects.filter(contract=contract).count() == 1


def test_reconcile__drift__told_to_subscribers_with_every_field_it_carries(
    vendor, connection, cohort, contract
):
    # Given a shadow member in the vendor's workspace
    _activated(cohort, contract, 2)
    vendor.add_user("contractor@partner.example")

    # When the vendor is reconciled
    contract_reconcile(contract=contract)

    # Then the drift event's payload is exactly what the notifications catalogue declares, so
    # nothing the reconciliation says is dropped on its way to a webhook or a mail
    event = Event.objects.get(type="vendor.drift")
    declared = event_type("vendor.drift").view(event.payload, personal=False)
    assert declared == event.payload
    assert declared["in_vendor_not_active"] == 1
    assert declared["monthly_cost_at_risk"] == "13.00"
    (line,) = event_lines([event], {event.pk: declared})
    assert "1 shadow member(s)" in str(line) and "$13.00 a month at risk" in str(line)
