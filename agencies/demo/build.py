"""The demo builder: writes the scenario of `scenario.py`, as planned by `plan.py`, in bulk.

It only ever adds. Each model is matched on its natural key (agency code, unit code, username,
contract number, tier start, wave number, (wave, agency), (cohort, gate), employee number, one
seat per (contract, employee)) and only missing rows are written, so a second run writes
nothing and an interrupted one is topped up. Rows that exist are left as they are, even when
another --scale or --as-of would have planned them differently.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.choices import HOLDING_STATUSES, BargainingStatus
from agencies.models import Agency, BargainingUnit, Employee
from licensing import pricing
from licensing.choices import SeatStatus
from licensing.models import Contract, PriceTier, Seat, SeatEvent
from rollout.choices import SIGNED_GATES, WaveStatus
from rollout.models import Cohort, ReadinessCheck, Wave, WaveEvent

from . import plan
from .scenario import (
    AGENCIES,
    CONTRACT,
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    DEMO_USERNAME,
    GATE_EVIDENCE,
    NAGE_DEMAND_FILED_ON,
    TIERS,
    UNITS,
    WAVES,
)

BATCH_SIZE = 2_000
# Days before a wave's approval each gate was signed off (union notice goes out first).
GATE_LEAD_DAYS = {
    "privacy_review": 10,
    "security_review": 8,
    "union_notice": 14,
    "help_desk_ready": 3,
}
# The order the summary lists models in.
MODELS = (
    "users",
    "agencies",
    "bargaining units",
    "employees",
    "contracts",
    "price tiers",
    "waves",
    "wave status changes",
    "cohorts",
    "readiness checks",
    "seats",
    "seat events",
)


@dataclass(frozen=True)
class SeedReport:
    """What a run wrote: rows created per model (in `MODELS` order) and how long it took."""

    created: dict[str, int]
    seconds: float
    cpu_seconds: float

    @property
    def total(self) -> int:
        return sum(self.created.values())


Log = Callable[[str], None]


class DemoError(ValueError):
    """Arguments the demo cannot be built from; the message says which and why."""


def demo_seed(
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    as_of: dt.date = DEFAULT_AS_OF,
    log: Log | None = None,
) -> SeedReport:
    """Write the Massachusetts demo scenario as it stands at the end of `as_of`: the agencies,
    bargaining units, workforce (`scale` times ~40,000 people), the contract and its tiers, the
    five waves with cohorts and signed gates, and every seat with its event history.

    One transaction: a handful of reads to find what exists, then batched bulk inserts, never a
    query per row. The same seed and as-of day give the same rows; rows that already exist are
    never touched. Activations are capped so the term's total cannot pass the ceiling.
    """
    if not 0 < scale <= plan.MAX_SCALE:
        raise DemoError(f"Scale must be above 0 and at most {plan.MAX_SCALE:g}, not {scale}.")
    if as_of > CONTRACT["end_date"]:
        raise DemoError(
            f"The as-of day {as_of} is after the contract's last day ({CONTRACT['end_date']})."
        )
    started, started_cpu = time.perf_counter(), time.process_time()

    def say(message: str) -> None:
        if log is not None:
            log(f"[{time.perf_counter() - started:6.1f}s] {message}")

    tz = ZoneInfo(settings.TIME_ZONE)
    created: Counter[str] = Counter()
    with transaction.atomic():
        user = _ensure_user(created)
        units = _ensure_units(created, as_of=as_of, tz=tz)
        agencies = _ensure_agencies(created, scale=scale)
        numbers = _ensure_employees(
            created, agencies, units, seed=seed, scale=scale, as_of=as_of, say=say
        )
        contract = _ensure_contract(created)
        waves = _ensure_waves(created, contract, user, as_of=as_of, tz=tz)
        seats = _plan_missing_seats(contract, agencies, numbers, seed=seed, as_of=as_of, tz=tz)
        say(f"seats: {len(seats):,} histories planned")
        cohorts = _ensure_cohorts(created, waves, agencies, seats, as_of=as_of)
        _ensure_checks(created, cohorts, user, as_of=as_of, tz=tz)
        _write_seats(created, contract, agencies, cohorts, seats, say=say)
    return SeedReport(
        created={name: created[name] for name in MODELS},
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - started_cpu,
    )


def _ensure_user(created: Counter[str]):
    """The rollout manager who signs the gates and approves the waves; cannot log in."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_USERNAME).first()
    if user is None:
        user = user_model(
            username=DEMO_USERNAME,
            first_name="EOTSS",
            last_name="Rollout Office",
            email=f"{DEMO_USERNAME}@mass.gov",
        )
        user.set_unusable_password()
        user.save()
        created["users"] += 1
    return user


