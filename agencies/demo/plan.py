"""The demo scenario turned into rows, as pure functions: who works where, who is trained, what
each wave's state is on the as-of day, and every seat's event history.

No ORM here. The builder (`build.py`) hands in the seed, the scale, the as-of day and, for seats,
the employees as the database holds them; these functions hand back plain records. Each agency's
roster and each seat's history draws from its own `random.Random`, keyed by the seed and a
natural key, so a plan does not shift when another part of the scenario changes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from agencies.choices import EmploymentStatus
from licensing.choices import SeatStatus
from rollout.choices import CohortStatus, WaveStatus

from .scenario import (
    AGENCIES,
    EMAIL_DOMAIN,
    EOTSS_TITLES,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    REASON,
    WAVES,
    AgencySpec,
    WaveSpec,
)

SEPARATED_SHARE = 0.01
LEAVE_SHARE = 0.02
# Share of a cohort's staff holding both training and policy acknowledgement.
TRAINED_SHARE_COMPLETED_WAVE = 0.93
TRAINED_SHARE_RUNNING_WAVE = 0.88
TRAINED_SHARE_SOON = 0.60  # cohort onboards within SOON_DAYS of the as-of day
TRAINED_SHARE_LATER = 0.25
TRAINED_SHARE_NO_WAVE = 0.05
SOON_DAYS = 45
# Trained but not yet acknowledged the AI use guidelines (so not counted as trained).
ACK_MISSING_SHARE = 0.02
# A cohort may hold seats for this share of its headcount.
QUOTA_SHARE = 0.98
# Untrained staff a coordinator requested a seat for anyway (it waits for training).
UNTRAINED_REQUEST_SHARE = 0.5
SEPARATED_BEFORE_ONBOARDING_SHARE = 0.25
IDLE_SHARE = 0.10
REACTIVATED_SHARE = 0.30

# Employee numbers: E + 7 digits, a fixed permutation of (agency position, index) so numbers look
# like HR ids, never collide, and do not depend on the seed (re-running with another seed tops up
# the same people instead of adding a second workforce).
_NUMBER_SPACE = 9_000_000
_NUMBER_STRIDE = 7_919  # prime, so coprime with the space: the map is a bijection
AGENCY_BLOCK = 100_000
MAX_SCALE = 10.0


def scaled(headcount: int, scale: float) -> int:
    """An agency's headcount at `scale`: rounded, and never below one person."""
    return max(1, math.floor(headcount * scale + 0.5))


def employee_number(agency_position: int, index: int) -> str:
    """The HR id of the `index`-th person of the agency at `agency_position` in the scenario."""
    if not 0 <= index < AGENCY_BLOCK:
        raise ValueError(f"An agency holds at most {AGENCY_BLOCK:,} demo employees.")
    k = agency_position * AGENCY_BLOCK + index
    return f"E{1_000_000 + (k * _NUMBER_STRIDE) % _NUMBER_SPACE:07d}"


# ---------------------------------------------------------------------------------------------
# Waves and cohorts on the as-of day
# ---------------------------------------------------------------------------------------------


def wave_status(wave: WaveSpec, as_of: dt.date) -> str:
    """Where the wave stands at the end of `as_of`: approved a week before its start, running
    inside its window, completed after it."""
    if as_of < wave.approval_day:
        return WaveStatus.PLANNED
    if as_of < wave.planned_start:
        return WaveStatus.APPROVED
    if as_of <= wave.planned_end:
        return WaveStatus.IN_PROGRESS
    return WaveStatus.COMPLETED


def cohort_status(wave: WaveSpec, onboarding_date: dt.date, as_of: dt.date) -> str:
    status = wave_status(wave, as_of)
    if status == WaveStatus.COMPLETED:
        return CohortStatus.ONBOARDED
    if status == WaveStatus.IN_PROGRESS:
        return CohortStatus.ONBOARDING if onboarding_date <= as_of else CohortStatus.READY
    if status == WaveStatus.APPROVED:
        return CohortStatus.READY
    return CohortStatus.PLANNED


def onboarding_by_agency() -> dict[str, tuple[WaveSpec, dt.date]]:
    """Each scheduled agency's wave and onboarding day; agencies in no wave are absent."""
    return {code: (wave, day) for wave in WAVES for code, day in wave.cohorts}


