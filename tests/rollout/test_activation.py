"""The cohort activation job: who it activates, who it blocks and why, dry run against real
run, reruns, batches and progress, the task and the command."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from config.errors import BusinessRuleError
from core.models import Job
from licensing.models import Seat, SeatEvent
from licensing.services.seats import seat_activate, seat_request, seat_suspend
from rollout.services import activation, cohort_activate, cohort_activation_enqueue
from rollout.tasks import activate_cohort_task
from tests.callbacks import without_outbox
from tests.factories import AgencyFactory, BargainingUnitFactory, EmployeeFactory
from tests.rollout.builders import person, running_cohort


@pytest.fixture
def eohhs(db):
    """EOHHS in a running wave with a quota of 4 and this roster, by employee number:
    100 already active (uses one seat of the quota) | 101–105 trained | 106 untrained |
    107 on leave | 108 in a unit that is bargaining | 109 with a suspended seat | 110 separated.
    So 3 seats are left, and 101, 102, 103 get them."""
    cohort = running_cohort(agency=AgencyFactory(code="EOHHS"), seat_quota=4)
    contract = cohort.wave.contract
    agency = cohort.agency

    def emp(n, **kwargs):
        return EmployeeFactory(employee_number=str(n), agency=agency, **kwargs)

    active = emp(100)
    seat_activate(seat=seat_request(employee=active, contract=contract, cohort=cohort))
    for n in range(101, 106):
        emp(n)
    emp(106, training_completed_on=None)
    emp(107, employment_status="leave")
    emp(108, bargaining_unit=BargainingUnitFactory(bargaining_status="bargaining"))
    idle = emp(109)
    seat = seat_activate(seat=seat_request(employee=idle, contract=contract, cohort=cohort))
    seat_suspend(seat=seat, reason="idle")
    emp(110, employment_status="separated")
    return cohort


def blocked_codes(people):
    return {p["employee_number"]: p["code"] for p in people}


def test_cohort_activate__dry_run__lists_who_and_why_and_writes_no_seat(eohhs):
    # Given EOHHS's roster
    seats, events = Seat.objects.count(), SeatEvent.objects.count()

    # When the activation is dry-run
    job = cohort_activate(cohort=eohhs, dry_run=True)

    # Then the job lists who would be activated, in employee-number order, up to the quota
    assert (job.status, job.dry_run, job.kind) == ("succeeded", True, "cohort_activation")
    out = job.outcome
    assert out["would_activate_employees"] == ["101", "102", "103"]
    assert out["would_activate"] == 3
    # And who is blocked, each with the reason
    assert blocked_codes(out["blocked_employees"]) == {
        "104": "quota_full",
        "105": "quota_full",
        "106": "not_ready",
        "107": "employee_inactive",
        "108": "held_for_bargaining",
        "109": "seat_suspended",
    }
    assert out["blocked_by_reason"] == {
        "employee_inactive": 1,
        "held_for_bargaining": 1,
        "not_ready": 1,
        "quota_full": 2,
        "seat_suspended": 1,
    }
    assert out["already_active"] == 1
    # And nothing was written
    assert (Seat.objects.count(), SeatEvent.objects.count()) == (seats, events)


def test_cohort_activate__real_run__activates_what_the_dry_run_said(eohhs):
    # Given the dry run's answer
    preview = cohort_activate(cohort=eohhs, dry_run=True).outcome

    # When the activation runs for real
    job = cohort_activate(cohort=eohhs)

    # Then exactly the people the dry run named are active now, each with one event of the job
    active = set(
        Seat.objects.filter(cohort=eohhs, status="active").values_list(
            "employee__employee_number", flat=True
        )
    )
    assert active == {"100", *preview["would_activate_employees"]}
    events = SeatEvent.objects.filter(job=job)
    assert events.count() == 3
    assert {e.to_status for e in events} == {"active"}
    assert all(
        e.reason == f"Onboarding of EOHHS in wave {eohhs.wave.number} (job #{job.pk})"
        for e in events
    )
    # And the job counts the blocked per reason and lists them
    assert job.status == "succeeded"
    assert job.outcome["activated"] == 3
    assert job.outcome["blocked_by_reason"] == preview["blocked_by_reason"]
    assert blocked_codes(job.errors) == blocked_codes(preview["blocked_employees"])
    assert job.outcome["blocked_employees"] == job.errors  # everyone, once the job has ended
    assert (job.done, job.total) == (8, 8)
    assert job.started_at <= job.finished_at


def test_cohort_activate__rerun__no_duplicates(eohhs):
    # Given a finished activation
    cohort_activate(cohort=eohhs)
    seats, events = Seat.objects.count(), SeatEvent.objects.count()

    # When it runs again
    job = cohort_activate(cohort=eohhs)

    # Then nothing new is written: everyone eligible is already active, the quota is full
    assert (Seat.objects.count(), SeatEvent.objects.count()) == (seats, events)
    assert job.outcome["activated"] == 0
    assert job.outcome["already_active"] == 4
    assert Seat.objects.filter(cohort=eohhs, status="active").count() == 4


def test_cohort_activate__wave_not_started__refused_and_job_failed(eohhs):
    # Given the wave is paused
    eohhs.wave.status = "paused"
    eohhs.wave.save()

    # When the activation runs
    with pytest.raises(BusinessRuleError) as refused:
        cohort_activate(cohort=eohhs)

    # Then it is refused, and the job row says why
    assert refused.value.code == "wave_not_started"
    job = Job.objects.get(kind="cohort_activation")
    assert job.status == "failed"
    assert job.errors[0]["code"] == "wave_not_started"
    assert job.finished_at is not None


def test_cohort_activate__dry_run_before_the_wave_starts__previews_with_a_warning(eohhs):
    # Given the wave is only approved
    eohhs.wave.status = "approved"
    eohhs.wave.save()

    # When dry-run, the preview is still given, with a warning
    job = cohort_activate(cohort=eohhs, dry_run=True)
    assert job.status == "succeeded"
    assert job.outcome["would_activate"] == 3
    assert "is approved" in job.outcome["warnings"][0]


def test_cohort_activate__several_batches__progress_reported_after_each(eohhs, monkeypatch):
    # Given batches of 3 people
    monkeypatch.setattr(activation, "BATCH_SIZE", 3)
    calls = []

    # When the activation runs
    job = cohort_activate(cohort=eohhs, progress=lambda done, total: calls.append((done, total)))

    # Then progress is reported after each batch, and the result is the same as in one batch
    assert calls == [(3, 8), (6, 8), (8, 8)]
    assert job.outcome["activated"] == 3
    assert Seat.objects.filter(cohort=eohhs, status="active").count() == 4


def test_cohort_activate__queries__grow_by_batch_not_by_person(db, monkeypatch):
    # Given batches of 10, and three cohorts of 10, 20 and 40 trained people
    monkeypatch.setattr(activation, "BATCH_SIZE", 10)
    counts = []
    for n in (10, 20, 40):
        cohort = running_cohort(seat_quota=100)
        EmployeeFactory.create_batch(n, agency=cohort.agency)
        with CaptureQueriesContext(connection) as queries:
            cohort_activate(cohort=cohort)
        counts.append(len(queries))

    # Then each extra batch costs the same, whatever the people in it
    per_batch = counts[1] - counts[0]
    assert counts[2] - counts[1] == 2 * per_batch
    assert Seat.objects.filter(status="active").count() == 70


def test_cohort_activate__a_seat_requested_meanwhile__batch_retried(eohhs, monkeypatch):
    # Given the first attempt at a batch collides with a seat requested at the same moment
    real = activation.seats_activate_bulk
    attempts = []

    def flaky(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise IntegrityError("licensing_seat_one_open_per_employee")
        return real(**kwargs)

    monkeypatch.setattr(activation, "seats_activate_bulk", flaky)

    # When the activation runs, the batch is tried again and succeeds
    job = cohort_activate(cohort=eohhs)
    assert len(attempts) == 2
    assert job.outcome["activated"] == 3


def test_activate_cohort_task__with_a_job_row__runs_it_and_returns_its_id(eohhs):
    # Given a queued job row
    job = Job.objects.create(kind="cohort_activation", cohort=eohhs)

    # When the task runs it
    assert activate_cohort_task(eohhs.pk, job_id=job.pk) == job.pk

    # Then the row holds the outcome
    job.refresh_from_db()
    assert (job.status, job.outcome["activated"]) == ("succeeded", 3)


def test_activate_cohort_task__refused__recorded_not_raised(eohhs):
    # Given a paused wave
    eohhs.wave.status = "paused"
    eohhs.wave.save()
    job = Job.objects.create(kind="cohort_activation", cohort=eohhs)

    # When the task runs, the refusal is on the row and the task does not fail (no retry)
    assert activate_cohort_task(eohhs.pk, job_id=job.pk) == job.pk
    job.refresh_from_db()
    assert job.status == "failed"


def test_cohort_activation_enqueue__manager__task_queued_on_commit(
    eohhs, rollout_manager, django_capture_on_commit_callbacks
):
    # When a rollout manager asks for the activation
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = cohort_activation_enqueue(cohort=eohhs, actor=rollout_manager)

    # Then the job row exists and the task ran once the transaction committed (its one batch
    # asking, in turn, for one cost recompute)
    assert len(without_outbox(callbacks)) == 2
    job.refresh_from_db()
    assert (job.status, job.requested_by) == ("succeeded", rollout_manager)
    assert SeatEvent.objects.filter(job=job, actor=rollout_manager).count() == 3


def test_cohort_activation_enqueue__not_a_manager__refused(eohhs):
    with pytest.raises(BusinessRuleError) as refused:
        cohort_activation_enqueue(cohort=eohhs, actor=person("coord", "agency_coordinator"))
    assert refused.value.code == "role_required"
    assert not Job.objects.exists()


def test_activate_cohort_command__dry_run__prints_the_preview(eohhs):
    out = StringIO()
    call_command("activate_cohort", str(eohhs.pk), "--dry-run", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Dry run for EOHHS" in text
    assert "would activate: 3" in text
    assert "101, 102, 103" in text
    assert "quota_full: 2" in text
    assert "108" in text and "held_for_bargaining" in text
    assert not SeatEvent.objects.filter(job__isnull=False).exists()


def test_activate_cohort_command__real_run__prints_the_summary(eohhs):
    out = StringIO()
    call_command("activate_cohort", str(eohhs.pk), stdout=out, stderr=StringIO())
    assert "activated:      3" in out.getvalue()
    assert "already active: 1" in out.getvalue()


def test_activate_cohort_command__wave_not_started__clear_error(eohhs):
    eohhs.wave.status = "approved"
    eohhs.wave.save()
    with pytest.raises(CommandError, match=r"Refused \(wave_not_started\): Wave \d+ .* approved"):
        call_command("activate_cohort", str(eohhs.pk), stdout=StringIO(), stderr=StringIO())


def test_activate_cohort_command__unknown_cohort__clear_error(db):
    with pytest.raises(CommandError, match="There is no cohort 999999"):
        call_command("activate_cohort", "999999", stdout=StringIO(), stderr=StringIO())


def test_cohort_activate__more_blocked_than_the_sample__final_outcome_lists_everyone(
    eohhs, monkeypatch
):
    # Given a job row that keeps only two blocked people in `errors`
    monkeypatch.setattr(activation, "SAMPLE_SIZE", 2)

    # When the activation runs
    job = cohort_activate(cohort=eohhs)

    # Then `errors` holds the first two, and the outcome everyone blocked, to download
    assert len(job.errors) == 2
    assert job.outcome["blocked"] == 6
    listed = [p["employee_number"] for p in job.outcome["blocked_employees"]]
    assert sorted(listed) == ["104", "105", "106", "107", "108", "109"]