def _ensure_units(
    created: Counter[str], *, as_of: dt.date, tz: dt.tzinfo
) -> dict[str, BargainingUnit]:
    existing = {u.code: u for u in BargainingUnit.objects.all()}
    demand_filed = as_of >= NAGE_DEMAND_FILED_ON
    missing = [
        BargainingUnit(
            code=spec.code,
            name=spec.name,
            union=spec.union,
            bargaining_status=(
                BargainingStatus.DEMAND_FILED
                if spec.holds and demand_filed
                else BargainingStatus.NONE
            ),
            status_changed_at=(
                dt.datetime.combine(NAGE_DEMAND_FILED_ON, dt.time(10, 0), tzinfo=tz)
                if spec.holds and demand_filed
                else None
            ),
        )
        for spec in UNITS
        if spec.code not in existing
    ]
    BargainingUnit.objects.bulk_create(missing)
    created["bargaining units"] += len(missing)
    return {u.code: u for u in BargainingUnit.objects.filter(code__in=[s.code for s in UNITS])}


def _ensure_agencies(created: Counter[str], *, scale: float) -> dict[str, Agency]:
    by_code = {a.code: a for a in Agency.objects.filter(code__in=[s.code for s in AGENCIES])}
    # Secretariats first: an agency's parent must exist before it.
    for with_parent in (False, True):
        missing = [
            Agency(
                code=spec.code,
                name=spec.name,
                parent=by_code[spec.parent] if spec.parent else None,
                headcount=plan.scaled(spec.headcount, scale),
                chargeback_code=spec.chargeback_code,
            )
            for spec in AGENCIES
            if spec.code not in by_code and (spec.parent is not None) == with_parent
        ]
        for agency in Agency.objects.bulk_create(missing):
            by_code[agency.code] = agency
        created["agencies"] += len(missing)
    return by_code


def _ensure_employees(
    created: Counter[str],
    agencies: dict[str, Agency],
    units: dict[str, BargainingUnit],
    *,
    seed: int,
    scale: float,
    as_of: dt.date,
    say: Log,
) -> set[str]:
    """Write the planned employees whose number is not taken; return every planned number."""
    roster = plan.plan_roster(seed=seed, scale=scale, as_of=as_of)
    say(f"employees: {len(roster):,} planned")
    taken_numbers: set[str] = set()
    taken_emails: set[str] = set()
    for number, email in Employee.objects.values_list("employee_number", "email").iterator(
        chunk_size=BATCH_SIZE
    ):
        taken_numbers.add(number)
        taken_emails.add(email.lower())
    missing = [person for person in roster if person.employee_number not in taken_numbers]
    emails = plan.assign_emails(missing, taken_emails)
    # Plain ids rather than instances: setting a relation per row is a measurable cost at 40,000.
    agency_ids = {code: a.pk for code, a in agencies.items()}
    unit_ids = {code: u.pk for code, u in units.items()}
    rows = [
        Employee(
            employee_number=person.employee_number,
            email=email,
            first_name=person.first_name,
            last_name=person.last_name,
            agency_id=agency_ids[person.agency_code],
            bargaining_unit_id=unit_ids.get(person.unit_code),
            job_title=person.job_title,
            employment_status=person.employment_status,
            training_completed_on=person.training_completed_on,
            policy_acknowledged_on=person.policy_acknowledged_on,
        )
        for person, email in zip(missing, emails, strict=True)
    ]
    Employee.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    created["employees"] += len(rows)
    say(f"employees: {len(rows):,} written ({len(roster) - len(rows):,} already there)")
    return {person.employee_number for person in roster}


def _ensure_contract(created: Counter[str]) -> Contract:
    contract = Contract.objects.filter(number=CONTRACT["number"]).first()
    if contract is None:
        contract = Contract.objects.create(**CONTRACT)
        created["contracts"] += 1
    have = set(contract.tiers.values_list("min_seats", flat=True))
    missing = [
        PriceTier(contract=contract, min_seats=lo, max_seats=hi, unit_price_monthly=price)
        for lo, hi, price in TIERS
        if lo not in have
    ]
    PriceTier.objects.bulk_create(missing)
    created["price tiers"] += len(missing)
    return contract


