"""A cohort activation whose whole worker was SIGKILLed finishes by itself, promptly and once
(issue 14, item 9): the delivery running a job claims it and keeps a heartbeat; when the
heartbeat goes stale the sweeper (every 15 s) hands the job on, the new delivery finishes it,
and the dead delivery's message, redelivered an hour later, changes nothing."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Job
from licensing.models import Seat, SeatEvent
from rollout.services import JobClaimLost, job_claim, job_heartbeat, jobs_requeue_stalled
from rollout.services.jobs import HEARTBEAT_EVERY, HEARTBEAT_STALE
from rollout.tasks import _activate, activate_cohort_task, requeue_stalled_jobs_task
from tests.factories import EmployeeFactory
from tests.rollout.builders import running_cohort


@pytest.fixture
def cohort(db):
    """A running cohort with room for its five trained employees."""
    cohort = running_cohort(seat_quota=10)
    EmployeeFactory.create_batch(5, agency=cohort.agency)
    return cohort


def _running(cohort, *, claimed_by="dead-delivery", beat_ago: float | None = 31.0) -> Job:
    now = timezone.now()
    return Job.objects.create(
        kind="cohort_activation",
        cohort=cohort,
        status="running",
        started_at=now - dt.timedelta(seconds=60),
        claimed_by=claimed_by,
        heartbeat_at=None if beat_ago is None else now - dt.timedelta(seconds=beat_ago),
    )


def test_recovery__bounds__a_stranded_job_is_handed_on_well_within_two_minutes():
    # The heartbeat goes stale after 30 s and the sweeper runs every 15 s: a dead worker's job
    # is queued again at most 45 s after its last beat (55 s after the kill at worst), leaving
    # the rest of the two minutes for the worker to come back and finish it.
    sweep = settings.CELERY_BEAT_SCHEDULE["requeue-stalled-jobs"]["schedule"]
    assert HEARTBEAT_EVERY + HEARTBEAT_STALE.total_seconds() + sweep <= 60


def test_sweeper__stale_heartbeat__queued_again_with_the_claim_cleared(cohort, monkeypatch):
    sent = []
    monkeypatch.setattr(activate_cohort_task, "delay", lambda *a, **k: sent.append((a, k)))
    stale = _running(cohort, beat_ago=31)
    alive = _running(cohort, claimed_by="live-delivery", beat_ago=3)

    assert jobs_requeue_stalled() == [stale.pk]

    stale.refresh_from_db()
    alive.refresh_from_db()
    assert (stale.status, stale.claimed_by, stale.heartbeat_at, stale.requeued) == (
        "queued",
        "",
        None,
        1,
    )
    assert (alive.status, alive.claimed_by) == ("running", "live-delivery")
    assert sent == [((cohort.pk,), {"job_id": stale.pk, "dry_run": False})]


def test_recovery__whole_worker_killed_mid_job__finishes_by_itself_exactly_once(cohort):
    # Given a job whose worker died after its first batch: two people activated by it, its
    # heartbeat 31 s old, its message still unacknowledged in the broker
    job = _running(cohort)
    people = list(cohort.agency.employees.order_by("employee_number"))
    from licensing.services.seats import seats_activate_bulk

    seats_activate_bulk(cohort=cohort, employees=people[:2], actor=None, job=job, reason="first")

    # When beat's sweeper runs (the queued task runs in-process in this suite)
    requeue_stalled_jobs_task()

    # Then the job finished, every person has exactly one active seat and one activation event
    job.refresh_from_db()
    assert (job.status, job.requeued) == ("succeeded", 1)
    assert job.outcome["activated"] == 3 and job.outcome["already_active"] == 2
    seats = Seat.objects.filter(cohort=cohort)
    assert seats.filter(status="active").count() == 5 == seats.count()
    assert SeatEvent.objects.filter(seat__cohort=cohort, to_status="active").count() == 5

    # And when the dead delivery's own message comes back (after the visibility timeout)
    finished_at = job.finished_at
    activate_cohort_task.apply(args=(cohort.pk,), kwargs={"job_id": job.pk}, task_id="dead")

    # Then nothing changes: the job ended once
    job.refresh_from_db()
    assert (job.status, job.finished_at) == ("succeeded", finished_at)
    assert SeatEvent.objects.filter(seat__cohort=cohort).count() == 5


def test_claim__another_delivery_with_a_fresh_heartbeat__left_alone(cohort):
    # Given a job another delivery runs (heartbeat 2 s old)
    job = _running(cohort, claimed_by="live-delivery", beat_ago=2)

    # When a second message for it arrives
    result = activate_cohort_task.apply(
        args=(cohort.pk,), kwargs={"job_id": job.pk}, task_id="second"
    )

    # Then it does nothing
    assert result.get() == job.pk
    job.refresh_from_db()
    assert (job.status, job.claimed_by) == ("running", "live-delivery")
    assert not Seat.objects.filter(cohort=cohort, status="active").exists()


def test_claim__same_delivery_redelivered__takes_it_back(cohort):
    # A pool process died: the broker hands the same message (same task id) to another one,
    # at once, while the dead process's last heartbeat is still fresh.
    job = _running(cohort, claimed_by="same-task", beat_ago=1)

    assert job_claim(job_id=job.pk, claim="same-task")
    assert not job_claim(job_id=job.pk, claim="other-task")


def test_claim_lost__the_run_stops_without_writing_the_row(cohort):
    # Given a delivery whose claim was handed on while it ran
    job = _running(cohort, claimed_by="frozen", beat_ago=1)
    lost = threading.Event()
    lost.set()

    # When its next batch ends, it stops
    with pytest.raises(JobClaimLost):
        _activate(cohort, job, False, stop=lost)

    # Then the row is not marked failed: it is the new delivery's to finish
    job.refresh_from_db()
    assert job.status == "running" and job.finished_at is None


@pytest.mark.django_db(transaction=True)
def test_heartbeat__while_running__stamped_and_loss_noticed():
    # Given a claimed job and its heartbeat every 50 ms
    cohort = running_cohort(seat_quota=1)
    job = _running(cohort, claimed_by="me", beat_ago=100)
    with job_heartbeat(job_id=job.pk, claim="me", every=0.05) as lost:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.heartbeat_at > timezone.now() - dt.timedelta(seconds=5):
                break
            time.sleep(0.05)
        # Then the heartbeat is fresh, and the loss is noticed once the claim is handed on
        assert job.heartbeat_at > timezone.now() - dt.timedelta(seconds=5)
        Job.objects.filter(pk=job.pk).update(claimed_by="someone-else")
        assert lost.wait(5)
