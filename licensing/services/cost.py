"""The cost engine's writes: snapshots, closed billing lines, and the ceiling check that every
activation runs inside its own transaction (rule 8)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError

from .. import pricing
from ..choices import BillingLineStatus
from ..cost_report import CostReport, build_report
from ..forecast import forecast
from ..models import BillingPeriod, BillingPeriodEvent, Contract, CostSnapshot
from ..selectors import contract_cost_inputs, contract_headroom_seats, contract_terms


def today() -> dt.date:
    """Today in the contract's time zone: billing days are local calendar days."""
    return timezone.localdate()


def contract_cost_report(*, contract: Contract, as_of: dt.date | None = None) -> CostReport:
    """Compute the contract's cost report from scratch as of the end of `as_of` (default today);
    writes nothing."""
    return build_report(contract_cost_inputs(contract, as_of or today()))


@transaction.atomic
def contract_cost_snapshot(*, contract: Contract, as_of: dt.date | None = None) -> CostSnapshot:
    """Recompute the contract's cost from the database and store it as a new `CostSnapshot`.
    Safe to run any number of times: each run reads everything afresh, so a repeated or late job
    only writes another snapshot equal to a from-scratch recomputation."""
    inputs = contract_cost_inputs(contract, as_of or today())
    report = build_report(inputs)
    payload = report.as_json()
    return CostSnapshot.objects.create(
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
        inputs={
            "tier_mode": inputs.terms.tier_mode,
            "billing_basis": contract.billing_basis,
            "min_billable_seats": inputs.terms.min_billable_seats,
            "tiers": [[t.min_seats, t.max_seats, str(t.unit_price)] for t in inputs.terms.tiers],
            "billable": {str(k): v for k, v in inputs.billable.items()},
            "active_by_cohort": {str(k): v for k, v in inputs.active_by_cohort.items()},
            "planned_cohorts": [
                [c.cohort_id, c.seat_quota, c.onboarding_date.isoformat()]
                for c in inputs.planned_cohorts
            ],
        },
    )


def contract_lock(*, contract_id: int) -> Contract:
    """Lock the contract row for the rest of the caller's transaction. Every activation takes
    this lock first, so activations under one contract serialise on it (the ceiling is shared)
    and, always being the first lock, it cannot take part in a deadlock."""
    return Contract.objects.select_for_update().get(pk=contract_id)


def contract_assert_headroom(*, contract: Contract, seats: int = 1) -> int | None:
    """Rule 8: refuse, inside the caller's transaction, an activation of `seats` more seats that
    would take the contract over its ceiling. The caller must hold `contract_lock`. Returns the
    headroom before the activation (None: no number of seats reaches the ceiling)."""
    room = contract_headroom_seats(contract)
    if room is not None and room < seats:
        raise BusinessRuleError(
            "ceiling_reached",
            f"Activating {seats:,} more seat(s) would take {contract.name} over its "
            f"not-to-exceed ceiling of ${contract.ceiling_amount:,.2f}: only {room:,} more "
            "seat(s) fit.",
            headroom_seats=room,
            requested=seats,
        )
    return room


@transaction.atomic
def billing_periods_close(
    *, contract: Contract, as_of: dt.date | None = None
) -> list[BillingPeriod]:
    """Write a `BillingPeriod` line for every period of the contract that ended before `as_of`
    and has none yet. A written line is never rewritten: finance marks it invoiced and paid."""
    as_of = as_of or today()
    contract = contract_lock(contract_id=contract.pk)  # two closers at once write each line once
    existing = set(contract.billing_periods.values_list("start", flat=True))
    due = [
        p
        for p in pricing.billing_periods(contract.start_date, contract.end_date)
        if p.end < as_of and p.start not in existing
    ]
    if not due:
        return []
    report = contract_cost_report(contract=contract, as_of=max(p.end for p in due))
    terms = contract_terms(contract)
    lines = {line.start: line for line in report.periods}
    created = []
    for p in due:
        line = lines[p.start]
        billed = max(line.billable_seats, terms.min_billable_seats)
        created.append(
            BillingPeriod(
                contract=contract,
                start=p.start,
                end=p.end,
                billable_seats=line.billable_seats,
                unit_price=pricing.unit_price(billed, terms),
                amount=line.amount,
            )
        )
    return BillingPeriod.objects.bulk_create(created)


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
