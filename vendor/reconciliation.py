"""The reconciliation rule, pure: the vendor's members against Seatplan's seats, person by person.

A member is matched to a person by `userName` = the person's work email (case-insensitive), else
by `externalId` = their employee number. Each person is represented by one seat (their open seat,
else their latest revoked one; `selectors.reconciliation_seats`). Then:

- `in_vendor_not_active` — shadow members: active in the vendor, and Seatplan holds no open seat
  for them (none ever, or only revoked ones); also a second active user for a person already
  matched. The vendor bills them; Seatplan never counts them.
- `active_not_in_vendor` — active seats whose person has no user in the vendor: paid for, but the
  person cannot sign in (not provisioned yet, or removed by hand).
- `mismatched` — the person is on both sides, active in one and not in the other: an active seat
  whose vendor user is deactivated, or a suspended (requested, approved, held) seat whose vendor
  user is active.

Entries are `{"userName", "employee_number", "seat", "detail"}`, sorted by userName.
"""

from __future__ import annotations

from dataclasses import dataclass

from licensing.choices import SeatStatus

from .choices import ProvisioningState

REPORT_KEYS = (
    "contract",
    "checked_at",
    "vendor_users",
    "active_seats",
    "in_vendor_not_active",
    "active_not_in_vendor",
    "mismatched",
    "monthly_cost_at_risk",
)
ENTRY_KEYS = ("userName", "employee_number", "seat", "detail")
LISTS = ("in_vendor_not_active", "active_not_in_vendor", "mismatched")


def report_ordered(report: dict) -> dict:
    """A stored report with its keys in the documented order (PostgreSQL's jsonb keeps no order
    of its own)."""
    out = {key: report[key] for key in REPORT_KEYS}
    for key in LISTS:
        out[key] = [{name: entry[name] for name in ENTRY_KEYS} for entry in report[key]]
    return out


@dataclass(frozen=True)
class Member:
    """One user of the vendor's workspace, from SCIM or the console's member-list CSV."""

    user_name: str
    external_id: str
    active: bool


@dataclass(frozen=True)
class SeatRow:
    """The seat that represents one person in a reconciliation."""

    seat_id: int
    status: str
    employee_number: str
    email: str
    provisioning: str = ""


@dataclass
class Comparison:
    in_vendor_not_active: list[dict]
    active_not_in_vendor: list[dict]
    mismatched: list[dict]
    vendor_users: int
    active_seats: int

    @property
    def has_drift(self) -> bool:
        return bool(self.in_vendor_not_active or self.active_not_in_vendor or self.mismatched)


def _entry(user_name: str, employee_number: str | None, seat: int | None, detail: str) -> dict:
    return {
        "userName": user_name,
        "employee_number": employee_number or None,
        "seat": seat,
        "detail": detail,
    }


def _waiting(row: SeatRow) -> str:
    if row.provisioning == ProvisioningState.PENDING:
        return " (provisioning is pending)"
    if row.provisioning == ProvisioningState.FAILED:
        return " (provisioning failed: see the queue)"
    return ""


def compare(members: list[Member], seats: list[SeatRow]) -> Comparison:
    """Sort every member and every active seat into the three lists (module docstring)."""
    by_email = {row.email.strip().lower(): row for row in seats if row.email}
    by_number = {row.employee_number: row for row in seats if row.employee_number}
    shadow: list[dict] = []
    mismatched: list[dict] = []
    seen: dict[int, Member] = {}
    for member in members:
        row = by_email.get(member.user_name.strip().lower())
        if row is None and member.external_id:
            row = by_number.get(member.external_id)
        if row is not None and row.seat_id in seen:
            if member.active:
                shadow.append(
                    _entry(
                        member.user_name,
                        row.employee_number,
                        None,
                        f"A second vendor user for employee {row.employee_number}, who already "
                        f"has {seen[row.seat_id].user_name}.",
                    )
                )
            continue
        if row is not None:
            seen[row.seat_id] = member
        if row is None or row.status == SeatStatus.REVOKED:
            if member.active:
                detail = (
                    "No seat in Seatplan: added in the vendor's console, or by another system."
                    if row is None
                    else f"Seat {row.seat_id} was revoked; the user is still active in the vendor."
                )
                number = row.employee_number if row else member.external_id
                shadow.append(
                    _entry(member.user_name, number, row.seat_id if row else None, detail)
                )
            continue
        if row.status == SeatStatus.ACTIVE and not member.active:
            mismatched.append(
                _entry(
                    member.user_name,
                    row.employee_number,
                    row.seat_id,
                    "Active in Seatplan, deactivated in the vendor" + _waiting(row) + ".",
                )
            )
        elif row.status != SeatStatus.ACTIVE and member.active:
            mismatched.append(
                _entry(
                    member.user_name,
                    row.employee_number,
                    row.seat_id,
                    f"Active in the vendor, {row.status} in Seatplan" + _waiting(row) + ".",
                )
            )
    active = [row for row in seats if row.status == SeatStatus.ACTIVE]
    missing = [
        _entry(
            row.email,
            row.employee_number,
            row.seat_id,
            "Active in Seatplan, no user in the vendor" + _waiting(row) + ".",
        )
        for row in active
        if row.seat_id not in seen
    ]
    key = lambda entry: (entry["userName"].lower(), entry["seat"] or 0)  # noqa: E731
    return Comparison(
        in_vendor_not_active=sorted(shadow, key=key),
        active_not_in_vendor=sorted(missing, key=key),
        mismatched=sorted(mismatched, key=key),
        vendor_users=len(members),
        active_seats=len(active),
    )
