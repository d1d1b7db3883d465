"""Idle-seat reclamation: suspend the seats nobody uses, revoke the seats of people who left.

Seats cost money every month they are active; a seat unused for the contract's `idle_days` is
suspended (it stays the employee's and can be reactivated), a separated employee's seat is
revoked. New cohorts get a grace period after onboarding, and people on leave are left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.choices import JobKind, JobStatus
from core.jobs import job_finish
from core.models import Job
from licensing import pricing
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat, SeatEvent
from licensing.selectors import contract_terms
from licensing.services.seats import seats_move_bulk

from ..selectors import contract_active_seat_count, seats_idle, seats_of_separated

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


@transaction.atomic
def _reclaim(contract: Contract, as_of: dt.date, *, dry_run: bool, actor, job: Job) -> Reclamation:
    result = Reclamation(contract_id=contract.pk, as_of=as_of, dry_run=dry_run, job_id=job.pk)
    separated = seats_of_separated(contract).select_related("employee", "agency").order_by("id")
    idle = seats_idle(contract, as_of).select_related("employee", "agency").order_by("id")
    result.active_before = contract_active_seat_count(contract)
    if dry_run:
        gone, quiet, before = list(separated), list(idle), {}
    else:
        # Separated first: the two sets are disjoint (idle seats belong to people at work), and
        # a separation is the firmer reason for the one event a seat gets.
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
    freed = len(quiet) + sum(1 for c in result.revoked if c.from_status == SeatStatus.ACTIVE)
    result.active_after = result.active_before - freed
    terms = contract_terms(contract)
    result.charge_before = pricing.period_charge(result.active_before, terms)
    result.charge_after = pricing.period_charge(result.active_after, terms)
    return result


def seats_reclaim_idle(
    *, contract: Contract, as_of: dt.date | None = None, dry_run: bool = False, actor=None
) -> Reclamation:
    """Suspend the contract's active seats with no recorded activity for `idle_days` at the end
    of `as_of` (default today), and revoke the open seats of separated employees. A seat whose
    cohort was onboarded within `reclaim_grace_days` before `as_of` is spared (people need time
    to start), and so is the seat of anyone on leave. Every change is one `SeatEvent` with its
    reason ("No activity for 30 days", "Employee separated"), written in bulk in one
    transaction. A dry run changes nothing and reports the candidates.

    Both report the monthly saving: the period charge for today's active seats less the
    charge for those left active (on `volume` pricing it can be negative: a tier cliff). The
    run is recorded on a `core.Job` row of kind `reclaim`, written outside the changes'
    transaction so a failed run is on record too."""
    as_of = as_of or timezone.localdate()
    job = Job.objects.create(
        kind=JobKind.RECLAIM,
        status=JobStatus.RUNNING,
        subject=f"{contract.number} as of {as_of:%Y-%m-%d}",
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        dry_run=dry_run,
        started_at=timezone.now(),
    )
    try:
        result = _reclaim(contract, as_of, dry_run=dry_run, actor=actor, job=job)
    except Exception as exc:
        job.errors = [{"code": getattr(exc, "code", "error"), "detail": str(exc)}]
        job_finish(job, status=JobStatus.FAILED, fields=["errors"])
        raise
    job.total = job.done = len(result.suspended) + len(result.revoked)
    job.outcome = result.as_json()
    job_finish(job, status=JobStatus.SUCCEEDED, fields=["total", "done", "outcome"])
    return result
