"""Idle-seat reclamation: who is suspended, who is spared, who is revoked, and the saving."""

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Job
from licensing.models import Seat, SeatEvent
from rollout.services import seats_reclaim_idle
from rollout.tasks import reclaim_idle_seats_task
from tests.factories import AgencyFactory, CohortFactory, ContractFactory, WaveFactory
from tests.licensing.history import at, seat_with_history

AS_OF = dt.date(2026, 11, 15)  # idle_days 30: last seen on 16 Oct or before is idle


@pytest.fixture
def contract(db):
    """$10 a seat a month, no billable minimum, the default policy (30 idle days, 60 days'
    grace)."""
    return ContractFactory(min_billable_seats=0, tiers=[(1, None, "10")])


@pytest.fixture
def dot(db):
    return AgencyFactory(code="DOT")


def seat(contract, agency, *, activated, last_active=None, status="active", cohort=None, **emp):
    """A seat activated on `activated` (and, unless active, moved to `status` the day after),
    last used on `last_active`."""
    later = activated + dt.timedelta(days=1)
    steps = [(activated, "active")] + ([] if status == "active" else [(later, status)])
    s = seat_with_history(contract, agency, steps, cohort=cohort)
    Seat.objects.filter(pk=s.pk).update(
        activated_at=at(activated), last_active_at=at(last_active) if last_active else None
    )
    if emp:
        type(s.employee).objects.filter(pk=s.employee_id).update(**emp)
    return s


@pytest.fixture
def seats(contract, dot):
    """Six active seats and one suspended, as of 15 November:"""
    old_wave = CohortFactory(
        wave=WaveFactory(contract=contract), agency=dot, onboarding_date=dt.date(2026, 9, 16)
    )
    new_wave = CohortFactory(
        wave=WaveFactory(contract=contract),
        agency=AgencyFactory(code="DOR"),
        onboarding_date=dt.date(2026, 9, 17),
    )
    d = dt.date
    return {
        # last used 16 Oct: 30 days idle -> suspended
        "idle": seat(contract, dot, activated=d(2026, 8, 1), last_active=d(2026, 10, 16)),
        # last used 17 Oct: 29 days -> kept
        "recent": seat(contract, dot, activated=d(2026, 8, 1), last_active=d(2026, 10, 17)),
        # never used since activation on 1 Sep, cohort onboarded 16 Sep (60 days before: no
        # longer in grace) -> suspended
        "never_used": seat(contract, dot, activated=d(2026, 9, 1), cohort=old_wave),
        # never used, cohort onboarded 17 Sep (59 days before): in grace -> kept
        "in_grace": seat(contract, dot, activated=d(2026, 9, 1), cohort=new_wave),
        # last used in August but reactivated on 10 Nov -> kept
        "reactivated": seat(contract, dot, activated=d(2026, 11, 10), last_active=d(2026, 8, 1)),
        # idle but on leave -> kept
        "on_leave": seat(contract, dot, activated=d(2026, 8, 1), employment_status="leave"),
        # separated: revoked, whatever its status
        "separated": seat(
            contract,
            dot,
            activated=d(2026, 11, 1),
            last_active=d(2026, 11, 14),
            employment_status="separated",
        ),
        "separated_suspended": seat(
            contract,
            dot,
            activated=d(2026, 8, 1),
            status="suspended",
            employment_status="separated",
        ),
        # suspended already -> untouched
        "suspended": seat(contract, dot, activated=d(2026, 8, 1), status="suspended"),
    }


def statuses(seats):
    return {name: Seat.objects.get(pk=s.pk).status for name, s in seats.items()}


def test_seats_reclaim_idle__dry_run__reports_candidates_and_saving_changes_nothing(
    contract, seats
):
    # Given the seats above
    before, events = statuses(seats), SeatEvent.objects.count()

    # When reclamation is dry-run as of 15 November
    result = seats_reclaim_idle(contract=contract, as_of=AS_OF, dry_run=True)

    # Then it names the idle seats and the separated people's seats
    assert {c.seat_id for c in result.suspended} == {seats["idle"].pk, seats["never_used"].pk}
    assert {c.seat_id for c in result.revoked} == {
        seats["separated"].pk,
        seats["separated_suspended"].pk,
    }
    # And the saving: 7 active seats ($70 a month) down to 4 ($40)
    assert (result.active_before, result.active_after) == (7, 4)
    assert (result.charge_before, result.charge_after) == (D("70.00"), D("40.00"))
    assert result.monthly_saving == D("30.00")
    # And nothing changed
    assert statuses(seats) == before
    assert SeatEvent.objects.count() == events
    job = Job.objects.get(pk=result.job_id)
    assert (job.kind, job.dry_run, job.status) == ("reclaim", True, "succeeded")


