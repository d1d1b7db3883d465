"""`manage.py recompute_costs`: recompute and store every contract's cost (and write the billing
line of every period that has ended), printed as a table or as one JSON object per contract and
line: the cost report, every key of which docs/cost-engine.md lists."""

import datetime as dt
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from licensing.models import Contract
from licensing.pricing import TermsError
from licensing.services.cost import contract_cost_snapshot
from licensing.services.tally import active_tally_rebuild


class Command(BaseCommand):
    help = "Recompute contract costs from the seat history and store a snapshot of each."

    def add_arguments(self, parser):
        parser.add_argument("--contract", type=int, help="Only this contract id.")
        parser.add_argument("--as-of", help="Day to compute as of (YYYY-MM-DD); default today.")
        parser.add_argument("--json", action="store_true", help="One JSON object per line.")

    def handle(self, *args, contract=None, as_of=None, json=False, **options):
        day = _parse_day(as_of)
        contracts = Contract.objects.order_by("id")
        if contract is not None:
            contracts = contracts.filter(pk=contract)
            if not contracts.exists():
                raise CommandError(f"No contract with id {contract}.")
        for c in contracts:
            try:
                active_tally_rebuild(contract_id=c.pk)
                report = contract_cost_snapshot(contract=c, as_of=day).report
            except TermsError as exc:
                raise CommandError(f"Contract {c.pk} ({c.number}): {exc}") from exc
            if json:
                self.stdout.write(_dumps(report))
            else:
                self.stdout.write(_table(c, report))


def _parse_day(value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not '{value}'.") from exc


def _dumps(report: dict) -> str:
    return json.dumps(report, separators=(",", ":"))


def _money(s: str) -> str:
    if s is None:
        return "—"
    amount = Decimal(s)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def _table(contract, r: dict) -> str:
    band = (
        "below the floor"
        if r["below_floor"]
        else "over the ceiling"
        if r["over_ceiling"]
        else ("inside the band")
    )
    head = r["headroom_seats"]
    lines = [
        f"{contract.name} ({contract.number}), as of {r['as_of']}",
        f"  active seats            {r['active_seats']:>14,}",
        f"  billable this period    {r['billable_persons_this_period']:>14,} persons "
        f"({r['billable_seats_this_period']:,} seats)",
        f"  spend to date           {_money(r['spend_to_date']):>14}",
        f"  projected total         {_money(r['projected_total']):>14}  ({band})",
        f"  committed total         {_money(r['committed_total']):>14}",
        f"  floor / ceiling         {_money(r['floor_amount'])} / {_money(r['ceiling_amount'])}",
        f"  headroom                {'unlimited' if head is None else f'{head:,} seats':>14}",
        f"  shortfall allocation    {r['shortfall_allocation']:>14}  "
        f"(unallocated to date {_money(r['unallocated_to_date'])})",
    ]
    if r["tier_cliff"]:
        c = r["tier_cliff"]
        lines.append(
            f"  tier cliff              from {c['period_start']}: {c['seats_to_next_tier']:,} "
            f"more seats take that period from {_money(c['period_amount_now'])} to "
            f"{_money(c['period_amount_at_next_tier'])}; projected total "
            f"{_money(c['projected_total_change'])} to {_money(c['projected_total_at_next_tier'])}"
        )
    lines.append("  period                    persons  charged  unit price        amount  kind")
    for p in r["periods"]:
        lines.append(
            f"  {p['start']} – {p['end']}  {p['billable_persons']:>7,}  {p['charged_seats']:>7,}"
            f"  {p['unit_price']:>10}  {_money(p['amount']):>12}  {p['kind']}"
        )
    lines.append("  chargeback by agency (spend to date)")
    for part in r["by_agency"]:
        lines.append(f"    {part['agency'] or '(unallocated)':<12} {_money(part['amount']):>14}")
    return "\n".join(lines) + "\n"