def cohort_quota(headcount: int, open_seats: int) -> int:
    """A cohort's seat quota: a little under its headcount, never below the seats it holds."""
    return max(math.floor(headcount * QUOTA_SHARE + 0.5), open_seats)


# ---------------------------------------------------------------------------------------------
# The roster
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeePlan:
    employee_number: str
    first_name: str
    last_name: str
    agency_code: str
    unit_code: str | None
    job_title: str
    employment_status: str
    training_completed_on: dt.date | None
    policy_acknowledged_on: dt.date | None


def _apportion(n: int, shares: Sequence[tuple[str | None, float]]) -> list[str | None]:
    """`n` labels split by `shares` (fractions adding to 1) with largest remainders, so small
    agencies still get the mix as closely as whole people allow."""
    exact = [(label, n * share) for label, share in shares]
    counts = {label: math.floor(x) for label, x in exact}
    left = n - sum(counts.values())
    by_remainder = sorted(
        range(len(exact)), key=lambda i: (-(exact[i][1] - math.floor(exact[i][1])), i)
    )
    for i in by_remainder[:left]:
        counts[exact[i][0]] += 1
    return [label for label, _ in shares for _ in range(counts[label])]


def _training_rule(
    agency: AgencySpec, as_of: dt.date, schedule: dict[str, tuple[WaveSpec, dt.date]]
) -> tuple[float, dt.date, int, int, dt.date]:
    """(share trained, anchor day, earliest and latest days before the anchor, last day an
    acknowledgement may carry) for one agency on the as-of day."""
    if agency.code not in schedule:
        return TRAINED_SHARE_NO_WAVE, as_of, 0, 120, as_of
    wave, onboarding = schedule[agency.code]
    if onboarding <= as_of:
        share = (
            TRAINED_SHARE_COMPLETED_WAVE
            if wave_status(wave, as_of) == WaveStatus.COMPLETED
            else TRAINED_SHARE_RUNNING_WAVE
        )
        # Trained before the cohort's onboarding day, as the readiness gate expects.
        return share, onboarding, 2, 60, onboarding - dt.timedelta(days=1)
    soon = (onboarding - as_of).days <= SOON_DAYS
    return (TRAINED_SHARE_SOON if soon else TRAINED_SHARE_LATER), as_of, 0, 45, as_of


def plan_roster(*, seed: int, scale: float, as_of: dt.date) -> list[EmployeePlan]:
    """Every demo employee, agency by agency: `scaled(headcount)` people per agency with names,
    units in the agency's mix, ~1% separated, ~2% on leave, and training dates that fit the
    agency's place in the rollout on the as-of day."""
    schedule = onboarding_by_agency()
    roster: list[EmployeePlan] = []
    for position, agency in enumerate(AGENCIES):
        rng = random.Random(f"{seed}:roster:{agency.code}")
        n = scaled(agency.headcount, scale)
        mix = [(code, pct / 100) for code, pct in agency.unit_mix]
        mix.append((None, 1 - sum(share for _, share in mix)))
        units = _apportion(n, mix)
        rng.shuffle(units)

        statuses = [EmploymentStatus.ACTIVE] * n
        n_separated = math.floor(n * SEPARATED_SHARE + 0.5)
        n_leave = math.floor(n * LEAVE_SHARE + 0.5)
        picked = rng.sample(range(n), n_separated + n_leave)
        for i in picked[:n_separated]:
            statuses[i] = EmploymentStatus.SEPARATED
        for i in picked[n_separated:]:
            statuses[i] = EmploymentStatus.LEAVE

        share, anchor, near, far, ack_cap = _training_rule(agency, as_of, schedule)
        n_trained = min(n, math.ceil(n * share))
        n_unacked = min(n - n_trained, math.floor(n * ACK_MISSING_SHARE + 0.5))
        order = list(range(n))
        rng.shuffle(order)
        trained = set(order[:n_trained])
        unacked = set(order[n_trained : n_trained + n_unacked])

        for i in range(n):
            unit = units[i]
            titles = (
                EOTSS_TITLES
                if agency.code == "EOTSS" and unit in (None, "NAGE-6", "MOSES-9")
                else JOB_TITLES[unit]
            )
            first, last, title = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(titles)
            trained_on = acked_on = None
            if i in trained or i in unacked:
                trained_on = anchor - dt.timedelta(days=rng.randint(near, far))
                if i in trained:
                    acked_on = min(trained_on + dt.timedelta(days=rng.randint(0, 3)), ack_cap)
            roster.append(
                EmployeePlan(
                    employee_number=employee_number(position, i),
                    first_name=first,
                    last_name=last,
                    agency_code=agency.code,
                    unit_code=unit,
                    job_title=title,
                    employment_status=statuses[i],
                    training_completed_on=trained_on,
                    policy_acknowledged_on=acked_on,
                )
            )
    return roster


