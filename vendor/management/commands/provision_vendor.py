"""manage.py provision_vendor: push now the seats that wait for the vendor — what beat's run does
every minute, for a machine without beat (the embedded default) or to not wait for it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from vendor.models import VendorCircuit
from vendor.services import circuit_close, provisioning_drain


class Command(BaseCommand):
    help = (
        "Push every pending seat whose retry is due to its vendor, unless the vendor's circuit "
        "is open (then it waits for the cooldown; --close-circuit if you know it is back)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--close-circuit",
            action="store_true",
            help="Close every vendor circuit first: call the vendor now, cooldown or not.",
        )

    def handle(self, *args, close_circuit=False, **options):
        if close_circuit:
            for endpoint in VendorCircuit.objects.values_list("endpoint", flat=True):
                circuit_close(endpoint=endpoint)
        total = provisioned = failed = 0
        while True:
            report = provisioning_drain()
            total += report.pushed
            provisioned += report.provisioned
            failed += report.failed
            if not report.more_due:
                break
        self.stdout.write(
            f"Pushed {total:,} seats: {provisioned:,} provisioned, {failed:,} failed."
        )
        for endpoint, reason in report.stopped.items():
            self.stdout.write(self.style.WARNING(f"Stopped at {endpoint}: {reason}"))
