"""Vendor provisioning: seat changes from the outbox become pushes to the vendor's SCIM API.

The path of one seat change (docs/vendor.md draws it):

1. The seat service writes the change and its outbox event in one transaction (licensing).
2. The outbox dispatcher hands the event to `provisioning_intents_record` (through
   `vendor.consumer.accept`), inside the dispatcher's transaction: one `ProvisioningIntent` per
   event (unique, so a batch handed over twice adds nothing), and the seat's `SeatProvisioning`
   row bumped to `pending`. On commit it asks for a drain.
3. `provisioning_drain` (a Celery task on the `vendor` queue, and beat every minute) claims due
   rows in a short transaction (a lease, `SKIP LOCKED` on PostgreSQL), commits, and only then
   calls the vendor — no transaction or row lock is held while a request is out. Each push reads
   the seat's status at that moment, so the latest state wins and a seat's calls never overtake
   each other. The answers are written back in one short transaction per batch.

Failures: a seat the vendor refuses (4xx with a message) is `failed` with the vendor's words
until someone retries it or the seat changes again; a vendor that is down (unreachable, timeout,
5xx, token refused) costs the seat a try and a backoff (base × 2^n) and counts towards the
endpoint's circuit, which opens after a few in a row and stops every call to it, keeping every
intent, until beat's run after the cooldown probes again; a 429 pauses the endpoint for its
`Retry-After`. A 409 `uniqueness` on create adopts the user already there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.errors import BusinessRuleError
from core.models import Event
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat

from ..choices import Operation, ProvisioningState
from ..models import ProvisioningIntent, SeatProvisioning, VendorCircuit
from ..rules import operation_for, retry_delay
from ..scim import (
    Directory,
    Outcome,
    Person,
    VendorRateLimited,
    VendorRefused,
    VendorUnavailable,
)
from ..selectors import Connection, circuits_blocking, connections_for, provisioning_enabled
from .circuit import Breaker

log = logging.getLogger(__name__)

SEAT_STATUS_CHANGED = "seat.status_changed"
PROVISIONED_STATUSES = frozenset({SeatStatus.ACTIVE, SeatStatus.SUSPENDED, SeatStatus.REVOKED})
CLAIM_BATCH = 100
LEASE = dt.timedelta(minutes=5)
CHUNK = 1000
DRAIN_SCHEDULED_KEY = "vendor:drain-scheduled"
DRAIN_SCHEDULED_TTL = 60  # seconds; beat drains every minute anyway

Progress = Callable[[int], None]


# --- 2. intents, from the outbox ----------------------------------------------------------------


@transaction.atomic
def provisioning_intents_record(*, events: Iterable[Event]) -> int:
    """The provisioning consumer's work on one outbox batch, in the dispatcher's transaction:
    record an intent per `seat.status_changed` event of a connected contract into `active`,
    `suspended` or `revoked` (events already recorded are skipped), set those seats pending, and
    ask for a drain on commit. Returns how many intents were new. A few queries per batch,
    whatever its size; none at all beyond one when no contract is connected."""
    wanted = [
        event
        for event in events
        if event.type == SEAT_STATUS_CHANGED
        and event.payload.get("to_status") in PROVISIONED_STATUSES
    ]
    if not wanted or not provisioning_enabled():
        return 0
    connected = connections_for({event.payload["contract"] for event in wanted})
    wanted = [event for event in wanted if event.payload["contract"] in connected]
    if not wanted:
        return 0
    known = set(
        ProvisioningIntent.objects.filter(event_id__in=[e.pk for e in wanted]).values_list(
            "event_id", flat=True
        )
    )
    fresh = [event for event in wanted if event.pk not in known]
    if not fresh:
        return 0
    ProvisioningIntent.objects.bulk_create(
        [
            ProvisioningIntent(
                event_id=event.pk,
                seat_id=event.payload["seat"],
                to_status=event.payload["to_status"],
                created_at=event.created_at,
            )
            for event in fresh
        ],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )
    _mark_pending({event.payload["seat"]: event.payload["contract"] for event in fresh})
    provisioning_drain_request()
    return len(fresh)


def _mark_pending(seats: dict[int, int], *, now: dt.datetime | None = None) -> None:
    """Make every seat of `seats` (seat id → contract id) pending now, with a new version: the
    rows are created when missing, then bumped, so a push in flight learns it is stale."""
    now = now or timezone.now()
    ids = sorted(seats)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # Sorted, so two dispatchers inserting the same seats take their row locks in one order.
        SeatProvisioning.objects.bulk_create(
            [
                SeatProvisioning(seat_id=seat, contract_id=seats[seat], next_attempt_at=now)
                for seat in chunk
            ],
            ignore_conflicts=True,
        )
        SeatProvisioning.objects.filter(seat_id__in=chunk).update(
            version=F("version") + 1,
            state=ProvisioningState.PENDING,
            attempts=0,
            next_attempt_at=now,
            detail="",
        )


def provisioning_drain_request() -> None:
    """Ask for a drain once the current transaction commits; a burst of asks makes one task."""
    transaction.on_commit(_schedule_drain, robust=True)


def _schedule_drain() -> None:
    from ..tasks import provision_seats_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        provision_seats_task.apply()
        return
    try:
        if cache.add(DRAIN_SCHEDULED_KEY, 1, timeout=DRAIN_SCHEDULED_TTL):
            provision_seats_task.apply_async()
    except Exception:
        # The intents are committed; beat's run drains them within a minute.
        with contextlib.suppress(Exception):
            cache.delete(DRAIN_SCHEDULED_KEY)
        log.warning("vendor drain not queued (cache or broker unreachable); beat will run it")


# --- retries and syncs --------------------------------------------------------------------------


@transaction.atomic
def seat_provisioning_retry(*, seat: Seat, actor=None) -> SeatProvisioning:
    """Try a seat's push again now (a manager fixed what the vendor refused, or will not wait
    for the backoff): pending, tries reset, a drain asked for on commit. Refused when the
    contract is not connected to a vendor."""
    if not connections_for([seat.contract_id]):
        raise BusinessRuleError(
            "vendor_not_connected",
            "This contract is not connected to a vendor workspace: there is nothing to retry.",
        )
    _mark_pending({seat.pk: seat.contract_id})
    provisioning_drain_request()
    log.info("seat %s provisioning retried by user %s", seat.pk, getattr(actor, "pk", None))
    return SeatProvisioning.objects.get(seat=seat)


@transaction.atomic
def provisioning_retry_failed(*, contract: Contract, actor=None) -> int:
    """Try every failed seat of a contract again now; returns how many."""
    if not connections_for([contract.pk]):
        raise BusinessRuleError(
            "vendor_not_connected", "This contract is not connected to a vendor workspace."
        )
    seats = list(
        SeatProvisioning.objects.filter(
            contract=contract, state=ProvisioningState.FAILED
        ).values_list("seat_id", flat=True)
    )
    if seats:
        _mark_pending(dict.fromkeys(seats, contract.pk))
        provisioning_drain_request()
    log.info("%s failed seats of contract %s retried", len(seats), contract.pk)
    return len(seats)


def seats_mark_pending(*, contract: Contract, seat_ids: list[int]) -> None:
    """Set the given seats of a contract pending (a sync), one transaction per 1,000 seats."""
    for start in range(0, len(seat_ids), CHUNK):
        with transaction.atomic():
            _mark_pending(dict.fromkeys(seat_ids[start : start + CHUNK], contract.pk))


# --- 3. the drain -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    pk: int
    seat_id: int
    contract_id: int
    version: int
    vendor_user_id: str
    attempts: int


@dataclass
class _Result:
    claim: _Claim
    kind: str  # "ok", "retry", "refused", "release"
    outcome: Outcome | None = None
    operation: str = ""
    detail: str = ""
    not_before: dt.datetime | None = None
    give_up: bool = False


@dataclass
class DrainReport:
    """What one drain did: seats pushed (a call made and answered or failed), provisioned,
    failed for good, and the endpoints that stopped it (circuit open or paused)."""

    pushed: int = 0
    provisioned: int = 0
    failed: int = 0
    retrying: int = 0
    stopped: dict[str, str] = field(default_factory=dict)
    more_due: bool = False


def provisioning_drain(
    *,
    contract_ids: Iterable[int] | None = None,
    budget_seconds: float = 240.0,
    progress: Progress | None = None,
) -> DrainReport:
    """Push every due pending seat (of `contract_ids`, or all) to its vendor, batch after batch,
    until none is due, every endpoint with due seats is stopped, or the time budget is spent
    (`more_due` then says so, for the caller to continue). Not one transaction: a claim and each
    batch's answers are their own short transactions, and no lock is held while a call is out."""
    report = DrainReport()
    breakers: dict[str, Breaker] = {}
    directories: dict[tuple[str, str], Directory] = {}
    deadline = time.monotonic() + budget_seconds
    only = set(contract_ids) if contract_ids is not None else None
    try:
        while True:
            now = timezone.now()
            connections = _callable_connections(now, only, breakers)
            if not connections:
                break
            if time.monotonic() > deadline:
                report.more_due = True
                break
            claims = _claim(now, set(connections))
            if not claims:
                break
            results = _push_batch(claims, connections, breakers, directories)
            _record(results, report)
            if progress is not None:
                progress(sum(1 for r in results if r.kind in ("ok", "refused") or r.give_up))
    finally:
        for directory in directories.values():
            directory.close()
    report.stopped = {e: b.stop_reason for e, b in breakers.items() if b.stopped}
    return report


