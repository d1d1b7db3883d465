"""The seat lifecycle services: every refusal of an activation with its code, one event per
change, the cost recompute queued on commit (and not on rollback), and the bargaining hold."""

import pytest
from django.db import transaction

from agencies.services import bargaining_unit_set_status
from config.errors import BusinessRuleError
from licensing.models import CostSnapshot, Seat, SeatEvent
from licensing.services.seats import (
    seat_activate,
    seat_approve,
    seat_reactivate,
    seat_request,
    seat_revoke,
    seat_suspend,
)
from tests.callbacks import without_outbox
from tests.factories import (
    AgencyFactory,
    BargainingUnitFactory,
    CohortFactory,
    EmployeeFactory,
    WaveFactory,
)
from tests.rollout.builders import contract_with_room, manager, person, running_cohort


@pytest.fixture
def cohort(db):
    return running_cohort(seat_quota=100)


@pytest.fixture
def rollout_manager(db):
    return manager()


def approved_seat(cohort, **employee):
    employee.setdefault("agency", cohort.agency)
    seat = seat_request(
        employee=EmployeeFactory(**employee), contract=cohort.wave.contract, cohort=cohort
    )
    return seat_approve(seat=seat)


def refusal(**kwargs) -> BusinessRuleError:
    with pytest.raises(BusinessRuleError) as refused:
        seat_activate(**kwargs)
    return refused.value


def assert_untouched(seat, status="approved"):
    seat.refresh_from_db()
    assert seat.status == status
    assert seat.events.order_by("at", "id").last().to_status == status


# --- every refusal code of seat_activate ------------------------------------------------------


def test_seat_activate__employee_on_leave__employee_inactive(cohort):
    # Given an approved seat of an employee who has since gone on leave
    seat = approved_seat(cohort)
    type(seat.employee).objects.filter(pk=seat.employee_id).update(employment_status="leave")

    # When it is activated, it is refused
    assert refusal(seat=seat).code == "employee_inactive"
    assert_untouched(seat)


def test_seat_activate__untrained__not_ready(cohort):
    # Given an employee without the AI training, under a contract that requires it
    seat = approved_seat(cohort, training_completed_on=None)

    # Then activation is refused, naming what is missing
    refused = refusal(seat=seat)
    assert refused.code == "not_ready"
    assert "AI training" in refused.detail
    assert_untouched(seat)


@pytest.mark.parametrize("status", ["planned", "approved", "paused", "completed", "cancelled"])
def test_seat_activate__wave_not_in_progress__wave_not_started(db, status):
    # Given a seat in a cohort whose wave is not running
    cohort = CohortFactory(wave=WaveFactory(status=status))
    seat = approved_seat(cohort)

    # Then it is refused
    refused = refusal(seat=seat)
    assert refused.code == "wave_not_started"
    assert refused.context["wave_status"] == status
    assert_untouched(seat)


def test_seat_activate__agency_in_no_wave__wave_not_started(db):
    # Given a seat with no cohort, for an agency scheduled in no wave
    cohort = running_cohort()
    seat = seat_request(
        employee=EmployeeFactory(agency=AgencyFactory(code="UNSCHEDULED")),
        contract=cohort.wave.contract,
    )

    # Then it is refused
    assert refusal(seat=seat).code == "wave_not_started"


def test_seat_activate__quota_used__quota_full(db):
    # Given a cohort with a quota of 1, already used
    cohort = running_cohort(seat_quota=1)
    seat_activate(seat=approved_seat(cohort))
    second = approved_seat(cohort)

    # Then the second activation is refused
    refused = refusal(seat=second)
    assert refused.code == "quota_full"
    assert refused.context["seat_quota"] == 1
    assert_untouched(second)


def test_seat_activate__unit_bargaining__held_for_bargaining(cohort):
    # Given a member of a unit that is bargaining, whose seat is held
    unit = BargainingUnitFactory(bargaining_status="bargaining")
    seat = seat_request(
        employee=EmployeeFactory(agency=cohort.agency, bargaining_unit=unit),
        contract=cohort.wave.contract,
        cohort=cohort,
    )
    assert seat.status == "held"

    # Then activation without an override is refused
    assert refusal(seat=seat).code == "held_for_bargaining"
    assert_untouched(seat, "held")


def test_seat_activate__ceiling_leaves_no_room__ceiling_reached(db):
    # Given a contract whose ceiling leaves room for exactly one seat
    cohort = running_cohort(contract=contract_with_room(1), seat_quota=100)
    first, second = approved_seat(cohort), approved_seat(cohort)
    seat_activate(seat=first)

    # Then the second activation would cross the ceiling and is refused
    refused = refusal(seat=second)
    assert refused.code == "ceiling_reached"
    assert refused.context["headroom_seats"] == 0
    assert_untouched(second)


@pytest.mark.parametrize("status", ["active", "revoked"])
def test_seat_activate__active_or_revoked__invalid_transition(cohort, status):
    # Given an active seat, or a revoked one
    seat = seat_activate(seat=approved_seat(cohort))
    if status == "revoked":
        seat_revoke(seat=seat, reason="left")

    # Then activating it is refused, naming its state
    refused = refusal(seat=seat)
    assert refused.code == "invalid_transition"
    assert refused.context["current_status"] == status


def test_seat_activate__override_by_non_manager__override_not_allowed(cohort):
    seat = approved_seat(cohort)
    refused = refusal(
        seat=seat, actor=person("coord", "agency_coordinator"), override=True, reason="urgent"
    )
    assert refused.code == "override_not_allowed"
    assert_untouched(seat)


