"""Idle-seat reclamation: who is suspended, who is spared, who is revoked, and the saving."""

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.errors import BusinessRuleError
from config.roles import FINANCE
from core.models import Job
from licensing.models import Seat, SeatEvent
from rollout.services import (
    jobs_requeue_stalled,
    seats_reclaim_enqueue,
    seats_reclaim_idle,
    seats_reclaimable,
)
from rollout.tasks import reclaim_contract_idle_seats_task, reclaim_idle_seats_task
from tests.factories import AgencyFactory, CohortFactory, ContractFactory, WaveFactory
from tests.licensing.history import at, seat_with_history
from tests.rollout.builders import person

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


# --- a chosen subset (the console's selection, the command's --seat) -------------------------


def test_seats_reclaim_idle__chosen_seats__only_those_that_still_qualify(
    contract, seats, rollout_manager
):
    # Given a choice of one idle seat, one seat that is not idle and one separated person's seat
    chosen = [seats["idle"].pk, seats["recent"].pk, seats["separated"].pk]

    # When reclamation runs for those seats only
    result = seats_reclaim_idle(
        contract=contract, as_of=AS_OF, actor=rollout_manager, seat_ids=chosen
    )

    # Then the chosen candidates are reclaimed, the seat that is not idle is left alone, and the
    # candidates nobody chose keep their seats
    now = statuses(seats)
    assert (now["idle"], now["recent"], now["separated"]) == ("suspended", "active", "revoked")
    assert (now["never_used"], now["separated_suspended"]) == ("active", "suspended")
    assert [c.seat_id for c in result.suspended] == [seats["idle"].pk]
    assert [c.seat_id for c in result.revoked] == [seats["separated"].pk]
    # And the saving counts the two active seats freed: 7 to 5 at $10
    assert (result.active_before, result.active_after) == (7, 5)
    assert result.monthly_saving == D("20.00")


def test_seats_reclaimable__report__same_as_dry_run_and_records_nothing(contract, seats):
    jobs, events = Job.objects.count(), SeatEvent.objects.count()

    report = seats_reclaimable(contract=contract, as_of=AS_OF)
    dry = seats_reclaim_idle(contract=contract, as_of=AS_OF, dry_run=True)

    assert report.as_json() == dry.as_json()
    assert Job.objects.count() == jobs + 1  # the dry run's row only
    assert SeatEvent.objects.count() == events


def test_seats_reclaim_enqueue__manager__job_queued_then_runs_the_chosen_seats(
    contract, seats, rollout_manager, django_capture_on_commit_callbacks
):
    # When a rollout manager asks for two seats to be reclaimed, as of 15 November
    with django_capture_on_commit_callbacks(execute=True):
        job = seats_reclaim_enqueue(
            contract=contract,
            actor=rollout_manager,
            seat_ids=[seats["never_used"].pk, seats["separated_suspended"].pk],
            as_of=AS_OF,
        )

    # Then the job ran (eagerly here) on its own row, with the request kept on the record
    job.refresh_from_db()
    assert (job.kind, job.status, job.requested_by, job.done) == (
        "reclaim",
        "succeeded",
        rollout_manager,
        2,
    )
    assert job.outcome["request"]["seat_ids"] == sorted(
        [seats["never_used"].pk, seats["separated_suspended"].pk]
    )
    assert job.outcome["suspended"] == 1 and job.outcome["revoked"] == 1
    assert statuses(seats)["idle"] == "active"
    assert statuses(seats)["never_used"] == "suspended"
    assert SeatEvent.objects.filter(job=job).count() == 2


def test_seats_reclaim_enqueue__not_a_manager__refused(contract, seats):
    finance = person("finance-reclaim", FINANCE)
    with pytest.raises(BusinessRuleError) as refused:
        seats_reclaim_enqueue(contract=contract, actor=finance, seat_ids=[seats["idle"].pk])
    assert refused.value.code == "role_required"
    assert not Job.objects.filter(kind="reclaim").exists()


def test_seats_reclaim_enqueue__nothing_chosen__refused(contract, rollout_manager):
    with pytest.raises(BusinessRuleError) as refused:
        seats_reclaim_enqueue(contract=contract, actor=rollout_manager, seat_ids=[])
    assert refused.value.code == "nothing_chosen"


def test_reclaim_task__job_already_ended__changes_nothing(contract, seats, rollout_manager):
    # Given a console job that already ran
    job = Job.objects.create(
        kind="reclaim",
        status="succeeded",
        outcome={"request": {"contract": contract.pk, "as_of": "2026-11-15", "seat_ids": None}},
    )

    # When a second message for it arrives
    assert reclaim_contract_idle_seats_task(contract.pk, as_of="2026-11-15", job_id=job.pk) == (
        job.pk
    )

    # Then nothing was reclaimed
    assert statuses(seats)["idle"] == "active"


def test_sweeper__lost_reclaim_job__queued_again_with_its_request(contract, seats, monkeypatch):
    # Given a console reclamation whose message the broker lost ten minutes ago
    sent = []
    monkeypatch.setattr(
        reclaim_contract_idle_seats_task, "delay", lambda *a, **kw: sent.append((a, kw))
    )
    lost = Job.objects.create(
        kind="reclaim",
        queued_at=timezone.now() - dt.timedelta(minutes=11),
        outcome={"request": {"contract": contract.pk, "as_of": "2026-11-15", "seat_ids": [1]}},
    )
    # And a beat run that is not the console's (no request): not the sweeper's to repeat
    Job.objects.create(
        kind="reclaim", status="running", started_at=timezone.now() - dt.timedelta(hours=2)
    )

    # When the sweeper runs
    assert jobs_requeue_stalled() == [lost.pk]

    # Then the reclamation went to the broker again, with its contract, day and job
    assert sent == [((contract.pk,), {"as_of": "2026-11-15", "job_id": lost.pk})]


def test_reclaim_idle_seats_command__seat_option__only_those_seats(contract, seats):
    out = StringIO()
    call_command(
        "reclaim_idle_seats",
        f"--contract={contract.pk}",
        f"--seat={seats['idle'].pk}",
        "--as-of=2026-11-15",
        stdout=out,
    )
    assert "suspended: 1 idle seat(s)" in out.getvalue()
    assert "revoked: 0 seat(s)" in out.getvalue()
    assert statuses(seats)["idle"] == "suspended"
    assert statuses(seats)["never_used"] == "active"
