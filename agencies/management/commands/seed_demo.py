"""`manage.py seed_demo`: write the Massachusetts demo scenario (see docs/demo-data.md)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.demo import DEFAULT_AS_OF, DEFAULT_SEED, DemoError, demo_seed
from agencies.demo.plan import MAX_SCALE


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError as exc:
        raise CommandError(f"--scale must be a number, not {value!r}.") from exc
    if not 0 < scale <= MAX_SCALE:
        raise CommandError(f"--scale must be above 0 and at most {MAX_SCALE:g}, not {value}.")
    return scale


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Seed the demo rollout: agencies, bargaining units, ~40,000 employees, the contract, "
        "five waves, and seats with their event histories as of a day. Adds only what is "
        "missing, so it is safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=_scale,
            default=1.0,
            help="Multiply every headcount (e.g. 0.02 for a quick demo); at least 1 per agency.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed for names and histories (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--as-of",
            type=_day,
            default=DEFAULT_AS_OF,
            help=f"The day the scenario stands at, YYYY-MM-DD (default {DEFAULT_AS_OF}).",
        )

    def handle(self, *args, scale: float, seed: int, as_of: dt.date, **options) -> None:
        verbose = options["verbosity"] >= 2
        try:
            report = demo_seed(
                scale=scale, seed=seed, as_of=as_of, log=self.stdout.write if verbose else None
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if report.total == 0:
            self.stdout.write(
                f"Nothing to do: the demo data is already in place ({report.seconds:.1f}s)."
            )
            return
        self.stdout.write(f"Demo data as of {as_of} (scale {scale:g}, seed {seed}):")
        width = max(len(name) for name in report.created)
        for name, count in report.created.items():
            self.stdout.write(f"  {name:<{width}}  {count:>8,}")
        self.stdout.write(
            self.style.SUCCESS(f"Created {report.total:,} rows in {report.seconds:.1f}s.")
        )
