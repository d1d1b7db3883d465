"""Closed billing periods become billing lines that finance marks invoiced and paid; the
recompute_costs command prints the cost report as a table or one JSON object per contract."""

import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.errors import BusinessRuleError
from licensing.models import BillingPeriod, CostSnapshot
from licensing.services.cost import (
    billing_period_mark,
    billing_period_undo_paid,
    billing_periods_close,
)
from licensing.tasks import nightly_snapshot_task
from tests.factories import AgencyFactory, ContractFactory, UserFactory
from tests.licensing.history import active_seats


@pytest.fixture
def contract(db):
    """1 Jan – 30 Apr 2026 at $10 a seat (one tier), 3 EOTSS seats from 5 January and 2 ANF
    seats from 3 March."""
    contract = ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 4, 30),
        min_billable_seats=0,
        floor_amount=D("0"),
        ceiling_amount=D("1000"),
        tiers=[(1, None, "10")],
    )
    active_seats(contract, AgencyFactory(code="EOTSS"), 3, dt.date(2026, 1, 5))
    active_seats(contract, AgencyFactory(code="ANF"), 2, dt.date(2026, 3, 3))
    return contract


def test_billing_close__periods_ended__one_line_each_with_seats_price_and_amount(contract):
    # When periods are closed as of 10 March (January and February have ended)
    lines = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))

    # Then two accrued lines: 3 persons x $10 = $30 each, explained in one line
    assert [
        (ln.start, ln.billable_persons, ln.charged_seats, ln.unit_price, ln.amount, ln.status)
        for ln in lines
    ] == [
        (dt.date(2026, 1, 1), 3, 3, D("10"), D("30.00"), "accrued"),
        (dt.date(2026, 2, 1), 3, 3, D("10"), D("30.00"), "accrued"),
    ]
    assert lines[0].explanation == (
        "3 billable persons, charged for 3 × $10.00 each (volume) = $30.00."
    )


def test_billing_close__run_again__writes_only_the_newly_ended_period(contract):
    # Given January and February closed
    billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))

    # When closing again on 2 April (March has ended too) and once more the same day
    new = billing_periods_close(contract=contract, as_of=dt.date(2026, 4, 2))
    again = billing_periods_close(contract=contract, as_of=dt.date(2026, 4, 2))

    # Then March alone is added (5 seats x $10 = $50), and a repeat adds nothing
    assert [(ln.start, ln.amount) for ln in new] == [(dt.date(2026, 3, 1), D("50.00"))]
    assert again == []
    assert BillingPeriod.objects.filter(contract=contract).count() == 3


def test_billing_mark__forward__records_who_and_when(contract):
    # Given an accrued line
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    clerk = UserFactory(username="finance.clerk")

    # When finance marks it invoiced, then paid
    billing_period_mark(line=line, status="invoiced", actor=clerk)
    line = billing_period_mark(line=line, status="paid", actor=clerk)

    # Then it is paid, by that person, with a time
    line.refresh_from_db()
    assert (line.status, line.status_changed_by, line.status_changed_at is not None) == (
        "paid",
        clerk,
        True,
    )


def test_billing_mark__backwards__refused_with_the_current_status(contract):
    # Given a paid line
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    billing_period_mark(line=line, status="paid", actor=None)

    # When someone tries to set it back to invoiced; then it is refused and stays paid
    with pytest.raises(BusinessRuleError) as refusal:
        billing_period_mark(line=line, status="invoiced", actor=None)
    assert refusal.value.code == "invalid_transition"
    assert "already paid" in refusal.value.detail
    line.refresh_from_db()
    assert line.status == "paid"


def test_billing_mark__each_mark__recorded_as_an_event(contract):
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    clerk = UserFactory(username="finance.clerk")
    billing_period_mark(line=line, status="invoiced", actor=clerk)
    billing_period_mark(line=line, status="paid", actor=clerk)
    billing_period_mark(line=line, status="paid", actor=clerk)  # again: nothing to record
    assert [(e.from_status, e.to_status, e.actor) for e in line.events.all()] == [
        ("accrued", "invoiced", clerk),
        ("invoiced", "paid", clerk),
    ]


def test_billing_undo__paid_today__back_to_invoiced_and_both_recorded(contract):
    # Given a line marked invoiced, then paid by mistake today
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    clerk, lead = UserFactory(username="clerk"), UserFactory(username="lead")
    billing_period_mark(line=line, status="invoiced", actor=clerk)
    billing_period_mark(line=line, status="paid", actor=clerk)

    # When the undo is made with a reason
    line = billing_period_undo_paid(line=line, actor=lead, reason="  Paid the wrong period  ")

    # Then the line is invoiced again, changed by the undoer, and the mark and its undo stay
    line.refresh_from_db()
    assert (line.status, line.status_changed_by) == ("invoiced", lead)
    assert [(e.to_status, e.actor.username, e.reason) for e in line.events.all()] == [
        ("invoiced", "clerk", ""),
        ("paid", "clerk", ""),
        ("invoiced", "lead", "Paid the wrong period"),
    ]


