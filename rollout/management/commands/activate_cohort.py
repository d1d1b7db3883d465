"""manage.py activate_cohort COHORT_ID [--dry-run]: a cohort's activation, with a progress bar."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from config.errors import BusinessRuleError
from rollout.models import Cohort
from rollout.services import cohort_activate

SHOWN = 20  # people listed on the terminal; the job row holds the rest


class Command(BaseCommand):
    help = (
        "Activate every eligible employee of a cohort, up to its quota and the contract's "
        "ceiling, in batches of 1,000 (see docs/rollout.md). --dry-run lists who would be "
        "activated and who is blocked, and writes no seat."
    )

    def add_arguments(self, parser):
        parser.add_argument("cohort_id", type=int)
        parser.add_argument("--dry-run", action="store_true", help="Preview; change nothing.")

    def handle(self, *args, cohort_id: int, dry_run: bool, **options):
        cohort = Cohort.objects.select_related("wave", "agency").filter(pk=cohort_id).first()
        if cohort is None:
            raise CommandError(f"There is no cohort {cohort_id}.")
        label = f"{cohort.agency.code} in wave {cohort.wave.number}"
        bars: list[tqdm] = []

        def progress(done: int, total: int) -> None:
            # Made on the first report, once the total is known, so a refusal prints no bar.
            if not bars:
                bars.append(tqdm(total=total, unit=" people", desc=label, file=sys.stderr))
            bars[0].update(done - bars[0].n)

        try:
            job = cohort_activate(cohort=cohort, dry_run=dry_run, progress=progress)
        except BusinessRuleError as exc:
            raise CommandError(f"Refused ({exc.code}): {exc.detail}") from exc
        finally:
            for bar in bars:
                bar.close()
        self._summary(job, label)

    def _summary(self, job, label: str) -> None:
        out = job.outcome
        for warning in out.get("warnings", []):
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if job.dry_run:
            numbers = out["would_activate_employees"]
            self.stdout.write(f"Dry run for {label} (job #{job.pk}): nothing was changed.")
            self.stdout.write(f"  would activate: {out['would_activate']:,}")
            if numbers:
                more = f" … and {len(numbers) - SHOWN:,} more" if len(numbers) > SHOWN else ""
                self.stdout.write(f"    {', '.join(numbers[:SHOWN])}{more}")
            people = out["blocked_employees"]
        else:
            self.stdout.write(self.style.SUCCESS(f"Activated {label} (job #{job.pk})."))
            self.stdout.write(f"  activated:      {out['activated']:,}")
            people = job.errors
        self.stdout.write(f"  already active: {out['already_active']:,}")
        self.stdout.write(f"  blocked:        {out['blocked']:,}")
        for code, count in out["blocked_by_reason"].items():
            self.stdout.write(f"    {code}: {count:,}")
        for person in people[:SHOWN]:
            self.stdout.write(
                f"    {person['employee_number']} {person['name']}: {person['code']}"
                + (f" ({person['detail']})" if person["detail"] else "")
            )
        if out["blocked"] > SHOWN:
            self.stdout.write(f"    … see job #{job.pk} for the others.")
