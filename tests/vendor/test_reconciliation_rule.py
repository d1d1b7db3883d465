"""The reconciliation rule, pure: each vendor member and each active seat lands in the right list,
matched by work email, else employee number."""

from __future__ import annotations

from vendor.reconciliation import Member, SeatRow, compare


def seat(seat_id, status, number, email=None, provisioning=""):
    return SeatRow(seat_id, status, number, email or f"{number.lower()}@mass.gov", provisioning)


def test_compare__every_case__sorted_into_its_list():
    # Given seats in every state and a vendor that disagrees in every way it can
    seats = [
        seat(1, "active", "E1"),  # in both, active: fine
        seat(2, "active", "E2", provisioning="pending"),  # not in the vendor yet
        seat(3, "active", "E3"),  # deactivated in the vendor
        seat(4, "suspended", "E4"),  # still active in the vendor
        seat(5, "revoked", "E5"),  # still active in the vendor
        seat(6, "suspended", "E6"),  # deactivated in the vendor: fine
        seat(7, "revoked", "E7"),  # gone from the vendor: fine
    ]
    members = [
        Member("E1@MASS.GOV", "", True),
        Member("e3@mass.gov", "E3", False),
        Member("e4@mass.gov", "E4", True),
        Member("e5@mass.gov", "", True),
        Member("e6@mass.gov", "E6", False),
        Member("shadow@mass.gov", "", True),
        Member("gone@mass.gov", "", False),
        Member("renamed@mass.gov", "E1", True),  # a second user for E1, by employee number
    ]

    # When they are compared
    result = compare(members, seats)

    # Then each lands where it belongs
    assert [(e["userName"], e["seat"]) for e in result.in_vendor_not_active] == [
        ("e5@mass.gov", 5),
        ("renamed@mass.gov", None),
        ("shadow@mass.gov", None),
    ]
    assert [(e["userName"], e["seat"]) for e in result.active_not_in_vendor] == [("e2@mass.gov", 2)]
    assert "(provisioning is pending)" in result.active_not_in_vendor[0]["detail"]
    assert [(e["userName"], e["seat"]) for e in result.mismatched] == [
        ("e3@mass.gov", 3),
        ("e4@mass.gov", 4),
    ]
    assert result.vendor_users == 8 and result.active_seats == 3
    assert result.has_drift


def test_compare__entries__exactly_the_four_keys():
    result = compare([Member("x@mass.gov", "", True)], [])
    assert list(result.in_vendor_not_active[0]) == ["userName", "employee_number", "seat", "detail"]
    assert result.in_vendor_not_active[0]["employee_number"] is None


def test_compare__matched_by_employee_number_when_the_email_changed():
    # Given a vendor user made before the person's email changed
    result = compare([Member("old@mass.gov", "E9", True)], [seat(9, "active", "E9")])

    # Then it is the person's, not a shadow member
    assert not result.has_drift


def test_compare__vendor_holds_exactly_the_active_seats__no_drift():
    seats = [seat(1, "active", "E1"), seat(2, "suspended", "E2"), seat(3, "revoked", "E3")]
    members = [Member("e1@mass.gov", "E1", True), Member("e2@mass.gov", "E2", False)]
    assert not compare(members, seats).has_drift
