"""Idle-seat reclamation: suspend the seats nobody uses, revoke the seats of people who left.

Seats cost money every month they are active; a seat unused for the contract's `idle_days` is
suspended (it stays the employee's and can be reactivated), a separated employee's seat is
revoked. New cohorts get a grace period after onboarding, and people on leave are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER, has_role
from core.choices import JobKind, JobStatus
from core.jobs import job_finish
from core.models import Job
from licensing import pricing
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat, SeatEvent
from licensing.selectors import contract_terms
from licensing.services.seats import seats_move_bulk

from ..selectors import contract_active_seat_count, seats_idle, seats_of_separated
from .jobs import job_queue

SAMPLE_SIZE = 100
SEPARATED_REASON = "Employee separated"


def idle_reason(contract: Contract) -> str:
    return f"No activity for {contract.idle_days} days"


@dataclass(frozen=True)
class SeatChange:
    seat_id: int
    employee_number: str
    agency: str
    from_status: str
    to_status: str
    last_seen: dt.datetime | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "seat": self.seat_id,
            "employee_number": self.employee_number,
            "agency": self.agency,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "reason": self.reason,
        }


@dataclass
class Reclamation:
    """What a reclamation run did (or, dry, would do) and what it saves a month: the period
    charge for the active seats before, less the charge for those left after."""

    contract_id: int
    as_of: dt.date
    dry_run: bool
    suspended: list[SeatChange] = field(default_factory=list)
    revoked: list[SeatChange] = field(default_factory=list)
    active_before: int = 0
    active_after: int = 0
    charge_before: Decimal = Decimal("0.00")
    charge_after: Decimal = Decimal("0.00")
    job_id: int | None = None

    @property
    def monthly_saving(self) -> Decimal:
        return self.charge_before - self.charge_after

    def as_json(self, *, sample: int | None = SAMPLE_SIZE) -> dict[str, object]:
        return {
            "contract": self.contract_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "suspended": len(self.suspended),
            "revoked": len(self.revoked),
            "active_before": self.active_before,
            "active_after": self.active_after,
            "charge_before": str(self.charge_before),
            "charge_after": str(self.charge_after),
            "monthly_saving": str(self.monthly_saving),
            "suspended_seats": [c.as_dict() for c in self.suspended[:sample]],
            "revoked_seats": [c.as_dict() for c in self.revoked[:sample]],
        }


def _changes(
    seats: list[Seat], to_status: str, reason: str, before: dict[int, str]
) -> list[SeatChange]:
    return [
        SeatChange(
            seat_id=s.pk,
            employee_number=s.employee.employee_number,
            agency=s.agency.code,
            from_status=before.get(s.pk, s.status),
            to_status=to_status,
            last_seen=getattr(s, "last_seen", None),
            reason=reason,
        )
        for s in seats
    ]


def _candidates(
    contract: Contract, as_of: dt.date, seat_ids: Collection[int] | None
) -> tuple[QuerySet[Seat], QuerySet[Seat]]:
    """The seats of separated people and the idle seats, limited to `seat_ids` when given: a
    chosen seat that is no longer a candidate (used since, reactivated, its owner back from
    leave) simply drops out."""
    separated = seats_of_separated(contract).select_related("employee", "agency").order_by("id")
    idle = seats_idle(contract, as_of).select_related("employee", "agency").order_by("id")
    if seat_ids is not None:
        ids = sorted(set(seat_ids))
        separated, idle = separated.filter(pk__in=ids), idle.filter(pk__in=ids)
    return separated, idle


def _charges(contract: Contract, result: Reclamation, gone: list[SeatChange]) -> Reclamation:
    freed = len(result.suspended) + sum(1 for c in gone if c.from_status == SeatStatus.ACTIVE)
    result.active_after = result.active_before - freed
    terms = contract_terms(contract)
    result.charge_before = pricing.period_charge(result.active_before, terms)
    result.charge_after = pricing.period_charge(result.active_after, terms)
    return result


def seats_reclaimable(
    *, contract: Contract, as_of: dt.date | None = None, seat_ids: Collection[int] | None = None
) -> Reclamation:
    """What reclamation would do now, read without locks and without recording a run: the idle
    seats it would suspend, the separated people's seats it would revoke (all of them, or those
    of `seat_ids` that still qualify) and the monthly charge before and after. The dry run of
    `seats_reclaim_idle` and the console's report page both read it, so they cannot disagree."""
    as_of = as_of or timezone.localdate()
    result = Reclamation(contract_id=contract.pk, as_of=as_of, dry_run=True)
    separated, idle = _candidates(contract, as_of, seat_ids)
    result.active_before = contract_active_seat_count(contract)
    result.revoked = _changes(list(separated), SeatStatus.REVOKED, SEPARATED_REASON, {})
    result.suspended = _changes(list(idle), SeatStatus.SUSPENDED, idle_reason(contract), {})
    return _charges(contract, result, result.revoked)


