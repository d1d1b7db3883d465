"""The cost job: queued on commit by every seat change, coalesced in bursts, idempotent, and its
snapshot always equal to a from-scratch recomputation."""

import datetime as dt
import time
from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings

from licensing.models import CostSnapshot, Seat
from licensing.services import scheduling
from licensing.services.cost import contract_cost_report, today
from licensing.services.seats import (
    seat_activate,
    seat_approve,
    seat_request,
    seat_revoke,
    seat_suspend,
)
from licensing.tasks import recompute_all_contracts_task, recompute_contract_cost_task
from tests.callbacks import outbox_dispatches, without_outbox
from tests.factories import CohortFactory, ContractFactory, EmployeeFactory, WaveFactory


@pytest.fixture
def running_cohort(db):
    """An in-progress wave of the demo contract with one cohort of quota 50."""
    wave = WaveFactory(
        contract=ContractFactory(start_date=today() - dt.timedelta(days=40)),
        status="in_progress",
        planned_start=today() - dt.timedelta(days=40),
        planned_end=today() + dt.timedelta(days=40),
    )
    return CohortFactory(wave=wave, seat_quota=50)


def _requested(cohort, n):
    contract = cohort.wave.contract
    return [
        seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)
        for _ in range(n)
    ]


def test_seat_change__each_service_call__queues_one_recompute_on_commit(
    running_cohort, django_capture_on_commit_callbacks
):
    # Given a requested seat
    (seat,) = _requested(running_cohort, 1)

    # When it is approved, activated and suspended
    with django_capture_on_commit_callbacks() as callbacks:
        seat_approve(seat=seat)
        seat_activate(seat=seat)
        seat_suspend(seat=seat, reason="idle")

    # Then each change asked for exactly one recompute, to run after its commit
    assert len(without_outbox(callbacks)) == 3
    # and one outbox dispatch each, for the seat.status_changed event it wrote
    assert len(outbox_dispatches(callbacks)) == 3
    assert CostSnapshot.objects.count() == 0


def test_seat_activation__commit__writes_a_snapshot_equal_to_recomputation(
    running_cohort, django_capture_on_commit_callbacks
):
    # Given three requested seats
    seats = _requested(running_cohort, 3)

    # When they are activated and the transactions commit (eager Celery runs the job inline)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for seat in seats:
            seat_activate(seat=seat, reason="onboarding")

    # Then each commit queued the recompute and the stored snapshot shows the three seats
    assert len(without_outbox(callbacks)) == 3
    snapshot = CostSnapshot.objects.latest()
    assert snapshot.active_seats == 3
    contract = running_cohort.wave.contract
    assert snapshot.report == contract_cost_report(contract=contract).as_json()


def test_seat_activation__rolled_back__queues_nothing_and_writes_nothing(
    running_cohort, django_capture_on_commit_callbacks
):
    # Given a requested seat
    (seat,) = _requested(running_cohort, 1)

    # When an activation's transaction rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        seat_activate(seat=seat)
        raise RuntimeError("the caller failed after activating")

    # Then no recompute was queued, no snapshot written, and the seat is still requested
    assert callbacks == []
    assert CostSnapshot.objects.count() == 0
    seat.refresh_from_db()
    assert seat.status == "requested"


def test_snapshot__after_any_sequence_of_events__equals_from_scratch_recomputation(
    running_cohort, django_capture_on_commit_callbacks
):
    # Given seats that are activated, suspended, reactivated and revoked in turn
    a, b, c, d = _requested(running_cohort, 4)
    contract = running_cohort.wave.contract
    with django_capture_on_commit_callbacks(execute=True):
        for seat in (a, b, c):
            seat_activate(seat=seat)
        seat_suspend(seat=b, reason="idle")
        seat_revoke(seat=c, reason="separated")
        seat_activate(seat=Seat.objects.get(pk=b.pk), reason="back")
        seat_revoke(seat=d)

    # Then the latest snapshot equals a recomputation from the event history
    snapshot = CostSnapshot.objects.latest()
    assert snapshot.report == contract_cost_report(contract=contract).as_json()
    assert snapshot.active_seats == 2  # a and b


def test_recompute_task__run_twice__same_figures(running_cohort):
    # Given an active seat
    (seat,) = _requested(running_cohort, 1)
    seat_activate(seat=seat)
    contract = running_cohort.wave.contract

    # When the job runs twice (a repeated message)
    first = recompute_contract_cost_task.apply(args=[contract.pk]).get()
    second = recompute_contract_cost_task.apply(args=[contract.pk]).get()

    # Then two snapshots exist with identical figures: a repeat never doubles money
    a, b = CostSnapshot.objects.get(pk=first), CostSnapshot.objects.get(pk=second)
    assert a.report == b.report
    assert a.spend_to_date == b.spend_to_date


def test_recompute_all__every_active_contract__gets_a_snapshot(running_cohort):
    # Given two contracts, one inactive
    ContractFactory(is_active=False)

    # When beat's safety net runs
    count = recompute_all_contracts_task.apply().get()

    # Then only the active contract was recomputed
    assert count == 1
    assert CostSnapshot.objects.get().contract == running_cohort.wave.contract


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, COST_RECOMPUTE_DELAY=2)
def test_schedule__burst_of_1000_changes__queues_one_job(running_cohort):
    # Given a broker (the queue itself is replaced by a recorder: this test is about the
    # debounce; test_cost_worker.py proves it against Redis and a real worker)
    contract_id = running_cohort.wave.contract_id
    with mock.patch.object(recompute_contract_cost_task, "apply_async") as queue:
        # When 1,000 changes commit in a burst
        for _ in range(1000):
            scheduling._schedule(contract_id)

        # Then a single delayed job is queued
        assert queue.call_count == 1
        assert queue.call_args.kwargs["countdown"] == 2

        # And when that job runs while the burst is still going, it re-queues itself instead
        # of computing, and computes once the burst has been quiet for the delay
        assert scheduling.cost_recompute_should_wait(contract_id=contract_id) is True
        assert queue.call_count == 2
        with mock.patch.object(scheduling.time, "time", return_value=time.time() + 3):
            assert scheduling.cost_recompute_should_wait(contract_id=contract_id) is False

        # And a change after that queues a fresh job
        scheduling._schedule(contract_id)
        assert queue.call_count == 3


def test_recompute_task__eager_with_another_process_burst_marker__computes_once(running_cohort):
    # Given a burst's markers left in the shared cache by a process that has a broker
    contract_id = running_cohort.wave.contract_id
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False),
        mock.patch.object(recompute_contract_cost_task, "apply_async"),
    ):
        scheduling._schedule(contract_id)

    # When this (eager) process runs the recompute while those markers are fresh
    snapshot_id = recompute_contract_cost_task.apply(args=[contract_id]).get()

    # Then it computes at once instead of re-queueing itself inline without end
    assert CostSnapshot.objects.filter(pk=snapshot_id).exists()
