"""The seat lifecycle: request, approve, activate, suspend, reactivate, revoke.

Every change goes through `_move`, which checks the transition, writes the `SeatEvent` and its
outbox event (`seat.status_changed`, services/announce.py) in the same transaction and asks for a
cost recompute on commit. Activation takes its locks in one order —
contract, then cohort, then seats by id — so concurrent activations serialise instead of
deadlocking, and the quota and the ceiling are checked against what is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.choices import EmploymentStatus
from agencies.models import Employee
from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER, has_role
from rollout.choices import WaveStatus
from rollout.models import Cohort

from ..choices import SeatStatus as S
from ..models import Contract, Seat, SeatEvent
from .announce import announces_ceiling_refusal, seat_changes_announce
from .cost import contract_assert_headroom, contract_lock
from .scheduling import cost_recompute_request

ALLOWED: dict[str, frozenset[str]] = {
    "": frozenset({S.REQUESTED, S.HELD, S.ACTIVE}),
    S.REQUESTED: frozenset({S.APPROVED, S.HELD, S.ACTIVE, S.REVOKED}),
    S.HELD: frozenset({S.REQUESTED, S.ACTIVE, S.REVOKED}),
    S.APPROVED: frozenset({S.ACTIVE, S.HELD, S.REVOKED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.REVOKED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.REVOKED}),
    S.REVOKED: frozenset(),
}


def _check_transition(seat: Seat, to_status: str) -> None:
    if to_status not in ALLOWED[seat.status]:
        raise BusinessRuleError(
            "invalid_transition",
            f"Seat {seat.pk} is {seat.status}; it cannot become {to_status}.",
            current_status=seat.status,
        )


def _event(seat, from_status, to_status, *, actor, reason, job, at) -> SeatEvent:
    return SeatEvent.for_seat(
        seat,
        from_status=from_status,
        from_at=seat.status_changed_at if from_status else None,
        to_status=to_status,
        at=at,
        actor=actor,
        reason=reason,
        job=job,
    )


def _after(seat: Seat, now):
    """`now`, or a microsecond after the seat's last change when the clock has not moved on:
    events of one seat are strictly ordered in time."""
    floor = seat.status_changed_at + dt.timedelta(microseconds=1)
    return now if now >= floor else floor


def _apply(seat: Seat, to_status: str, at) -> None:
    seat.status = to_status
    seat.status_changed_at = at
    if to_status == S.ACTIVE:
        seat.activated_at = at
    if to_status == S.REVOKED:
        seat.ended_at = at


def _move(seat: Seat, to_status: str, *, actor=None, reason: str = "", job=None) -> Seat:
    """The one way a seat changes status: transition check, event, seat row, recompute."""
    _check_transition(seat, to_status)
    at = _after(seat, timezone.now())
    event = _event(seat, seat.status, to_status, actor=actor, reason=reason, job=job, at=at)
    _apply(seat, to_status, at)
    seat.save(
        update_fields=[
            "status",
            "status_changed_at",
            "activated_at",
            "ended_at",
            "cohort",
            "updated_at",
        ]
    )
    event.save()
    seat_changes_announce([event])
    cost_recompute_request(contract_id=seat.contract_id)
    return seat


def _locked_seat(seat: Seat | int) -> Seat:
    pk = seat.pk if isinstance(seat, Seat) else seat
    return (
        Seat.objects.select_for_update(of=("self",))
        .select_related("employee__bargaining_unit", "contract", "cohort__wave")
        .get(pk=pk)
    )


def seat_hold_reason(employee: Employee) -> str | None:
    """Why this employee's seat is held, in the words the seat events record (the unit, its
    union and where the bargaining stands); None when their unit holds no seats."""
    return _held_reason(employee)


def _held_reason(employee: Employee) -> str | None:
    unit = employee.bargaining_unit
    if unit is not None and unit.holds_seats:
        return (
            f"{unit.code} ({unit.union}) is in '{unit.get_bargaining_status_display()}': seats of "
            "its members are held until the union and the employer agree."
        )
    return None


@transaction.atomic
def seat_request(
    *,
    employee: Employee,
    contract: Contract,
    cohort: Cohort | None = None,
    actor=None,
    reason: str = "",
    job=None,
) -> Seat:
    """Request a seat for an employee. A member of a unit that has demanded to bargain (or is
    bargaining, or at impasse) gets a `held` seat: it cannot be activated without an override."""
    if employee.employment_status == EmploymentStatus.SEPARATED:
        raise BusinessRuleError(
            "employee_inactive", f"{employee} has separated and cannot be given a seat."
        )
    # The contract lock first, as every activation takes it: otherwise the seat's foreign-key
    # checks at COMMIT take KEY SHARE on the cohort before the contract, the opposite order to
    # seat_activate's (contract, then cohort), and the two deadlock under load.
    contract_lock(contract_id=contract.pk)
    held = _held_reason(employee)
    status = S.HELD if held else S.REQUESTED
    seat = Seat(
        contract=contract,
        employee=employee,
        agency_id=employee.agency_id,
        cohort=cohort,
        status=status,
        status_changed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            seat.save()
    except IntegrityError as exc:
        raise BusinessRuleError(
            "seat_exists",
            f"{employee} already has an open seat under {contract.name}.",
        ) from exc
    event = SeatEvent.for_seat(
        seat,
        from_status="",
        to_status=status,
        at=seat.status_changed_at,
        actor=actor,
        reason="; ".join(r for r in (reason, held) if r),
        job=job,
    )
    event.save()
    seat_changes_announce([event])
    cost_recompute_request(contract_id=contract.pk)
    return seat


@transaction.atomic
def seats_request_bulk(
    *,
    employees: Iterable[Employee],
    contract: Contract,
    cohort: Cohort | None = None,
    actor=None,
    reason: str = "",
) -> list[Seat]:
    """Request a seat for each of several employees (a coordinator's selection), all or
    nothing: each request is `seat_request`'s, with its rules and its event, and the first
    refusal (a seat that exists by now, a separation) leaves every other request unwritten."""
    return [
        seat_request(employee=e, contract=contract, cohort=cohort, actor=actor, reason=reason)
        for e in employees
    ]


@transaction.atomic
def seat_approve(*, seat: Seat, actor=None, reason: str = "") -> Seat:
    """Approve a requested seat. A held seat is not approved: it waits for the union, or for an
    activation override."""
    seat = _locked_seat(seat)
    if seat.status == S.HELD:
        raise BusinessRuleError("held_for_bargaining", _held_reason(seat.employee) or "Held.")
    return _move(seat, S.APPROVED, actor=actor, reason=reason)


@transaction.atomic
def seat_suspend(*, seat: Seat, actor=None, reason: str = "", job=None) -> Seat:
    """Suspend an active seat (idle, misuse, leave). It stays the employee's and can be
    reactivated; a suspended seat is not billable from the next period on."""
    return _move(_locked_seat(seat), S.SUSPENDED, actor=actor, reason=reason, job=job)


@transaction.atomic
def seat_revoke(*, seat: Seat, actor=None, reason: str = "", job=None) -> Seat:
    """Revoke a seat for good (separation, error). The employee may be given a new seat later."""
    return _move(_locked_seat(seat), S.REVOKED, actor=actor, reason=reason, job=job)


@dataclass(frozen=True)
class Blocker:
    code: str
    detail: str


def person_blockers(
    employee: Employee, contract: Contract, *, seat_status: str | None, override: bool
) -> list[Blocker]:
    """Why this person may not be activated now, apart from the cohort-wide quota and the
    contract-wide ceiling. Empty when nothing stands in the way."""
    blockers = []
    if employee.employment_status != EmploymentStatus.ACTIVE:
        blockers.append(
            Blocker(
                "employee_inactive",
                f"{employee} is {employee.get_employment_status_display().lower()}.",
            )
        )
    if contract.requires_training and not employee.is_trained:
        missing = [
            name
            for name, value in (
                ("AI training", employee.training_completed_on),
                ("policy acknowledgement", employee.policy_acknowledged_on),
            )
            if not value
        ]
        blockers.append(
            Blocker("not_ready", f"{employee} has not completed {' and '.join(missing)}.")
        )
    held = _held_reason(employee) if seat_status != S.ACTIVE else None
    if (held or seat_status == S.HELD) and not override:
        blockers.append(Blocker("held_for_bargaining", held or f"{employee}'s seat is held."))
    return blockers


def _resolve_cohort(seat: Seat) -> Cohort:
    """The seat's cohort, or else its agency's cohort in this contract's running wave (the
    latest-numbered cohort when none runs, so the refusal names a real wave)."""
    if seat.cohort_id:
        return seat.cohort
    cohorts = list(
        Cohort.objects.filter(wave__contract_id=seat.contract_id, agency_id=seat.agency_id)
        .select_related("wave")
        .order_by("-wave__number")
    )
    running = [c for c in cohorts if c.wave.status == WaveStatus.IN_PROGRESS]
    if running or cohorts:
        return (running or cohorts)[0]
    raise BusinessRuleError(
        "wave_not_started",
        f"{seat.agency.code} is not scheduled in any wave of this contract yet.",
    )


def _cohort_room(cohort: Cohort) -> int:
    active = Seat.objects.filter(cohort=cohort, status=S.ACTIVE).count()
    return max(0, cohort.seat_quota - active)


def _check_cohort(cohort: Cohort) -> None:
    if cohort.wave.status != WaveStatus.IN_PROGRESS:
        raise BusinessRuleError(
            "wave_not_started",
            f"Wave {cohort.wave.number} ({cohort.wave.name}) is {cohort.wave.status}; seats are "
            "activated only while it is in progress.",
            wave_status=cohort.wave.status,
        )


@announces_ceiling_refusal
@transaction.atomic
def seat_activate(*, seat: Seat, actor=None, reason: str = "", override: bool = False) -> Seat:
    """Activate a requested or approved seat (or reactivate a suspended one), enforcing every
    rule in one transaction: the employee is active and, when the contract asks, trained; the
    cohort's wave is in progress; the cohort's quota has room; the seat is not held (unless a
    rollout manager overrides with a written reason); and the contract stays under its ceiling.
    Refusals raise `BusinessRuleError` with their own code."""
    if override and not has_role(actor, ROLLOUT_MANAGER):
        raise BusinessRuleError(
            "override_not_allowed", "Only a rollout manager may override a bargaining hold."
        )
    if override and not reason.strip():
        raise BusinessRuleError(
            "reason_required", "An override of a bargaining hold needs a written reason."
        )
    unlocked = Seat.objects.select_related("agency", "cohort__wave").get(pk=seat.pk)
    contract = contract_lock(contract_id=unlocked.contract_id)
    cohort = _resolve_cohort(unlocked)
    cohort = Cohort.objects.select_for_update(of=("self",)).select_related("wave").get(pk=cohort.pk)
    seat = _locked_seat(seat)
    _check_transition(seat, S.ACTIVE)
    for blocker in person_blockers(
        seat.employee, contract, seat_status=seat.status, override=override
    ):
        raise BusinessRuleError(blocker.code, blocker.detail)
    _check_cohort(cohort)
    if _cohort_room(cohort) < 1:
        raise BusinessRuleError(
            "quota_full",
            f"{cohort.agency.code}'s cohort in wave {cohort.wave.number} has used all "
            f"{cohort.seat_quota:,} seats of its quota.",
            seat_quota=cohort.seat_quota,
        )
    contract_assert_headroom(contract=contract, seats=1)
    if override and (seat.status == S.HELD or _held_reason(seat.employee)):
        reason = f"Override of bargaining hold: {reason}"
    seat.cohort = cohort
    return _move(seat, S.ACTIVE, actor=actor, reason=reason)


def seat_reactivate(*, seat: Seat, actor=None, reason: str = "", override: bool = False) -> Seat:
    """Reactivate a suspended seat: the same rules as a first activation."""
    if seat.status != S.SUSPENDED:
        raise BusinessRuleError(
            "invalid_transition",
            f"Seat {seat.pk} is {seat.status}; only a suspended seat is reactivated.",
            current_status=seat.status,
        )
    return seat_activate(seat=seat, actor=actor, reason=reason, override=override)


@dataclass
class BulkActivation:
    activated: list[int]
    blocked: list[tuple[int, str, str]]  # (employee id, code, detail)
    room_left: int


def seats_activate_bulk(
    *,
    cohort: Cohort,
    employees: Iterable[Employee],
    actor=None,
    job=None,
    reason: str = "",
    dry_run: bool = False,
) -> BulkActivation:
    """Activate a batch of a cohort's employees in one transaction with bulk writes: one
    `SeatEvent` per seat, a constant number of queries per batch. Takes the same locks as a
    single activation, so two jobs on one cohort at once never duplicate or overfill it: the
    second waits for the first and then sees its seats. Employees who already hold an active seat
    are skipped; others are activated while the quota and the ceiling have room, the rest blocked
    with the reason."""
    with transaction.atomic():
        contract = contract_lock(contract_id=cohort.wave.contract_id)
        cohort = (
            Cohort.objects.select_for_update(of=("self",))
            .select_related("wave", "agency")
            .get(pk=cohort.pk)
        )
        _check_cohort(cohort)
        employees = list(employees)
        seats = {
            s.employee_id: s
            for s in Seat.objects.select_for_update(of=("self",))
            .filter(contract=contract, employee__in=employees)
            .exclude(status=S.REVOKED)
            .order_by("id")
        }
        room = _cohort_room(cohort)
        ceiling_room = contract_assert_headroom(contract=contract, seats=0)
        if ceiling_room is None:
            ceiling_room = len(employees)
        result = BulkActivation([], [], 0)
        chosen: list[Employee] = []
        for emp in employees:
            seat = seats.get(emp.pk)
            if seat is not None and seat.status == S.ACTIVE:
                continue
            status = seat.status if seat else None
            blockers = person_blockers(emp, contract, seat_status=status, override=False)
            if seat is not None and S.ACTIVE not in ALLOWED[seat.status]:
                blockers.append(Blocker("invalid_transition", f"Seat is {seat.status}."))
            if blockers:
                result.blocked.append((emp.pk, blockers[0].code, blockers[0].detail))
            elif len(chosen) >= room:
                result.blocked.append((emp.pk, "quota_full", "The cohort's quota is used up."))
            elif len(chosen) >= ceiling_room:
                result.blocked.append(
                    (emp.pk, "ceiling_reached", "The contract's ceiling leaves no room.")
                )
            else:
                chosen.append(emp)
        result.room_left = min(room, ceiling_room) - len(chosen)
        if dry_run or not chosen:
            result.activated = [e.pk for e in chosen]
            return result

        at = max([timezone.now(), *(_after(s, s.status_changed_at) for s in seats.values())])
        new = [
            Seat(
                contract=contract,
                employee=e,
                agency_id=e.agency_id,
                cohort=cohort,
                status=S.ACTIVE,
                activated_at=at,
                status_changed_at=at,
            )
            for e in chosen
            if e.pk not in seats
        ]
        Seat.objects.bulk_create(new, batch_size=1000)
        existing = [seats[e.pk] for e in chosen if e.pk in seats]
        events = [_event(s, "", S.ACTIVE, actor=actor, reason=reason, job=job, at=at) for s in new]
        for s in existing:
            previous = s.status
            s.cohort = cohort  # before the event, which records the cohort the seat is active in
            events.append(_event(s, previous, S.ACTIVE, actor=actor, reason=reason, job=job, at=at))
            _apply(s, S.ACTIVE, at)
            s.updated_at = at
        Seat.objects.bulk_update(
            existing,
            ["status", "status_changed_at", "activated_at", "cohort", "updated_at"],
            batch_size=1000,
        )
        SeatEvent.objects.bulk_create(events, batch_size=1000)
        seat_changes_announce(events)
        cost_recompute_request(contract_id=contract.pk)
        result.activated = [e.pk for e in chosen]
        return result


@transaction.atomic
def seats_move_bulk(
    *, seats: QuerySet[Seat], to_status: str, actor=None, reason: str = "", job=None
) -> list[Seat]:
    """Move many seats to one status that needs no capacity (held, back to requested,
    suspended, revoked) in one transaction with bulk writes: a constant number of queries per
    1,000 seats. The seats of `seats` are locked by id and re-read under the lock; those that
    may no longer make the move (changed since they were chosen) are left alone. Each moved seat
    gets its one `SeatEvent`, and each contract touched one cost recompute on commit.
    Activation has rules of its own: use `seat_activate` or `seats_activate_bulk`."""
    if to_status == S.ACTIVE:
        raise ValueError("Seats are activated by seat_activate or seats_activate_bulk.")
    movable = [status for status, targets in ALLOWED.items() if status and to_status in targets]
    locked = list(seats.filter(status__in=movable).select_for_update(of=("self",)).order_by("id"))
    if not locked:
        return []
    at = max([timezone.now(), *(_after(s, s.status_changed_at) for s in locked)])
    events = []
    for seat in locked:
        events.append(
            _event(seat, seat.status, to_status, actor=actor, reason=reason, job=job, at=at)
        )
        _apply(seat, to_status, at)
        seat.updated_at = at
    # One status and one moment for all: a plain UPDATE per 1,000 ids, not a CASE per row.
    changes = {"status": to_status, "status_changed_at": at, "updated_at": at}
    if to_status == S.REVOKED:
        changes["ended_at"] = at
    for start in range(0, len(locked), 1000):
        Seat.objects.filter(pk__in=[s.pk for s in locked[start : start + 1000]]).update(**changes)
    SeatEvent.objects.bulk_create(events, batch_size=1000)
    seat_changes_announce(events)
    for contract_id in sorted({seat.contract_id for seat in locked}):
        cost_recompute_request(contract_id=contract_id)
    return locked