def test_seat_activate__override_by_job__override_not_allowed(cohort):
    assert refusal(seat=approved_seat(cohort), override=True, reason="x").code == (
        "override_not_allowed"
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_seat_activate__override_without_reason__reason_required(cohort, rollout_manager, reason):
    seat = approved_seat(cohort)
    refused = refusal(seat=seat, actor=rollout_manager, override=True, reason=reason)
    assert refused.code == "reason_required"
    assert_untouched(seat)


# --- events -----------------------------------------------------------------------------------


def test_seat_lifecycle__each_change__exactly_one_event_with_actor_and_reason(
    cohort, rollout_manager
):
    # Given an employee
    employee = EmployeeFactory(agency=cohort.agency)
    contract = cohort.wave.contract

    # When their seat goes through every step, each by the manager with its own reason
    steps = [
        (
            "requested",
            lambda s, why: seat_request(
                employee=employee,
                contract=contract,
                cohort=cohort,
                actor=rollout_manager,
                reason=why,
            ),
        ),
        ("approved", lambda s, why: seat_approve(seat=s, actor=rollout_manager, reason=why)),
        ("active", lambda s, why: seat_activate(seat=s, actor=rollout_manager, reason=why)),
        ("suspended", lambda s, why: seat_suspend(seat=s, actor=rollout_manager, reason=why)),
        ("active", lambda s, why: seat_reactivate(seat=s, actor=rollout_manager, reason=why)),
        ("revoked", lambda s, why: seat_revoke(seat=s, actor=rollout_manager, reason=why)),
    ]
    seat, previous = None, ""
    for n, (status, step) in enumerate(steps):
        before = SeatEvent.objects.count()
        seat = step(seat, f"step {n}")

        # Then each change writes exactly one event, with who, why, from and to
        assert SeatEvent.objects.count() == before + 1
        event = seat.events.order_by("at", "id").last()
        assert (event.from_status, event.to_status) == (previous, status)
        assert (event.actor, event.reason) == (rollout_manager, f"step {n}")
        # And the seat's status is its latest event's
        assert Seat.objects.get(pk=seat.pk).status == event.to_status
        previous = status


def test_seat_activate__refused__writes_no_event(cohort):
    seat = approved_seat(cohort, training_completed_on=None)
    before = SeatEvent.objects.count()
    refusal(seat=seat)
    assert SeatEvent.objects.count() == before


# --- cost recompute on commit -----------------------------------------------------------------


def test_seat_activate__committed__queues_one_recompute(cohort, django_capture_on_commit_callbacks):
    # Given an approved seat
    seat = approved_seat(cohort)

    # When it is activated and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seat_activate(seat=seat)

    # Then one recompute was queued, and (eagerly) it wrote a snapshot counting the seat
    assert len(without_outbox(callbacks)) == 1
    snapshot = CostSnapshot.objects.get(contract=cohort.wave.contract)
    assert snapshot.active_seats == 1


def test_seat_activate__rolled_back__queues_nothing_writes_nothing(
    cohort, django_capture_on_commit_callbacks
):
    # Given an approved seat
    seat = approved_seat(cohort)
    events = SeatEvent.objects.count()

    # When it is activated inside a transaction that then fails
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        seat_activate(seat=seat)
        raise RuntimeError("the caller's next step failed")

    # Then no recompute was queued, no snapshot written, and the seat is as it was
    assert callbacks == []
    assert not CostSnapshot.objects.exists()
    assert SeatEvent.objects.count() == events
    assert_untouched(seat)


# --- the bargaining hold: held, override, agreement -------------------------------------------


def test_nage_member__held_then_override_then_agreement(cohort, rollout_manager):
    # Given two NAGE members with seats requested before the union demanded to bargain
    nage = BargainingUnitFactory(code="NAGE-U1", union="NAGE")
    contract = cohort.wave.contract
    urgent, other = (
        seat_request(
            employee=EmployeeFactory(agency=cohort.agency, bargaining_unit=nage),
            contract=contract,
            cohort=cohort,
        )
        for _ in range(2)
    )

    # When NAGE files a demand to bargain, both seats are held
    bargaining_unit_set_status(unit=nage, status="demand_filed", actor=rollout_manager)
    urgent.refresh_from_db()
    other.refresh_from_db()
    assert (urgent.status, other.status) == ("held", "held")

    # Then activating a held seat needs an override ...
    assert refusal(seat=urgent).code == "held_for_bargaining"
    # ... by a rollout manager ...
    assert (
        refusal(seat=urgent, actor=person("fin", "finance"), override=True, reason="x").code
        == "override_not_allowed"
    )
    # ... with a reason
    assert refusal(seat=urgent, actor=rollout_manager, override=True).code == "reason_required"

    # When a rollout manager overrides with a reason, the seat is active and the event says so
    seat_activate(
        seat=urgent, actor=rollout_manager, override=True, reason="Public-health emergency team"
    )
    urgent.refresh_from_db()
    assert urgent.status == "active"
    event = urgent.events.order_by("at", "id").last()
    assert (event.from_status, event.to_status, event.actor) == ("held", "active", rollout_manager)
    assert event.reason == "Override of bargaining hold: Public-health emergency team"

    # When NAGE and the employer reach agreement
    bargaining_unit_set_status(unit=nage, status="agreement", actor=rollout_manager)

    # Then the other held seat is requested again and can be activated normally
    other.refresh_from_db()
    assert other.status == "requested"
    assert other.events.order_by("at", "id").last().from_status == "held"
    assert seat_activate(seat=other).status == "active"
    # And the overridden seat stayed active throughout
    urgent.refresh_from_db()
    assert urgent.status == "active"
