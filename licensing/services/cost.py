"""The cost engine's writes: snapshots, closed billing lines, and the ceiling check that every
activation runs inside its own transaction (rule 8)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from notifications.services.thresholds import cost_thresholds_observe

from ..choices import BillingLineStatus
from ..cost_report import CostReport, build_report
from ..forecast import forecast
from ..models import BillingPeriod, BillingPeriodEvent, Contract, CostSnapshot
from ..selectors import (
    contract_cost_fingerprint,
    contract_cost_inputs,
    contract_eligible_employees,
    contract_latest_snapshot,
)
from .scheduling import cost_recompute_request


def today() -> dt.date:
    """Today in the contract's time zone: billing days are local calendar days."""
    return timezone.localdate()


def contract_cost_report(*, contract: Contract, as_of: dt.date | None = None) -> CostReport:
    """Compute the contract's cost report from scratch as of the end of `as_of` (default today);
    writes nothing."""
    return build_report(contract_cost_inputs(contract, as_of or today()))


@transaction.atomic
def contract_cost_snapshot(*, contract: Contract, as_of: dt.date | None = None) -> CostSnapshot:
    """Recompute the contract's cost from the database and store it as a new `CostSnapshot`,
    with the fingerprint of the inputs it was computed from (rule 11), and write the billing
    line of every period the day closes that has none yet. This is the one place a snapshot is
    written. Safe to run any number of times: each run reads everything afresh, so a repeated or
    late job only writes another snapshot equal to a from-scratch recomputation."""
    # Read before the counts: a change committed in between leaves the snapshot marked stale
    # (its fingerprint is older than its figures), never fresh with old figures.
    fingerprint = contract_cost_fingerprint(contract.pk)
    inputs = contract_cost_inputs(contract, as_of or today())
    report = build_report(inputs)
    payload = report.as_json()
    billing_lines_record(contract=contract, report=report)
    snapshot = CostSnapshot.objects.create(
        contract=contract,
        as_of=report.as_of,
        active_seats=report.active_seats,
        billable_seats_this_month=report.billable_seats_this_period,
        spend_to_date=report.spend_to_date,
        projected_total=report.projected_total,
        committed_total=report.committed_total,
        headroom_seats=report.headroom_seats,
        below_floor=report.below_floor,
        over_ceiling=report.over_ceiling,
        by_agency=payload["by_agency"],
        report=payload,
        fingerprint=fingerprint,
        inputs={
            "tier_mode": inputs.terms.tier_mode,
            "billing_basis": contract.billing_basis,
            "shortfall_allocation": inputs.shortfall_allocation,
            "min_billable_seats": inputs.terms.min_billable_seats,
            "tiers": [[t.min_seats, t.max_seats, str(t.unit_price)] for t in inputs.terms.tiers],
            "billable_persons": {str(k): v for k, v in inputs.billable.items()},
            "billable_seats": {str(k): v for k, v in inputs.billable_seats.items()},
            "headroom_current": inputs.headroom_current,
            "active_by_cohort": {str(k): v for k, v in inputs.active_by_cohort.items()},
            "planned_cohorts": [
                [c.cohort_id, c.seat_quota, c.onboarding_date.isoformat()]
                for c in inputs.planned_cohorts
            ],
        },
    )
    cost_thresholds_observe(snapshot=snapshot)  # cost.threshold_crossed, edge-triggered
    return snapshot


def contract_cost_answer(*, contract: Contract, as_of: dt.date | None = None) -> dict:
    """The contract's cost as the API and the pages serve it: the report, `computed_at` (when
    its figures were computed), `stale` (true when an input changed since, or the snapshot is
    of another day: rule 11) and `eligible_employees` (employees who could still be given a
    seat: not separated, no active seat under the contract).

    Without `as_of`, the latest snapshot answers. A stale one is recomputed on the spot on the
    embedded default (no broker: nothing else would refresh it); with a broker it is served as
    it is, marked stale, and the coalesced recompute is asked for. With `as_of` the report is
    computed now and stored nowhere."""
    eligible = contract_eligible_employees(contract)
    if as_of is not None:
        report = contract_cost_report(contract=contract, as_of=as_of).as_json()
        return _answer(report, timezone.now(), False, "", eligible)
    day = today()
    snapshot = contract_latest_snapshot(contract)
    fingerprint = contract_cost_fingerprint(contract.pk)
    fresh = (
        snapshot is not None
        and snapshot.as_of == day
        and snapshot.report
        and snapshot.fingerprint == fingerprint
    )
    if not fresh and (settings.CELERY_TASK_ALWAYS_EAGER or snapshot is None):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            snapshot = contract_cost_snapshot(contract=contract)
            fresh = True
        else:
            cost_recompute_request(contract_id=contract.pk)
            report = contract_cost_report(contract=contract).as_json()
            return _answer(report, timezone.now(), False, fingerprint, eligible)
    elif not fresh:
        cost_recompute_request(contract_id=contract.pk)
    return _answer(snapshot.report, snapshot.computed_at, not fresh, snapshot.fingerprint, eligible)