def _callable_connections(
    now: dt.datetime, only: set[int] | None, breakers: dict[str, Breaker]
) -> dict[int, Connection]:
    """The connections of contracts with due seats whose endpoint may be called now."""
    due = SeatProvisioning.objects.filter(state=ProvisioningState.PENDING, next_attempt_at__lte=now)
    if only is not None:
        due = due.filter(contract_id__in=only)
    contract_ids = set(due.values_list("contract_id", flat=True).distinct().order_by())
    connections = connections_for(contract_ids)
    stopped = {e for e, breaker in breakers.items() if breaker.stopped}
    blocked = circuits_blocking({c.endpoint for c in connections.values()}, now=now)
    return {
        contract_id: conn
        for contract_id, conn in connections.items()
        if conn.endpoint not in stopped and conn.endpoint not in blocked
    }


def _claim(now: dt.datetime, contract_ids: set[int]) -> list[_Claim]:
    """Lease up to a batch of due seats, in one short transaction."""
    with transaction.atomic():
        due = (
            SeatProvisioning.objects.filter(
                state=ProvisioningState.PENDING,
                next_attempt_at__lte=now,
                contract_id__in=contract_ids,
            )
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(
            due.values_list(
                "pk", "seat_id", "contract_id", "version", "vendor_user_id", "attempts"
            )[:CLAIM_BATCH]
        )
        if rows:
            SeatProvisioning.objects.filter(pk__in=[row[0] for row in rows]).update(
                claimed_until=now + LEASE
            )
    return [_Claim(*row) for row in rows]


def _push_batch(
    claims: list[_Claim],
    connections: dict[int, Connection],
    breakers: dict[str, Breaker],
    directories: dict[tuple[str, str], Directory],
) -> list[_Result]:
    """Push one claimed batch: the database is read before and written after, in this thread;
    the calls themselves go out `VENDOR_SCIM_CONCURRENCY` at a time (a seat appears once in a
    batch, so its own calls stay in order)."""
    seats = {
        seat.pk: seat
        for seat in Seat.objects.filter(pk__in=[c.seat_id for c in claims]).select_related(
            "employee"
        )
    }
    live_people = _people_with_live_seats(seats.values())
    results: dict[int, _Result] = {}
    work = []
    for claim in claims:
        conn = connections[claim.contract_id]
        if conn.endpoint not in breakers:
            breakers[conn.endpoint] = Breaker(conn.endpoint)
        breaker = breakers[conn.endpoint]
        seat = seats[claim.seat_id]
        person_seats = live_people.get((seat.contract_id, seat.employee_id), set())
        other_live = bool(person_seats - {seat.pk})
        operation = operation_for(
            seat.status, revoke_action=conn.revoke_action, person_has_other_live_seat=other_live
        )
        if operation == Operation.NOTHING:
            words = (
                "Another seat of this person now decides the vendor user."
                if other_live
                else f"Nothing to do for a {seat.status} seat."
            )
            outcome = Outcome(claim.vendor_user_id, None, words)
            results[claim.pk] = _Result(claim, "ok", outcome=outcome, operation=operation)
            continue
        key = (conn.endpoint, conn.token)
        if key not in directories:
            try:
                directories[key] = Directory(
                    base_url=conn.endpoint, token=conn.token, timeout=settings.VENDOR_SCIM_TIMEOUT
                )
            except VendorRefused as exc:
                results[claim.pk] = _Result(
                    claim, "refused", operation=operation, detail=exc.detail
                )
                continue
        work.append((claim, seat, operation, directories[key], breaker))

    def push(item) -> _Result:
        claim, seat, operation, directory, breaker = item
        if not breaker.allows():
            # Still due: the circuit, not the seat, decides when the vendor is called again,
            # so closing it (cooldown over, or by hand) makes every waiting seat go at once.
            return _Result(claim, "release")
        return _push_one(claim, seat, operation, directory, breaker)

    workers = max(1, min(settings.VENDOR_SCIM_CONCURRENCY, len(work)))
    if workers == 1:
        pushed = [push(item) for item in work]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vendor-push") as pool:
            pushed = list(pool.map(push, work))
    for result in pushed:
        results[result.claim.pk] = result
    for breaker in breakers.values():
        breaker.flush()
    return [results[claim.pk] for claim in claims]


def _people_with_live_seats(seats: Iterable[Seat]) -> dict[tuple[int, int], set[int]]:
    """(contract, employee) → ids of their active or suspended seats, for the revoked seats of
    the batch (one query, none when the batch revokes nothing)."""
    revoked = [s for s in seats if s.status == SeatStatus.REVOKED]
    if not revoked:
        return {}
    rows = Seat.objects.filter(
        contract_id__in={s.contract_id for s in revoked},
        employee_id__in={s.employee_id for s in revoked},
        status__in=(SeatStatus.ACTIVE, SeatStatus.SUSPENDED),
    ).values_list("id", "contract_id", "employee_id")
    out: dict[tuple[int, int], set[int]] = {}
    for seat_id, contract_id, employee_id in rows:
        out.setdefault((contract_id, employee_id), set()).add(seat_id)
    return out


def _person(seat: Seat) -> Person:
    employee = seat.employee
    return Person(
        user_name=employee.email.strip().lower(),
        external_id=employee.employee_number,
        given_name=employee.first_name,
        family_name=employee.last_name,
    )


def _push_one(
    claim: _Claim, seat: Seat, operation: str, directory: Directory, breaker: Breaker
) -> _Result:
    person = _person(seat)
    known = claim.vendor_user_id
    try:
        if operation == Operation.ENSURE_ACTIVE:
            outcome = directory.ensure_active(person, known_id=known)
        elif operation == Operation.DEACTIVATE:
            outcome = directory.ensure_inactive(person, known_id=known)
        else:
            outcome = directory.ensure_absent(person, known_id=known)
    except VendorRateLimited as exc:
        breaker.paused(exc.retry_after, exc.detail)
        log.info("vendor endpoint paused %.0f s (429); seat %s waits", exc.retry_after, seat.pk)
        return _Result(claim, "release", operation=operation)
    except VendorUnavailable as exc:
        opened = breaker.failed(exc.detail)
        attempts = claim.attempts + 1
        # A seat fails for good only while the vendor otherwise answers: during an outage (the
        # circuit open, by this failure or another thread's) it waits, however long.
        give_up = not breaker.stopped and attempts >= settings.VENDOR_MAX_ATTEMPTS
        wait = retry_delay(
            attempts,
            base=settings.VENDOR_RETRY_BASE_SECONDS,
            cap=settings.VENDOR_RETRY_MAX_SECONDS,
        )
        log.warning("seat %s push failed, vendor unavailable (circuit open: %s)", seat.pk, opened)
        return _Result(
            claim,
            "retry",
            operation=operation,
            detail=exc.detail,
            not_before=timezone.now() + dt.timedelta(seconds=wait),
            give_up=give_up,
        )
    except VendorRefused as exc:
        if exc.status is not None:
            breaker.succeeded()  # it answered: the endpoint is up
        log.warning("seat %s push refused (vendor status %s)", seat.pk, exc.status)
        return _Result(claim, "refused", operation=operation, detail=exc.detail)
    except Exception:
        # A bug of ours (or the library's) with this one seat must not strand the batch's
        # leases: the seat fails, visibly, and the others go on. The traceback is logged;
        # it carries no token (the client holds it in a header object, not in messages).
        log.exception("seat %s push failed unexpectedly", seat.pk)
        return _Result(
            claim,
            "refused",
            operation=operation,
            detail="Seatplan failed to push this seat (an error on Seatplan's side, logged); "
            "retry it once fixed.",
        )
    breaker.succeeded()
    return _Result(claim, "ok", outcome=outcome, operation=operation)


def _record(results: list[_Result], report: DrainReport) -> None:
    """Write one batch's answers in one short transaction. A seat whose version moved while
    its push was out (a newer change came in) is left pending for the next round."""
    now = timezone.now()
    with transaction.atomic():
        for result in results:
            claim = result.claim
            current = SeatProvisioning.objects.filter(pk=claim.pk, version=claim.version)
            if result.kind == "release":
                SeatProvisioning.objects.filter(pk=claim.pk).update(claimed_until=None)
                continue
            if result.operation != Operation.NOTHING:
                report.pushed += 1
            if result.kind == "ok":
                outcome = result.outcome
                done = current.update(
                    state=ProvisioningState.PROVISIONED,
                    attempts=0,
                    claimed_until=None,
                    operation=result.operation,
                    detail=outcome.detail,
                    vendor_user_id=outcome.user_id,
                    vendor_active=outcome.active,
                    provisioned_at=now,
                )
                if done:
                    report.provisioned += 1
                    ProvisioningIntent.objects.filter(
                        seat_id=claim.seat_id, delivered_at__isnull=True
                    ).update(delivered_at=now)
            elif result.kind == "refused" or result.give_up:
                done = current.update(
                    state=ProvisioningState.FAILED,
                    attempts=claim.attempts + 1,
                    claimed_until=None,
                    operation=result.operation,
                    detail=result.detail,
                )
                report.failed += bool(done)
            else:
                done = current.update(
                    attempts=claim.attempts + 1,
                    claimed_until=None,
                    next_attempt_at=result.not_before or now,
                    operation=result.operation,
                    detail=result.detail,
                )
                report.retrying += bool(done)
            if not done:
                SeatProvisioning.objects.filter(pk=claim.pk).update(claimed_until=None)


def provisioning_next_run() -> dt.datetime | None:
    """When a drain could next push something: the next backoff to end, or the next circuit to
    cool down or pause to end while seats wait. None when nothing waits; a past moment when
    seats are due now (a run already has them)."""
    now = timezone.now()
    pending = SeatProvisioning.objects.filter(state=ProvisioningState.PENDING)
    if not pending.exists():
        return None
    later = (
        pending.filter(next_attempt_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    moments = [later] if later else []
    waiting = VendorCircuit.objects.filter(Q(open_until__gt=now) | Q(paused_until__gt=now))
    moments += [circuit.waits_until(now) for circuit in waiting]
    return min((m for m in moments if m is not None), default=None)
