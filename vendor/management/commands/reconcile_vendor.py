"""`manage.py reconcile_vendor`: the vendor's members against Seatplan's seats, stored (the API
and the page serve the latest) and printed as a summary or as one JSON object per contract."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import BusinessRuleError
from licensing.models import Contract
from vendor.members_csv import Columns, MembersFileError, read_members
from vendor.selectors import contracts_connected
from vendor.services import contract_reconcile

SHOWN = 20  # people listed per list on the terminal; --json and the page have them all
LISTS = (
    ("in_vendor_not_active", "In the vendor, no active seat (shadow members)"),
    ("active_not_in_vendor", "Active seat, not in the vendor (not provisioned)"),
    ("mismatched", "Active in one, not the other"),
)


class Command(BaseCommand):
    help = (
        "Compare the vendor's users (read by SCIM, or from the vendor console's member-list "
        "CSV) with the contract's seats: shadow members and their monthly cost, active seats "
        "not provisioned, mismatches. Stores the report; a drift is told (vendor.drift)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", type=int, help="Only this contract id.")
        parser.add_argument("--json", action="store_true", help="One JSON object per contract.")
        parser.add_argument(
            "--members-csv",
            type=Path,
            metavar="FILE",
            help="Read the members from the vendor console's CSV export instead of SCIM.",
        )
        parser.add_argument(
            "--email-column", default="email", help="CSV column of the work email (userName)."
        )
        parser.add_argument(
            "--status-column",
            default="status",
            help="CSV column of the member's status; '' for none (every row is active).",
        )
        parser.add_argument(
            "--external-id-column",
            default="",
            help="CSV column of the employee number (externalId), if the export has one.",
        )
        parser.add_argument(
            "--active-values",
            default="active",
            help="Comma-separated status values that mean active (case-insensitive).",
        )

    def handle(self, *args, contract=None, json=False, members_csv=None, **options):
        members = None
        if members_csv is not None:
            members = self._read_csv(members_csv, options)
        for c in self._contracts(contract, members is not None):
            try:
                reconciliation = contract_reconcile(contract=c, members=members)
            except BusinessRuleError as exc:
                raise CommandError(f"Contract {c.pk} ({c.number}): {exc.detail}") from exc
            if json:
                self.stdout.write(_dumps(reconciliation.as_json()))
            else:
                self.stdout.write(_summary(c, reconciliation))

    def _contracts(self, contract_id, from_csv: bool):
        if contract_id is not None:
            found = Contract.objects.filter(pk=contract_id).first()
            if found is None:
                raise CommandError(f"No contract with id {contract_id}.")
            return [found]
        if from_csv:
            active = list(Contract.objects.filter(is_active=True).order_by("id")[:2])
            if len(active) != 1:
                raise CommandError("Name the contract the member list belongs to: --contract ID.")
            return active
        connected = list(contracts_connected())
        if not connected:
            raise CommandError(
                "No contract is connected to a vendor (VENDOR_SCIM_URL, or a connection in the "
                "admin); reconcile from the console's export with --members-csv FILE."
            )
        return connected

    def _read_csv(self, path: Path, options) -> list:
        columns = Columns(
            user_name=options["email_column"],
            status=options["status_column"],
            external_id=options["external_id_column"],
            active_values=tuple(v for v in options["active_values"].split(",") if v.strip()),
        )
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                return read_members(handle, columns)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        except (MembersFileError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc


def _dumps(report: dict) -> str:
    return json.dumps(report, separators=(",", ":"))


def _summary(contract, reconciliation) -> str:
    r = reconciliation.report
    lines = [
        f"{contract.name} ({contract.number}), checked {r['checked_at']} "
        f"from {reconciliation.get_source_display()}",
        f"  vendor users            {r['vendor_users']:>10,}",
        f"  active seats            {r['active_seats']:>10,}",
        f"  shadow members          {len(r['in_vendor_not_active']):>10,}",
        f"  not provisioned         {len(r['active_not_in_vendor']):>10,}",
        f"  mismatched              {len(r['mismatched']):>10,}",
        f"  monthly cost at risk    ${Decimal(r['monthly_cost_at_risk']):>,.2f}",
    ]
    for key, title in LISTS:
        entries = r[key]
        if not entries:
            continue
        lines.append(f"  {title}:")
        for entry in entries[:SHOWN]:
            seat = f"seat {entry['seat']}" if entry["seat"] else "no seat"
            number = entry["employee_number"] or "—"
            lines.append(f"    {entry['userName']} ({number}, {seat}): {entry['detail']}")
        if len(entries) > SHOWN:
            lines.append(f"    … and {len(entries) - SHOWN:,} more (--json, or the page).")
    if not reconciliation.has_drift:
        lines.append("  No drift: the vendor holds exactly the active seats.")
    return "\n".join(lines) + "\n"
