"""Cohort-activation jobs and the broker (rollout/services/jobs.py): a job that cannot be queued
says so instead of sitting `queued` for ever, and beat's sweeper queues again the jobs the broker
lost or a dead worker left, giving up after a few tries."""

import datetime as dt

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from core.models import Job
from licensing.models import Seat
from rollout.services import cohort_activation_enqueue, jobs_requeue_stalled
from rollout.services.jobs import MAX_REQUEUES
from rollout.tasks import activate_cohort_task, requeue_stalled_jobs_task
from tests.factories import EmployeeFactory
from tests.rollout.builders import running_cohort

NOW = timezone.now()


@pytest.fixture
def cohort(db):
    """A running cohort with room for its three trained employees."""
    cohort = running_cohort(seat_quota=10)
    EmployeeFactory.create_batch(3, agency=cohort.agency)
    return cohort


@pytest.fixture
def broker_down(monkeypatch):
    def unreachable(*args, **kwargs):
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(activate_cohort_task, "delay", unreachable)


@pytest.fixture
def sent(monkeypatch):
    """What reaches the broker, without running it."""
    messages = []
    monkeypatch.setattr(
        activate_cohort_task, "delay", lambda *args, **kwargs: messages.append((args, kwargs))
    )
    return messages


def _job(cohort, status="queued", *, queued=None, started=None, requeued=0):
    return Job.objects.create(
        kind="cohort_activation",
        cohort=cohort,
        status=status,
        queued_at=queued or NOW,
        started_at=started,
        requeued=requeued,
    )


def test_enqueue__broker_unreachable__job_failed_with_the_reason_and_error_raised(
    cohort, rollout_manager, broker_down, django_capture_on_commit_callbacks
):
    # When a manager asks for the activation while the broker is down
    with pytest.raises(BrokerUnreachable), django_capture_on_commit_callbacks(execute=True):
        cohort_activation_enqueue(cohort=cohort, actor=rollout_manager)

    # Then the job row says it failed and why, instead of staying queued
    job = Job.objects.get()
    assert job.status == "failed" and job.finished_at is not None
    assert job.errors[0]["code"] == "broker_unreachable"
    assert not Seat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_api_activate__broker_unreachable__503_in_the_error_shape(
    cohort, rollout_manager, broker_down, client
):
    # Given no test transaction around the request, so the job is queued as it commits, as in
    # production; when a manager asks for the activation while the broker is down
    client.force_login(rollout_manager)
    response = client.post(
        f"/api/v1/cohorts/{cohort.pk}/activate/", "{}", content_type="application/json"
    )

    # Then the answer is a 503 to retry, and the job row tells the same story
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert Job.objects.get().errors[0]["code"] == "broker_unreachable"


def test_sweeper__lost_and_dead_jobs__queued_again_live_ones_left(cohort, sent):
    # Given jobs queued 11 and 2 minutes ago, and running since 40 and 10 minutes ago
    lost = _job(cohort, queued=NOW - dt.timedelta(minutes=11))
    _job(cohort, queued=NOW - dt.timedelta(minutes=2))
    dead = _job(cohort, "running", started=NOW - dt.timedelta(minutes=40))
    _job(cohort, "running", started=NOW - dt.timedelta(minutes=10))

    # When the sweeper runs
    assert jobs_requeue_stalled(now=NOW) == [lost.pk, dead.pk]

    # Then the lost and the dead one are queued again, counted, with their clock restarted
    assert [args for args, _ in sent] == [(cohort.pk,), (cohort.pk,)]
    for job in (lost, dead):
        job.refresh_from_db()
        assert (job.status, job.requeued, job.queued_at) == ("queued", 1, NOW)


def test_sweeper__stalled_too_often__failed_not_queued(cohort, sent):
    job = _job(cohort, queued=NOW - dt.timedelta(hours=1), requeued=MAX_REQUEUES)
    assert jobs_requeue_stalled(now=NOW) == []
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.errors[0]["code"] == "stalled"
    assert sent == []


def test_sweeper__broker_still_down__jobs_stay_queued_for_the_next_sweep(cohort, broker_down):
    job = _job(cohort, queued=NOW - dt.timedelta(minutes=30))
    assert jobs_requeue_stalled(now=NOW) == []
    job.refresh_from_db()
    assert (job.status, job.requeued) == ("queued", 1)


def test_sweeper_task__lost_message__the_cohort_gets_its_seats(cohort):
    # Given a job whose message the broker lost 20 minutes ago (Redis restarted, say)
    job = _job(cohort, queued=timezone.now() - dt.timedelta(minutes=20))

    # When beat's sweeper runs (tasks run in-process in this suite)
    requeue_stalled_jobs_task()

    # Then the job ran: three seats active, the job succeeded after one retry
    job.refresh_from_db()
    assert (job.status, job.requeued) == ("succeeded", 1)
    assert Seat.objects.filter(cohort=cohort, status="active").count() == 3


def test_activate_task__job_already_ended__second_message_changes_nothing(cohort):
    # Given a job that succeeded, and a late duplicate of its message
    job = _job(cohort)
    activate_cohort_task(cohort.pk, job_id=job.pk)
    job.refresh_from_db()
    finished_at = job.finished_at
    EmployeeFactory(agency=cohort.agency)  # someone new, who a rerun would activate

    # When the duplicate runs
    assert activate_cohort_task(cohort.pk, job_id=job.pk) == job.pk

    # Then the record stands and nobody else was activated
    job.refresh_from_db()
    assert (job.status, job.finished_at) == ("succeeded", finished_at)
    assert Seat.objects.filter(cohort=cohort, status="active").count() == 3