def _answer(report: dict, computed_at, stale: bool, fingerprint: str, eligible: int) -> dict:
    return {
        **report,
        "computed_at": computed_at.isoformat(),
        "stale": stale,
        "inputs_fingerprint": fingerprint,
        "eligible_employees": eligible,
    }


def contract_lock(*, contract_id: int) -> Contract:
    """Lock the contract row for the rest of the caller's transaction. Every activation takes
    this lock first, so activations under one contract serialise on it (the ceiling is shared)
    and, always being the first lock, it cannot take part in a deadlock."""
    return Contract.objects.select_for_update().get(pk=contract_id)


def contract_assert_headroom(*, contract: Contract, seats: int = 1) -> int | None:
    """Rule 8: refuse, inside the caller's transaction, an activation of `seats` more seats that
    would take the contract over its ceiling, or any activation after the term (refused as
    `contract_ended`). The caller must hold `contract_lock`. Returns the headroom before the
    activation (None: no number of seats reaches the ceiling). Every refusal carries its figures
    as fields."""
    day = today()
    if day > contract.end_date:
        raise BusinessRuleError(
            "contract_ended",
            f"{contract.name} ended on {contract.end_date:%Y-%m-%d}: no seat can be activated "
            "under it any more.",
            end_date=contract.end_date.isoformat(),
            requested=seats,
        )
    # The plan does not enter rule 7, so the cohorts are not even read.
    report = build_report(contract_cost_inputs(contract, day, cohorts=()))
    room = report.headroom_seats
    if room is not None and room < seats:
        raise BusinessRuleError(
            "ceiling_reached",
            f"Activating {seats:,} more seat(s) would take {contract.name} over its "
            f"not-to-exceed ceiling of ${contract.ceiling_amount:,.2f}: only {room:,} more "
            "seat(s) fit.",
            headroom_seats=room,
            requested=seats,
            ceiling_amount=f"{contract.ceiling_amount:.2f}",
            active_seats=report.active_seats,
            current_period_count=report.headroom_current_count,
            billing_basis=contract.billing_basis,
        )
    return room


def _explanation(line) -> str:
    """One line that reconciles a billing line: who was billed, what was charged and why."""
    n = line.billable_persons
    persons = f"{n:,} billable person{'s' if n != 1 else ''}"
    if line.charged_seats > line.billable_persons:
        charged = f"charged at the {line.charged_seats:,}-seat minimum"
    else:
        charged = f"charged for {line.charged_seats:,}"
    if line.unit_price is None:
        price = "graduated tiers"
    else:
        price = f"${line.unit_price:,.2f} each (volume)"
    text = f"{persons}, {charged} × {price} = ${line.amount:,.2f}"
    if line.unallocated:
        text += f"; ${line.unallocated:,.2f} unallocated (central fund)"
    return text + "."


def billing_lines_record(*, contract: Contract, report: CostReport) -> list[BillingPeriod]:
    """Write the `BillingPeriod` line of every period of `report` that is over (it ended before
    both the report's day and today) and has none yet. A closed period's figures as of any later
    day are final, so the report that saw it closed prices it. A written line is never
    rewritten: finance marks it invoiced and paid. Unique per (contract, start), so two
    recomputes at once write each line once."""
    cutoff = min(report.as_of, today())
    due = [p for p in report.periods if p.kind == "actual" and p.end < cutoff]
    if not due:
        return []
    existing = set(
        BillingPeriod.objects.filter(
            contract=contract, start__in=[p.start for p in due]
        ).values_list("start", flat=True)
    )
    lines = [
        BillingPeriod(
            contract=contract,
            start=p.start,
            end=p.end,
            billable_persons=p.billable_persons,
            charged_seats=p.charged_seats,
            unit_price=p.unit_price,
            amount=p.amount,
            unallocated_amount=p.unallocated,
            explanation=_explanation(p),
        )
        for p in due
        if p.start not in existing
    ]
    if not lines:
        return []
    try:
        with transaction.atomic():
            return BillingPeriod.objects.bulk_create(lines)
    except IntegrityError:
        # Another recompute wrote these lines first: they are the same figures.
        return []