def _email_part(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def assign_emails(people: Iterable[EmployeePlan], taken: set[str]) -> list[str]:
    """first.last.N@mass.gov for each person, N counting namesakes from 1 and skipping any
    address already `taken` (which is updated)."""
    counters: dict[str, int] = {}
    emails = []
    for person in people:
        stem = f"{_email_part(person.first_name)}.{_email_part(person.last_name)}"
        n = counters.get(stem, 0)
        while True:
            n += 1
            email = f"{stem}.{n}@{EMAIL_DOMAIN}"
            if email not in taken:
                break
        counters[stem] = n
        taken.add(email)
        emails.append(email)
    return emails


# ---------------------------------------------------------------------------------------------
# Seats and their histories
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatFacts:
    """What a seat's history depends on, as the database holds it. `hold` names the member's
    bargaining unit and status while it holds seats (and since when); None otherwise."""

    employee_id: int
    employee_number: str
    agency_code: str
    employment_status: str
    trained: bool
    onboarding_date: dt.date
    hold: tuple[str, str, dt.date] | None = None


@dataclass(frozen=True)
class EventPlan:
    from_status: str
    to_status: str
    at: dt.datetime
    reason: str


@dataclass
class SeatPlan:
    facts: SeatFacts
    events: list[EventPlan] = field(default_factory=list)
    last_active_at: dt.datetime | None = None

    @property
    def status(self) -> str:
        return self.events[-1].to_status

    @property
    def activated_at(self) -> dt.datetime | None:
        activations = [e.at for e in self.events if e.to_status == SeatStatus.ACTIVE]
        return activations[-1] if activations else None

    @property
    def ended_at(self) -> dt.datetime | None:
        return self.events[-1].at if self.status == SeatStatus.REVOKED else None

    def add(self, to_status: str, at: dt.datetime, why: str) -> None:
        previous = self.events[-1] if self.events else None
        if previous is not None and at <= previous.at:
            raise AssertionError(f"Seat events out of order for {self.facts.employee_number}.")
        self.events.append(
            EventPlan(previous.to_status if previous else "", to_status, at, f"{REASON}: {why}")
        )


class _Clock:
    """Business-hours timestamps in the contract's time zone, drawn from one seat's generator."""

    def __init__(self, rng: random.Random, tz: dt.tzinfo) -> None:
        self.rng, self.tz = rng, tz

    def at(self, day: dt.date, from_hour: int, to_hour: int) -> dt.datetime:
        minute = self.rng.randrange(from_hour * 60, to_hour * 60)
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.tz)