def test_seats_reclaim_idle__real_run__suspends_idle_revokes_separated_spares_the_rest(
    contract, seats, rollout_manager
):
    # When reclamation runs as of 15 November
    result = seats_reclaim_idle(contract=contract, as_of=AS_OF, actor=rollout_manager)

    # Then exactly the idle seats are suspended and the separated people's seats revoked
    assert statuses(seats) == {
        "idle": "suspended",
        "recent": "active",
        "never_used": "suspended",
        "in_grace": "active",
        "reactivated": "active",
        "on_leave": "active",
        "separated": "revoked",
        "separated_suspended": "revoked",
        "suspended": "suspended",
    }
    # And each change is one event with its reason, actor and job
    events = SeatEvent.objects.filter(job_id=result.job_id).order_by("seat_id")
    assert sorted((e.seat_id, e.from_status, e.to_status, e.reason) for e in events) == sorted(
        [
            (seats["idle"].pk, "active", "suspended", "No activity for 30 days"),
            (seats["never_used"].pk, "active", "suspended", "No activity for 30 days"),
            (seats["separated"].pk, "active", "revoked", "Employee separated"),
            (seats["separated_suspended"].pk, "suspended", "revoked", "Employee separated"),
        ]
    )
    assert {e.actor for e in events} == {rollout_manager}
    # And every seat's status is its latest event's
    for s in Seat.objects.all():
        assert s.status == s.events.order_by("at", "id").last().to_status
    assert Seat.objects.get(pk=seats["separated"].pk).ended_at is not None
    assert result.monthly_saving == D("30.00")


def test_seats_reclaim_idle__rerun__changes_nothing_more(contract, seats):
    # Given a run
    seats_reclaim_idle(contract=contract, as_of=AS_OF)
    events = SeatEvent.objects.count()

    # When it runs again, nothing is left to reclaim
    result = seats_reclaim_idle(contract=contract, as_of=AS_OF)
    assert (result.suspended, result.revoked) == ([], [])
    assert SeatEvent.objects.count() == events


def test_seats_reclaim_idle__volume_tier_cliff__saving_can_be_negative(dot):
    # Given volume tiers of $10 for 1–3 seats and $5 from 4: four active seats cost $20, three
    # cost $30
    contract = ContractFactory(min_billable_seats=0, tiers=[(1, 3, "10"), (4, None, "5")])
    for last in (dt.date(2026, 8, 1), AS_OF, AS_OF, AS_OF):
        seat(contract, dot, activated=dt.date(2026, 7, 1), last_active=last)

    # When the one idle seat would be reclaimed
    result = seats_reclaim_idle(contract=contract, as_of=AS_OF, dry_run=True)

    # Then the report says the bill would go up, not down
    assert result.monthly_saving == D("-10.00")


def test_reclaim_idle_seats_task__every_active_contract__one_job_each(contract, seats):
    # Given a second, inactive contract
    ContractFactory(is_active=False)

    # When beat runs the task (eagerly here)
    assert reclaim_idle_seats_task() == 1

    # Then the active contract was reclaimed, as of today, on a job row of its own
    job = Job.objects.get(kind="reclaim")
    assert (job.status, job.dry_run) == ("succeeded", False)
    assert Seat.objects.get(pk=seats["separated"].pk).status == "revoked"


def test_reclaim_idle_seats_command__dry_run__prints_the_candidates(contract, seats):
    out = StringIO()
    call_command(
        "reclaim_idle_seats",
        f"--contract={contract.pk}",
        "--dry-run",
        "--as-of=2026-11-15",
        stdout=out,
    )
    text = out.getvalue()
    assert "would suspend: 2 idle seat(s)" in text
    assert "would revoke: 2 seat(s) of separated people" in text
    assert "No activity for 30 days" in text
    assert "monthly charge $70.00 -> $40.00 (saving $30.00)" in text
    assert Seat.objects.get(pk=seats["idle"].pk).status == "active"