def _local(day: dt.date, hour: int, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)


def _ensure_waves(
    created: Counter[str], contract: Contract, user, *, as_of: dt.date, tz: dt.tzinfo
) -> dict[int, Wave]:
    by_number = {w.number: w for w in contract.waves.all()}
    missing = []
    for spec in WAVES:
        if spec.number in by_number:
            continue
        status = plan.wave_status(spec, as_of)
        approved = status != WaveStatus.PLANNED
        missing.append(
            Wave(
                contract=contract,
                number=spec.number,
                name=spec.name,
                status=status,
                planned_start=spec.planned_start,
                planned_end=spec.planned_end,
                approved_by=user if approved else None,
                approved_at=_local(spec.approval_day, 15, tz) if approved else None,
            )
        )
    specs = {spec.number: spec for spec in WAVES}
    events = []
    for wave in Wave.objects.bulk_create(missing):
        by_number[wave.number] = wave
        events += _wave_history(wave, specs[wave.number], user, as_of=as_of, tz=tz)
    WaveEvent.objects.bulk_create(events)
    created["waves"] += len(missing)
    created["wave status changes"] += len(events)
    return by_number


def _wave_history(wave: Wave, spec, user, *, as_of: dt.date, tz: dt.tzinfo) -> list[WaveEvent]:
    """The status changes that brought a demo wave where it stands at `as_of`, each by the
    rollout office: approved a week ahead, started on the first day, completed after the last."""
    steps = [
        (spec.approval_day, WaveStatus.PLANNED, WaveStatus.APPROVED, "Readiness gates met"),
        (spec.planned_start, WaveStatus.APPROVED, WaveStatus.IN_PROGRESS, "Window opens"),
        (
            spec.planned_end + dt.timedelta(days=1),
            WaveStatus.IN_PROGRESS,
            WaveStatus.COMPLETED,
            "All cohorts onboarded",
        ),
    ]
    return [
        WaveEvent(
            wave=wave,
            from_status=before,
            to_status=after,
            at=_local(day, 15 if after == WaveStatus.APPROVED else 9, tz),
            actor=user,
            reason=why,
        )
        for day, before, after, why in steps
        if day <= as_of
    ]


def _plan_missing_seats(
    contract: Contract,
    agencies: dict[str, Agency],
    roster_numbers: set[str],
    *,
    seed: int,
    as_of: dt.date,
    tz: dt.tzinfo,
) -> list[plan.SeatPlan]:
    """Histories for the demo employees of started cohorts who have no seat under the contract
    yet, planned from the employees as stored (so a top-up agrees with what is there)."""
    schedule = plan.onboarding_by_agency()
    started = {code: day for code, (_, day) in schedule.items() if day <= as_of}
    code_by_id = {a.pk: code for code, a in agencies.items() if code in started}
    holds = {
        u.pk: (u.code, u.get_bargaining_status_display(), _hold_since(u, contract, tz))
        for u in BargainingUnit.objects.filter(bargaining_status__in=HOLDING_STATUSES)
    }
    seated = set(contract.seats.values_list("employee_id", flat=True))
    rows = Employee.objects.filter(agency_id__in=list(code_by_id)).values_list(
        "pk",
        "employee_number",
        "agency_id",
        "bargaining_unit_id",
        "employment_status",
        "training_completed_on",
        "policy_acknowledged_on",
    )
    people = [
        plan.SeatFacts(
            employee_id=pk,
            employee_number=number,
            agency_code=code_by_id[agency_id],
            employment_status=employment,
            trained=bool(trained_on and acked_on),
            onboarding_date=started[code_by_id[agency_id]],
            hold=holds.get(unit_id),
        )
        for pk, number, agency_id, unit_id, employment, trained_on, acked_on in rows.iterator(
            chunk_size=BATCH_SIZE
        )
        if pk not in seated and number in roster_numbers
    ]
    return plan.plan_seats(
        people,
        seed=seed,
        as_of=as_of,
        tz=tz,
        requires_training=contract.requires_training,
        idle_days=contract.idle_days,
        budget=plan.ActivationBudget(_activation_budget(contract)),
    )


def _hold_since(unit: BargainingUnit, contract: Contract, tz: dt.tzinfo) -> dt.date:
    if unit.status_changed_at is None:
        return contract.start_date
    return unit.status_changed_at.astimezone(tz).date()


