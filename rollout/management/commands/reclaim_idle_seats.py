"""manage.py reclaim_idle_seats [--contract ID] [--dry-run] [--as-of DATE] [--seat ID ...]."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from licensing.models import Contract
from licensing.selectors import contracts_active
from rollout.services import seats_reclaim_idle

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Suspend seats idle for the contract's idle_days (outside the onboarding grace period, "
        "not for people on leave) and revoke the seats of separated employees. Every active "
        "contract unless --contract is given; --seat (repeatable) limits the run to those seats; "
        "--dry-run lists the candidates and the saving."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", type=int, help="Only this contract (id).")
        parser.add_argument("--dry-run", action="store_true", help="Preview; change nothing.")
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help="Judge idleness at the end of this day."
        )
        parser.add_argument(
            "--seat",
            type=int,
            action="append",
            dest="seats",
            metavar="ID",
            help="Only this seat (repeat for more); a seat that no longer qualifies is skipped.",
        )

    def handle(self, *args, contract=None, dry_run=False, as_of=None, seats=None, **options):
        if contract is not None:
            contracts = list(Contract.objects.filter(pk=contract))
            if not contracts:
                raise CommandError(f"There is no contract {contract}.")
        else:
            contracts = list(contracts_active())
        for c in contracts:
            result = seats_reclaim_idle(contract=c, as_of=as_of, dry_run=dry_run, seat_ids=seats)
            verb = ("would suspend", "would revoke") if dry_run else ("suspended", "revoked")
            head = f"{c.name} ({c.number}), as of {result.as_of}"
            self.stdout.write(f"{head}{' (dry run, nothing changed)' if dry_run else ''}:")
            self.stdout.write(f"  {verb[0]}: {len(result.suspended):,} idle seat(s)")
            self.stdout.write(f"  {verb[1]}: {len(result.revoked):,} seat(s) of separated people")
            for change in (result.suspended + result.revoked)[:SHOWN]:
                seen = f", last seen {change.last_seen:%Y-%m-%d}" if change.last_seen else ""
                self.stdout.write(
                    f"    seat {change.seat_id} {change.employee_number} ({change.agency})"
                    f"{seen}: {change.reason}"
                )
            self.stdout.write(
                f"  active seats {result.active_before:,} -> {result.active_after:,}; "
                f"monthly charge ${result.charge_before:,} -> ${result.charge_after:,} "
                f"(saving ${result.monthly_saving:,}); job #{result.job_id}"
            )