def test_billing_undo__paid_straight_from_accrued__back_to_accrued(contract):
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    billing_period_mark(line=line, status="paid", actor=None)
    line = billing_period_undo_paid(line=line, actor=None, reason="wrong line")
    assert line.status == "accrued"


def test_billing_undo__marked_on_an_earlier_day__refused_too_late(contract):
    # Given a line marked paid two days ago
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    billing_period_mark(line=line, status="paid", actor=None)
    line.events.update(at=timezone.now() - dt.timedelta(days=2))

    # When an undo is tried; then it is refused and the line stays paid
    with pytest.raises(BusinessRuleError) as refusal:
        billing_period_undo_paid(line=line, actor=None, reason="late")
    assert refusal.value.code == "undo_too_late"
    assert "only on the day it was made" in refusal.value.detail
    line.refresh_from_db()
    assert line.status == "paid"


@pytest.mark.parametrize(
    ("marks", "reason", "code"),
    [
        (["invoiced"], "not paid", "invalid_transition"),
        (["paid"], "   ", "reason_required"),
    ],
)
def test_billing_undo__nothing_to_undo_or_no_reason__refused(contract, marks, reason, code):
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    for status in marks:
        billing_period_mark(line=line, status=status, actor=None)
    with pytest.raises(BusinessRuleError) as refusal:
        billing_period_undo_paid(line=line, actor=None, reason=reason)
    assert refusal.value.code == code


def test_billing_undo__paid_without_a_recorded_mark__refused(contract):
    # Given a line set to paid before marks were recorded (no event)
    (line, _) = billing_periods_close(contract=contract, as_of=dt.date(2026, 3, 10))
    BillingPeriod.objects.filter(pk=line.pk).update(status="paid", status_changed_at=timezone.now())
    with pytest.raises(BusinessRuleError) as refusal:
        billing_period_undo_paid(line=line, actor=None, reason="x")
    assert refusal.value.code == "undo_not_allowed"


def test_nightly_task__active_contracts__close_periods_and_snapshot(contract):
    # When the nightly job runs (today is after the demo-style term above)
    nightly_snapshot_task.apply()

    # Then every ended period has a line and a snapshot was written
    assert BillingPeriod.objects.filter(contract=contract).count() == 4
    assert CostSnapshot.objects.filter(contract=contract).count() == 1


def _run(*args) -> str:
    out = io.StringIO()
    call_command("recompute_costs", *args, stdout=out)
    return out.getvalue()


def test_recompute_costs_json__one_object_per_contract__every_key_money_as_strings(contract):
    # Given a second contract
    ContractFactory()

    # When the command prints JSON as of 15 March
    lines = _run("--json", "--as-of", "2026-03-15").splitlines()

    # Then one line per contract, each a complete report
    assert len(lines) == 2
    report = json.loads(lines[0])
    assert set(report) == {
        "contract", "as_of", "billing_basis", "tier_mode", "min_billable_seats",
        "shortfall_allocation", "active_seats", "billable_seats_this_period",
        "billable_persons_this_period", "spend_to_date", "projected_total", "committed_total",
        "floor_amount", "ceiling_amount", "below_floor", "over_ceiling", "headroom_seats",
        "headroom_current_count", "unallocated_to_date", "periods", "by_agency", "tier_cliff",
    }  # fmt: skip
    # Jan 3 x $10 + Feb 3 x $10 + Mar 5 x $10 = $110; April projected at 5 active = $50
    assert (report["spend_to_date"], report["projected_total"]) == ("110.00", "160.00")
    assert report["periods"][2] == {
        "index": 2,
        "start": "2026-03-01",
        "end": "2026-03-31",
        "kind": "actual",
        "billable_seats": 5,
        "billable_persons": 5,
        "charged_seats": 5,
        "unit_price": "10.00",
        "amount": "50.00",
        "allocated": "50.00",
        "unallocated": "0.00",
        "by_agency": [{"agency": "ANF", "amount": "20.00"}, {"agency": "EOTSS", "amount": "30.00"}],
    }
    assert report["by_agency"] == [
        {"agency": "ANF", "amount": "20.00"},
        {"agency": "EOTSS", "amount": "90.00"},
    ]
    # And each run stored a snapshot
    assert CostSnapshot.objects.count() == 2


def test_recompute_costs_table__readable_summary(contract):
    out = _run("--contract", str(contract.pk), "--as-of", "2026-03-15")
    assert "spend to date" in out and "$110.00" in out
    assert "2026-03-01 – 2026-03-31" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "15/03/2026"], "YYYY-MM-DD"),
        (["--contract", "999999"], "No contract with id 999999"),
    ],
)
def test_recompute_costs__bad_arguments__clear_error(contract, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
