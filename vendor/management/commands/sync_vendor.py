"""manage.py sync_vendor [--contract ID] [--dry-run]: push every seat's state to the vendor again,
with a progress bar, recorded as a job row."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from config.errors import BusinessRuleError
from licensing.models import Contract
from vendor.selectors import contracts_connected
from vendor.services import vendor_sync


class Command(BaseCommand):
    help = (
        "Push every active, suspended and revoked seat's state to the vendor's workspace again "
        "(at go-live, after an outage or a hand edit in the vendor's console). --dry-run counts "
        "what would be asked and sends nothing. The seats the vendor could not take wait, kept, "
        "for beat's provisioning run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", type=int, help="Only this contract id.")
        parser.add_argument("--dry-run", action="store_true", help="Count; send nothing.")

    def handle(self, *args, contract=None, dry_run=False, **options):
        if contract is not None:
            contracts = list(Contract.objects.filter(pk=contract))
            if not contracts:
                raise CommandError(f"No contract with id {contract}.")
        else:
            contracts = list(contracts_connected())
            if not contracts:
                raise CommandError(
                    "No contract is connected to a vendor: set VENDOR_SCIM_URL and "
                    "VENDOR_SCIM_TOKEN, or a connection in the admin."
                )
        failed = False
        for c in contracts:
            failed |= self._sync(c, dry_run)
        if failed:
            raise CommandError("The vendor did not take every seat; see the job above.")

    def _sync(self, contract, dry_run: bool) -> bool:
        label = f"{contract.number}"
        bars: list[tqdm] = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(tqdm(total=total, unit=" seats", desc=label, file=sys.stderr))
            bars[0].update(done - bars[0].n)

        try:
            job = vendor_sync(contract=contract, dry_run=dry_run, progress=progress)
        except BusinessRuleError as exc:
            raise CommandError(f"Refused ({exc.code}): {exc.detail}") from exc
        finally:
            for bar in bars:
                bar.close()
        out = job.outcome
        if job.dry_run:
            self.stdout.write(f"Dry run for {label} (job #{job.pk}): nothing was sent.")
            self.stdout.write(f"  seats: {out['seats']:,}")
            for operation, count in out["would_ask"].items():
                self.stdout.write(f"    {operation}: {count:,}")
            return False
        style = self.style.SUCCESS if job.status == "succeeded" else self.style.WARNING
        self.stdout.write(style(f"Sync of {label} (job #{job.pk}): {job.status}."))
        self.stdout.write(f"  seats:        {out['seats']:,}")
        self.stdout.write(f"  provisioned:  {out['provisioned']:,}")
        self.stdout.write(f"  failed:       {out['failed']:,} (the vendor refused; see the queue)")
        self.stdout.write(f"  waiting:      {out['waiting']:,}")
        for error in job.errors:
            self.stdout.write(self.style.WARNING(f"  {error['detail']}"))
        return job.status != "succeeded"
