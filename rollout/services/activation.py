"""Cohort activation: the long job that gives a cohort's people their seats.

The job works through the cohort agency's workforce by employee number, in batches of 1,000.
Each batch is one call to `licensing.services.seats.seats_activate_bulk`, its own transaction,
taking the contract, cohort and seat locks every activation takes; so the quota and the ceiling
hold however many jobs and single activations run at once, and a rerun (or a second job) finds
the seats the first one made and skips them. Progress is saved on the `Job` row after each
batch, outside the batch's transaction, so the admin and the API see it move and a failure
keeps both the batches already committed and the record of how far it got.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Employee
from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER, has_role
from core.choices import JobKind, JobStatus
from core.jobs import job_finish
from core.models import Job
from licensing.choices import SeatStatus
from licensing.services.cost import contract_cost_report
from licensing.services.seats import (
    ALLOWED,
    Blocker,
    BulkActivation,
    person_blockers,
    seats_activate_bulk,
)

from ..choices import WaveStatus
from ..models import Cohort
from ..selectors import (
    cohort_activation_candidates,
    cohort_active_seat_count,
    cohort_open_seats,
    employees_for_activation,
)
from .announce import cohort_ceiling_refusals_announce
from .jobs import JobClaimLost, job_queue

BATCH_SIZE = 1000
SAMPLE_SIZE = 100  # blocked people in `errors` (and in a real run's progress saves)
BATCH_ATTEMPTS = 3

ProgressCallback = Callable[[int, int], None]


@dataclass
class _Tally:
    """What a run found, as it goes; `outcome()` is what the job row stores."""

    dry_run: bool
    activated: int = 0
    would_activate: list[str] = field(default_factory=list)
    already_active: int = 0
    blocked: int = 0
    blocked_by_reason: Counter[str] = field(default_factory=Counter)
    blocked_people: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def block(self, number: str, name: str, code: str, detail: str) -> None:
        self.blocked += 1
        self.blocked_by_reason[code] += 1
        self.blocked_people.append(
            {"employee_number": number, "name": name, "code": code, "detail": detail}
        )

    def outcome(self, *, final: bool = False) -> dict[str, object]:
        """What the job row stores. A dry run lists everyone each time (that is what it is
        for); a real run lists everyone it blocked once, at the end, so the people to chase
        (untrained, held) can be downloaded without rewriting a growing list after each batch."""
        out: dict[str, object] = {
            "dry_run": self.dry_run,
            "already_active": self.already_active,
            "blocked": self.blocked,
            "blocked_by_reason": dict(sorted(self.blocked_by_reason.items())),
            "warnings": self.warnings,
        }
        if self.dry_run:
            out["would_activate"] = len(self.would_activate)
            out["would_activate_employees"] = self.would_activate
            out["blocked_employees"] = self.blocked_people
        else:
            out["activated"] = self.activated
            if final:
                out["blocked_employees"] = self.blocked_people
        return out


def _name(employee: Employee) -> str:
    return f"{employee.first_name} {employee.last_name}"


def _job_begin(*, cohort: Cohort, actor, dry_run: bool, job: Job | None) -> Job:
    if job is None:
        job = Job(kind=JobKind.COHORT_ACTIVATION, cohort=cohort)
        if getattr(actor, "is_authenticated", False):
            job.requested_by = actor
    # A job row handed in again (a redelivered task, a rerun) starts over: the work is
    # idempotent, and the counters describe this run.
    job.subject = f"{cohort.agency.code} in wave {cohort.wave.number}"
    job.dry_run = dry_run
    job.status = JobStatus.RUNNING
    job.started_at = timezone.now()
    job.finished_at = None
    job.done = job.total = 0
    job.outcome, job.errors = {}, []
    job.save()
    return job


def _job_progress(job: Job, tally: _Tally) -> None:
    job.outcome = tally.outcome()
    job.errors = tally.blocked_people[:SAMPLE_SIZE]
    # Every saved batch is also a heartbeat (rollout/services/jobs.py).
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["done", "total", "outcome", "errors", "heartbeat_at"])


def _job_end(job: Job, tally: _Tally, status: str, error: dict | None = None) -> None:
    job.outcome = tally.outcome(final=True)
    job.errors = ([error] if error else []) + tally.blocked_people[:SAMPLE_SIZE]
    job_finish(job, status=status, fields=["outcome", "errors", "done", "total"])
    refused = tally.blocked_by_reason.get("ceiling_reached", 0)
    cohort_ceiling_refusals_announce(job=job, refused=refused, activated=tally.activated)


def _wave_refusal(cohort: Cohort) -> BusinessRuleError | None:
    wave = cohort.wave
    if wave.status == WaveStatus.IN_PROGRESS:
        return None
    return BusinessRuleError(
        "wave_not_started",
        f"Wave {wave.number} ({wave.name}) is {wave.get_status_display().lower()}; "
        f"{cohort.agency.code}'s seats are activated only while it is in progress.",
        wave_status=wave.status,
    )


def _triage(cohort: Cohort, tally: _Tally) -> list[int]:
    """The candidates still to work through; those with an active seat are counted, those with
    a suspended one blocked: reactivating a seat that was suspended (idle, misuse) is a
    person's decision (`seat_reactivate`), not a bulk job's."""
    todo = []
    for pk, number, first, last, seat_status in cohort_activation_candidates(cohort):
        if seat_status == SeatStatus.ACTIVE:
            tally.already_active += 1
        elif seat_status == SeatStatus.SUSPENDED:
            tally.block(
                number,
                f"{first} {last}",
                "seat_suspended",
                "The seat is suspended; a rollout manager reactivates it by hand.",
            )
        else:
            todo.append(pk)
    return todo


def _activate_batch(
    cohort: Cohort, employees: list[Employee], *, actor, job: Job, reason: str
) -> BulkActivation:
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return seats_activate_bulk(
                cohort=cohort, employees=employees, actor=actor, job=job, reason=reason
            )
        except IntegrityError:
            # A seat was requested for one of these people between the batch's read and its
            # write (seat_request takes no contract lock); the batch rolled back whole, and the
            # next attempt sees that seat and activates it instead of inserting another.
            if attempt == BATCH_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _run(
    cohort: Cohort, job: Job, tally: _Tally, *, actor, progress: ProgressCallback | None
) -> None:
    refusal = _wave_refusal(cohort)
    if refusal:
        raise refusal
    todo = _triage(cohort, tally)
    job.total = len(todo)
    _job_progress(job, tally)
    reason = f"Onboarding of {cohort.agency.code} in wave {cohort.wave.number} (job #{job.pk})"
    for start in range(0, len(todo), BATCH_SIZE):
        employees = employees_for_activation(todo[start : start + BATCH_SIZE])
        result = _activate_batch(cohort, employees, actor=actor, job=job, reason=reason)
        by_pk = {e.pk: e for e in employees}
        tally.activated += len(result.activated)
        for pk, code, detail in result.blocked:
            tally.block(by_pk[pk].employee_number, _name(by_pk[pk]), code, detail)
        # People another job or person activated since the triage: the batch skipped them.
        tally.already_active += len(employees) - len(result.activated) - len(result.blocked)
        job.done = min(start + BATCH_SIZE, job.total)
        _job_progress(job, tally)
        if progress:
            progress(job.done, job.total)


def _preview(cohort: Cohort, job: Job, tally: _Tally, *, progress: ProgressCallback | None) -> None:
    """The dry run: the same rules as `seats_activate_bulk`, read without locks or writes, the
    quota and ceiling room carried from batch to batch as a real run would use them up."""
    refusal = _wave_refusal(cohort)
    if refusal:
        tally.warnings.append(f"{refusal.detail} A real run is refused until then.")
    contract = cohort.wave.contract
    room = max(0, cohort.seat_quota - cohort_active_seat_count(cohort))
    ceiling_room = contract_cost_report(contract=contract).headroom_seats
    todo = _triage(cohort, tally)
    job.total = len(todo)
    _job_progress(job, tally)
    for start in range(0, len(todo), BATCH_SIZE):
        chunk = todo[start : start + BATCH_SIZE]
        seats = cohort_open_seats(cohort, chunk)
        for emp in employees_for_activation(chunk):
            seat = seats.get(emp.pk)
            if seat is not None and seat.status == SeatStatus.ACTIVE:
                tally.already_active += 1
                continue
            status = seat.status if seat else None
            blockers = person_blockers(emp, contract, seat_status=status, override=False)
            if seat is not None and SeatStatus.ACTIVE not in ALLOWED[seat.status]:
                blockers.append(Blocker("invalid_transition", f"Seat is {seat.status}."))
            if blockers:
                tally.block(emp.employee_number, _name(emp), blockers[0].code, blockers[0].detail)
            elif room <= 0:
                tally.block(
                    emp.employee_number, _name(emp), "quota_full", "The cohort's quota is used up."
                )
            elif ceiling_room is not None and ceiling_room <= 0:
                tally.block(
                    emp.employee_number,
                    _name(emp),
                    "ceiling_reached",
                    "The contract's ceiling leaves no room.",
                )
            else:
                tally.would_activate.append(emp.employee_number)
                room -= 1
                if ceiling_room is not None:
                    ceiling_room -= 1
        job.done = min(start + BATCH_SIZE, job.total)
        _job_progress(job, tally)
        if progress:
            progress(job.done, job.total)


def cohort_activate(
    *,
    cohort: Cohort,
    actor=None,
    dry_run: bool = False,
    job: Job | None = None,
    progress: ProgressCallback | None = None,
) -> Job:
    """Activate every eligible employee of the cohort's agency, up to the cohort's quota and the
    contract's ceiling: active employment, trained when the contract requires it, not held for
    bargaining, not already active. Works by employee number in batches of 1,000, each its own
    transaction; records progress and the outcome on a `core.Job` (created unless one is
    handed in) and calls `progress(done, total)` after each batch.

    A dry run writes no seat: its job row lists who would be activated and who is blocked and
    why, and it also previews a wave that has not started (with a warning). A real run counts
    the blocked per reason, keeps the first 100 in `errors` and lists everyone it blocked in its
    final outcome (`blocked_employees`). Safe to rerun and to run twice at once.

    Not atomic on purpose: call it outside a transaction, so each batch commits on its own. A
    refusal (the wave is not in progress) marks the job failed and raises `BusinessRuleError`."""
    cohort = Cohort.objects.select_related("wave__contract", "agency").get(pk=cohort.pk)
    job = _job_begin(cohort=cohort, actor=actor, dry_run=dry_run, job=job)
    tally = _Tally(dry_run=dry_run)
    try:
        if dry_run:
            _preview(cohort, job, tally, progress=progress)
        else:
            _run(cohort, job, tally, actor=actor, progress=progress)
    except BusinessRuleError as exc:
        _job_end(job, tally, JobStatus.FAILED, {"code": exc.code, "detail": exc.detail})
        raise
    except JobClaimLost:
        raise  # another delivery owns the job now: its row is not this run's to write
    except Exception as exc:
        _job_end(job, tally, JobStatus.FAILED, {"code": "error", "detail": repr(exc)})
        raise
    _job_end(job, tally, JobStatus.SUCCEEDED)
    return job


@transaction.atomic
def cohort_activation_enqueue(*, cohort: Cohort, actor, dry_run: bool = False) -> Job:
    """A rollout manager asks for a cohort activation (or its dry run) to run in the
    background: the job row is written now, queued, and the task runs once this transaction
    commits, so the worker always finds the row. An unreachable broker marks the row failed and
    raises (services/jobs.py)."""
    if not has_role(actor, ROLLOUT_MANAGER):
        raise BusinessRuleError(
            "role_required", "Only a rollout manager may activate a cohort.", role=ROLLOUT_MANAGER
        )
    cohort = Cohort.objects.select_related("wave", "agency").get(pk=cohort.pk)
    job = Job.objects.create(
        kind=JobKind.COHORT_ACTIVATION,
        cohort=cohort,
        requested_by=actor,
        dry_run=dry_run,
        subject=f"{cohort.agency.code} in wave {cohort.wave.number}",
    )
    transaction.on_commit(lambda: job_queue(job))
    return job