def billing_periods_close(
    *, contract: Contract, as_of: dt.date | None = None
) -> list[BillingPeriod]:
    """Write a `BillingPeriod` line for every period of the contract that ended before `as_of`
    (and today) and has none yet: the nightly job's and the command's way to the lines."""
    report = contract_cost_report(contract=contract, as_of=as_of or today())
    return billing_lines_record(contract=contract, report=report)


@transaction.atomic
def billing_period_mark(*, line: BillingPeriod, status: str, actor) -> BillingPeriod:
    """Finance marks a billing line invoiced or paid; it only moves forward (a mistaken "paid"
    is taken back by `billing_period_undo_paid`, the same day). Every mark is recorded as a
    `BillingPeriodEvent`."""
    order = ["accrued", "invoiced", "paid"]
    line = BillingPeriod.objects.select_for_update().get(pk=line.pk)
    if status not in order:
        raise BusinessRuleError("invalid_status", f"'{status}' is not a billing line status.")
    if order.index(status) < order.index(line.status):
        raise BusinessRuleError(
            "invalid_transition",
            f"The billing line for {line.start} is already {line.status}; it cannot go back to "
            f"{status}.",
        )
    if status == line.status:
        return line  # marked so already: nothing changes, nothing to record
    return _billing_line_move(line, status, actor=actor, reason="")


@transaction.atomic
def billing_period_undo_paid(*, line: BillingPeriod, actor, reason: str) -> BillingPeriod:
    """Take back a mistaken "paid" on the day it was marked (a local calendar day, by the
    clock): the line returns to the status it had before the mark, and the undo is recorded
    beside the mark with who, when and the written reason. After that day a payment is on the
    books and is corrected by finance's own process, not by this button."""
    line = BillingPeriod.objects.select_for_update().get(pk=line.pk)
    if not reason.strip():
        raise BusinessRuleError("reason_required", "An undo of a payment needs a written reason.")
    if line.status != BillingLineStatus.PAID:
        raise BusinessRuleError(
            "invalid_transition",
            f"The billing line for {line.start} is {line.status}, not paid: there is no payment "
            "to undo.",
            current_status=line.status,
        )
    mark = line.events.order_by("-at", "-id").first()
    if mark is None or mark.to_status != BillingLineStatus.PAID:
        raise BusinessRuleError(
            "undo_not_allowed",
            f'The billing line for {line.start} has no recorded "paid" mark to take back.',
        )
    marked_on = timezone.localdate(mark.at)
    if marked_on != timezone.localdate(timezone.now()):
        raise BusinessRuleError(
            "undo_too_late",
            f'The billing line for {line.start} was marked paid on {marked_on}; a "paid" '
            "mark can be undone only on the day it was made.",
            marked_on=marked_on.isoformat(),
        )
    return _billing_line_move(line, mark.from_status, actor=actor, reason=reason.strip())


def _billing_line_move(line: BillingPeriod, status: str, *, actor, reason: str) -> BillingPeriod:
    now = timezone.now()
    BillingPeriodEvent.objects.create(
        line=line,
        from_status=line.status,
        to_status=status,
        at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
    )
    line.status = status
    line.status_changed_by = actor if getattr(actor, "is_authenticated", False) else None
    line.status_changed_at = now
    line.save(update_fields=["status", "status_changed_by", "status_changed_at"])
    return line


def contract_forecast(
    *, contract: Contract, changes: list, as_of: dt.date | None = None
) -> CostReport:
    """The cost report under a what-if plan (`licensing.forecast` changes). Writes nothing."""
    return forecast(contract_cost_inputs(contract, as_of or today()), changes)