@transaction.atomic
def _reclaim(
    contract: Contract, as_of: dt.date, *, actor, job: Job, seat_ids: Collection[int] | None
) -> Reclamation:
    result = Reclamation(contract_id=contract.pk, as_of=as_of, dry_run=False, job_id=job.pk)
    separated, idle = _candidates(contract, as_of, seat_ids)
    result.active_before = contract_active_seat_count(contract)
    # Separated first: the two sets are disjoint (idle seats belong to people at work), and a
    # separation is the firmer reason for the one event a seat gets.
    gone = seats_move_bulk(
        seats=separated,
        to_status=SeatStatus.REVOKED,
        actor=actor,
        reason=SEPARATED_REASON,
        job=job,
    )
    quiet = seats_move_bulk(
        seats=idle,
        to_status=SeatStatus.SUSPENDED,
        actor=actor,
        reason=idle_reason(contract),
        job=job,
    )
    # The moved seats already carry their new status; the events hold where they came from.
    before = dict(SeatEvent.objects.filter(job=job).values_list("seat_id", "from_status"))
    result.revoked = _changes(gone, SeatStatus.REVOKED, SEPARATED_REASON, before)
    result.suspended = _changes(quiet, SeatStatus.SUSPENDED, idle_reason(contract), before)
    return _charges(contract, result, result.revoked)


def _job_begin(contract: Contract, as_of: dt.date, *, actor, dry_run: bool, job: Job | None) -> Job:
    if job is None:
        job = Job(kind=JobKind.RECLAIM)
        if getattr(actor, "is_authenticated", False):
            job.requested_by = actor
    job.subject = f"{contract.number} as of {as_of:%Y-%m-%d}"
    job.dry_run = dry_run
    job.status = JobStatus.RUNNING
    job.started_at = timezone.now()
    job.finished_at = None
    job.errors = []
    job.save()
    return job


def seats_reclaim_idle(
    *,
    contract: Contract,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    actor=None,
    seat_ids: Collection[int] | None = None,
    job: Job | None = None,
) -> Reclamation:
    """Suspend the contract's active seats with no recorded activity for `idle_days` at the end
    of `as_of` (default today), and revoke the open seats of separated employees. A seat whose
    cohort was onboarded within `reclaim_grace_days` before `as_of` is spared (people need time
    to start), and so is the seat of anyone on leave. Every change is one `SeatEvent` with its
    reason ("No activity for 30 days", "Employee separated"), written in bulk in one
    transaction. A dry run changes nothing and reports the candidates (`seats_reclaimable`).

    `seat_ids` limits the run to those seats (a rollout manager's choice on the console): each
    is still suspended or revoked only if it qualifies when the run takes its locks, so a seat
    used since it was chosen is left alone. None means every candidate.

    Both report the monthly saving: the period charge for today's active seats less the
    charge for those left active (on `volume` pricing it can be negative: a tier cliff). The
    run is recorded on a `core.Job` row of kind `reclaim` (created unless one is handed in),
    written outside the changes' transaction so a failed run is on record too."""
    as_of = as_of or timezone.localdate()
    job = _job_begin(contract, as_of, actor=actor, dry_run=dry_run, job=job)
    request = (job.outcome or {}).get("request")
    try:
        if dry_run:
            result = seats_reclaimable(contract=contract, as_of=as_of, seat_ids=seat_ids)
            result.job_id = job.pk
        else:
            result = _reclaim(contract, as_of, actor=actor, job=job, seat_ids=seat_ids)
    except Exception as exc:
        job.errors = [{"code": getattr(exc, "code", "error"), "detail": str(exc)}]
        job_finish(job, status=JobStatus.FAILED, fields=["errors"])
        raise
    job.total = job.done = len(result.suspended) + len(result.revoked)
    job.outcome = result.as_json()
    if request is not None:
        job.outcome["request"] = request
    job_finish(job, status=JobStatus.SUCCEEDED, fields=["total", "done", "outcome"])
    return result


@transaction.atomic
def seats_reclaim_enqueue(
    *,
    contract: Contract,
    actor,
    seat_ids: Collection[int] | None = None,
    as_of: dt.date | None = None,
) -> Job:
    """A rollout manager asks for a reclamation (of every candidate, or of the seats chosen) to
    run in the background: the job row is written now, holding the request (contract, day,
    seats) so the sweeper can queue it again if the broker loses it, and the task runs once
    this transaction commits. An unreachable broker marks the row failed and raises."""
    if not has_role(actor, ROLLOUT_MANAGER):
        raise BusinessRuleError(
            "role_required", "Only a rollout manager may reclaim seats.", role=ROLLOUT_MANAGER
        )
    as_of = as_of or timezone.localdate()
    ids = None if seat_ids is None else sorted(set(seat_ids))
    if ids == []:
        raise BusinessRuleError("nothing_chosen", "Choose at least one seat to reclaim.")
    job = Job.objects.create(
        kind=JobKind.RECLAIM,
        requested_by=actor,
        subject=f"{contract.number} as of {as_of:%Y-%m-%d}",
        outcome={"request": {"contract": contract.pk, "as_of": as_of.isoformat(), "seat_ids": ids}},
    )
    transaction.on_commit(lambda: job_queue(job))
    return job