def _activation_budget(contract: Contract) -> int | None:
    """Seats that may still be activated for the first time with every period of the term
    staying under the ceiling (None: no limit)."""
    terms = pricing.Terms.build(
        [
            pricing.Tier(t.min_seats, t.max_seats, t.unit_price_monthly)
            for t in contract.tiers.all()
        ],
        contract.tier_mode,
        contract.min_billable_seats,
    )
    periods = pricing.billing_periods(contract.start_date, contract.end_date)
    room = pricing.headroom(
        fixed=Decimal(0),
        counts=[0] * len(periods),
        ceiling=contract.ceiling_amount,
        terms=terms,
    )
    if room is None:
        return None
    return max(0, room - contract.seats.filter(activated_at__isnull=False).count())


def _ensure_cohorts(
    created: Counter[str],
    waves: dict[int, Wave],
    agencies: dict[str, Agency],
    seats: list[plan.SeatPlan],
    *,
    as_of: dt.date,
) -> dict[str, Cohort]:
    """One cohort per scheduled agency; a new cohort's quota covers the seats planned for it."""
    by_code = {
        c.agency.code: c
        for c in Cohort.objects.filter(wave__in=list(waves.values())).select_related("agency")
    }
    open_seats = Counter(s.facts.agency_code for s in seats if s.status != SeatStatus.REVOKED)
    missing = []
    for spec in WAVES:
        for code, day in spec.cohorts:
            if code in by_code:
                continue
            missing.append(
                Cohort(
                    wave=waves[spec.number],
                    agency=agencies[code],
                    seat_quota=plan.cohort_quota(agencies[code].headcount, open_seats[code]),
                    onboarding_date=day,
                    status=plan.cohort_status(spec, day, as_of),
                )
            )
    for cohort in Cohort.objects.bulk_create(missing):
        by_code[cohort.agency.code] = cohort
    created["cohorts"] += len(missing)
    return by_code


def _ensure_checks(
    created: Counter[str], cohorts: dict[str, Cohort], user, *, as_of: dt.date, tz: dt.tzinfo
) -> None:
    """The four signed gates of every cohort: met and signed off a few days before the wave's
    approval for approved waves, open for planned ones."""
    have = set(
        ReadinessCheck.objects.filter(cohort__in=list(cohorts.values())).values_list(
            "cohort_id", "kind"
        )
    )
    wave_by_agency = {code: spec for spec in WAVES for code, _ in spec.cohorts}
    missing = []
    for code, cohort in cohorts.items():
        spec = wave_by_agency[code]
        approved = plan.wave_status(spec, as_of) != WaveStatus.PLANNED
        for kind in SIGNED_GATES:
            if (cohort.pk, kind) in have:
                continue
            met_on = spec.approval_day - dt.timedelta(days=GATE_LEAD_DAYS[kind])
            missing.append(
                ReadinessCheck(
                    cohort=cohort,
                    kind=kind,
                    is_met=approved,
                    met_at=_local(met_on, 11, tz) if approved else None,
                    signed_off_by=user if approved else None,
                    evidence=GATE_EVIDENCE[kind].format(agency=code) if approved else "",
                )
            )
    ReadinessCheck.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    created["readiness checks"] += len(missing)


def _write_seats(
    created: Counter[str],
    contract: Contract,
    agencies: dict[str, Agency],
    cohorts: dict[str, Cohort],
    seats: list[plan.SeatPlan],
    *,
    say: Log,
) -> None:
    agency_ids = {code: a.pk for code, a in agencies.items()}
    cohort_ids = {code: c.pk for code, c in cohorts.items()}
    rows = [
        Seat(
            contract_id=contract.pk,
            employee_id=s.facts.employee_id,
            agency_id=agency_ids[s.facts.agency_code],
            cohort_id=cohort_ids[s.facts.agency_code],
            status=s.status,
            status_changed_at=s.events[-1].at,
            activated_at=s.activated_at,
            ended_at=s.ended_at,
            last_active_at=s.last_active_at,
        )
        for s in seats
    ]
    Seat.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    created["seats"] += len(rows)
    say(f"seats: {len(rows):,} written")
    events = [
        SeatEvent.for_seat(
            row,
            from_status=e.from_status,
            from_at=previous.at if previous else None,
            to_status=e.to_status,
            at=e.at,
            reason=e.reason,
        )
        for row, s in zip(rows, seats, strict=True)
        for previous, e in zip([None, *s.events], s.events, strict=False)
    ]
    SeatEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    created["seat events"] += len(events)
    say(f"seat events: {len(events):,} written")