def plan_seat(
    facts: SeatFacts,
    *,
    seed: int,
    as_of: dt.date,
    tz: dt.tzinfo,
    requires_training: bool,
    idle_days: int,
    may_activate: bool,
) -> SeatPlan | None:
    """One employee's seat history from their cohort's onboarding day to the end of `as_of`, or
    None when they have no seat (yet).

    Members of a unit that holds seats get a seat `held` from the day the hold reaches them.
    Everyone else is requested in the first days of onboarding, approved once trained (when the
    contract requires it), and activated when they accept the invite, unless on leave or
    `may_activate` is False (no headroom left under the ceiling). About one active user in ten
    goes idle and is suspended after `idle_days`; some of those come back. A separated
    employee's seat ends revoked. Nothing happens after `as_of`.
    """
    rng = random.Random(f"{seed}:seat:{facts.employee_number}")
    clock = _Clock(rng, tz)
    seat = SeatPlan(facts)
    separated = facts.employment_status == EmploymentStatus.SEPARATED
    if separated and rng.random() < SEPARATED_BEFORE_ONBOARDING_SHARE:
        return None

    if facts.hold is not None:
        unit_code, status_label, since = facts.hold
        day = max(facts.onboarding_date, since + dt.timedelta(days=1))
        day += dt.timedelta(days=rng.choice((0, 0, 1, 2)))
        if day > as_of:
            return None
        seat.add(
            SeatStatus.HELD,
            clock.at(day, 9, 12),
            f"held while {unit_code} is at '{status_label}' (since {since:%Y-%m-%d})",
        )
    else:
        approvable = facts.trained or not requires_training
        if not approvable and rng.random() >= UNTRAINED_REQUEST_SHARE:
            return None
        day = facts.onboarding_date + dt.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 4)))
        if day > as_of:
            return None
        seat.add(SeatStatus.REQUESTED, clock.at(day, 8, 10), "requested at onboarding")
        day += dt.timedelta(days=rng.choice((0, 0, 1, 1, 2)))
        if approvable and day <= as_of:
            seat.add(SeatStatus.APPROVED, clock.at(day, 10, 12), "approved, invite sent")
            day += dt.timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5, 7, 10, 14)))
            can_use = facts.employment_status == EmploymentStatus.ACTIVE or separated
            if can_use and may_activate and day <= as_of:
                seat.add(SeatStatus.ACTIVE, clock.at(day, 12, 18), "invite accepted")
                _plan_use(seat, rng, clock, day, as_of=as_of, idle_days=idle_days)

    if separated:
        last = seat.events[-1].at
        day = min(last.date() + dt.timedelta(days=rng.randint(1, 90)), as_of)
        at = clock.at(day, 9, 18) if day > last.date() else last + dt.timedelta(minutes=5)
        seat.add(SeatStatus.REVOKED, at, "employee separated")
    return seat


def _plan_use(
    seat: SeatPlan,
    rng: random.Random,
    clock: _Clock,
    day: dt.date,
    *,
    as_of: dt.date,
    idle_days: int,
) -> None:
    """After activation on `day`: steady use up to the as-of day, or a user who goes idle and
    is suspended after `idle_days`, and perhaps reactivated later."""
    activated = seat.events[-1].at
    if rng.random() >= IDLE_SHARE:
        recent = max(day, as_of - dt.timedelta(days=10))
        last_day = recent + dt.timedelta(days=rng.randint(0, (as_of - recent).days))
        seat.last_active_at = max(clock.at(last_day, 8, 18), activated)
        return
    last_day = min(day + dt.timedelta(days=rng.randint(0, 5)), as_of)
    seat.last_active_at = max(clock.at(last_day, 8, 18), activated)
    suspend_day = last_day + dt.timedelta(days=idle_days + rng.randint(1, 14))
    if suspend_day > as_of:
        return
    seat.add(SeatStatus.SUSPENDED, clock.at(suspend_day, 2, 3), f"idle for {idle_days}+ days")
    if rng.random() >= REACTIVATED_SHARE:
        return
    back_day = suspend_day + dt.timedelta(days=rng.randint(3, 45))
    if back_day > as_of:
        return
    seat.add(SeatStatus.ACTIVE, clock.at(back_day, 9, 17), "reactivated on the user's request")
    seat.last_active_at = seat.events[-1].at


class ActivationBudget:
    """How many more seats may ever be activated. Every seat activated at least once is billable
    in some period, so capping them at the contract's headroom (taken with no seats at all)
    keeps every period's charge, and so the total, under the ceiling."""

    def __init__(self, seats: int | None) -> None:
        self.left = seats

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def give_back(self) -> None:
        if self.left is not None:
            self.left += 1


def plan_seats(
    people: Iterable[SeatFacts],
    *,
    seed: int,
    as_of: dt.date,
    tz: dt.tzinfo,
    requires_training: bool,
    idle_days: int,
    budget: ActivationBudget,
) -> list[SeatPlan]:
    """Seat histories for `people`, earliest cohorts first so that, should the budget run out,
    the seats left waiting are the latest ones."""
    plans = []
    for facts in sorted(people, key=lambda f: (f.onboarding_date, f.employee_number)):
        may_activate = budget.take()
        plan = plan_seat(
            facts,
            seed=seed,
            as_of=as_of,
            tz=tz,
            requires_training=requires_training,
            idle_days=idle_days,
            may_activate=may_activate,
        )
        if may_activate and (plan is None or plan.activated_at is None):
            budget.give_back()
        if plan is not None:
            plans.append(plan)
    return plans
