"""Every event type is written by its cause, in the cause's transaction (or, for a refusal that
rolls its transaction back, right after it), scoped to the agencies it concerns, and carries
only the fields the catalogue declares: ids, statuses and figures."""

from __future__ import annotations

import pytest
from django.db import transaction

from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER
from core.models import Event, Job
from licensing.services.seats import seat_activate, seat_request
from notifications.catalog import EVENT_TYPES
from notifications.models import CohortGateState
from notifications.services.gates import cohort_gates_observe
from rollout.choices import SIGNED_GATES
from rollout.services import (
    cohort_activate,
    readiness_reopen,
    readiness_sign_off,
    wave_pause,
    wave_resume,
)
from rollout.services.jobs import jobs_requeue_stalled
from tests.factories import AgencyFactory, CohortFactory, EmployeeFactory, WaveFactory
from tests.imports.conftest import roster
from tests.rollout.builders import contract_with_room, running_cohort, sign_all

from .conftest import person

pytestmark = pytest.mark.django_db


def events(kind):
    return list(Event.objects.filter(type=kind).order_by("id"))


def assert_declared(event):
    """The payload holds only the catalogue's fields for its type."""
    declared = EVENT_TYPES[event.type].fields
    assert set(event.payload) <= set(declared), set(event.payload) - set(declared)


# --- wave.status_changed ---------------------------------------------------------------------


def test_wave_pause_and_resume__each__one_event_scoped_to_its_agencies(roles):
    # Given a running wave with cohorts of two agencies, every gate passing
    boss = person("boss", ROLLOUT_MANAGER)
    cohort = running_cohort()
    other = CohortFactory(wave=cohort.wave, agency=AgencyFactory(), status="onboarding")
    for c in (cohort, other):
        EmployeeFactory(agency=c.agency)
        sign_all(c, boss)

    # When it is paused and resumed, with reasons
    wave_pause(wave=cohort.wave, actor=boss, reason="Incident INC-7 at Jane Doe's desk")
    wave_resume(wave=cohort.wave, actor=boss, reason="fixed")

    # Then two events, in order, scoped to both agencies, with statuses and no reason or name
    told = events("wave.status_changed")
    assert [(e.payload["from_status"], e.payload["to_status"]) for e in told] == [
        ("in_progress", "paused"),
        ("paused", "in_progress"),
    ]
    assert told[0].agency_ids == sorted([cohort.agency_id, other.agency_id])
    assert told[0].payload["wave"] == cohort.wave_id
    assert told[0].payload["by_job"] is False
    assert "Jane" not in str(told[0].payload)
    assert told[0].actor == boss
    assert_declared(told[0])


def test_wave_resume__gates_fail__refused_and_nothing_told(roles):
    boss = person("boss", ROLLOUT_MANAGER)
    wave = WaveFactory(status="paused")
    CohortFactory(wave=wave)

    with pytest.raises(BusinessRuleError):
        wave_resume(wave=wave, actor=boss)

    assert events("wave.status_changed") == []


# --- cohort.gates_passed -------------------------------------------------------------------


@pytest.fixture
def planned_cohort(roles):
    """A planned cohort with two trained employees (training passes); nothing signed."""
    cohort = CohortFactory(wave=WaveFactory(status="planned"))
    EmployeeFactory.create_batch(2, agency=cohort.agency)
    return cohort


def sign(cohort, signer, kind):
    readiness_sign_off(cohort=cohort, kind=kind, actor=signer, evidence="ticket 7")


def test_readiness_sign_off__last_gate__gates_passed_once(planned_cohort):
    boss = person("boss", ROLLOUT_MANAGER)

    # When the four gates are signed off one by one, and the last one signed again
    for kind in SIGNED_GATES:
        sign(planned_cohort, boss, kind)
    sign(planned_cohort, boss, SIGNED_GATES[-1])

    # Then the cohort's gates passed once, told with its figures and scoped to its agency
    (told,) = events("cohort.gates_passed")
    assert told.payload == {
        "cohort": planned_cohort.pk,
        "wave": planned_cohort.wave_id,
        "contract": planned_cohort.wave.contract_id,
        "agency": planned_cohort.agency_id,
        "active_employees": 2,
        "trained_employees": 2,
        "threshold": "0.800",
    }
    assert told.agency_ids == [planned_cohort.agency_id]
    assert_declared(told)


def test_readiness_reopen_then_sign_again__gates_passed_again(planned_cohort):
    boss = person("boss", ROLLOUT_MANAGER)
    for kind in SIGNED_GATES:
        sign(planned_cohort, boss, kind)

    readiness_reopen(
        cohort=planned_cohort, kind="privacy_review", actor=boss, reason="new data flow"
    )
    sign(planned_cohort, boss, "privacy_review")

    assert len(events("cohort.gates_passed")) == 2


def test_roster_import__training_share_reaches_the_threshold__gates_passed(planned_cohort):
    # Given a cohort signed off everywhere, whose agency has 2 trained and 3 untrained people
    boss = person("boss", ROLLOUT_MANAGER)
    untrained = EmployeeFactory.create_batch(
        3, agency=planned_cohort.agency, training_completed_on=None
    )
    for kind in SIGNED_GATES:
        sign(planned_cohort, boss, kind)
    assert events("cohort.gates_passed") == []

    # When HR's roster says the three finished their training
    from agencies.imports.roster import roster_import

    code = planned_cohort.agency.code
    rows = [
        f"{e.employee_number},{e.email},{e.first_name},{e.last_name},{code},,,active,"
        "2026-03-01,2026-03-01"
        for e in untrained
    ]
    report = roster_import(file=roster(*rows).encode(), filename="hr.csv", actor=boss)

    # Then the gates passed, told once
    assert not report.rejected, report.errors
    assert [e.payload["trained_employees"] for e in events("cohort.gates_passed")] == [5]


def test_roster_import__dry_run__nothing_told(planned_cohort):
    boss = person("boss", ROLLOUT_MANAGER)
    untrained = EmployeeFactory(agency=planned_cohort.agency, training_completed_on=None)
    EmployeeFactory.create_batch(2, agency=planned_cohort.agency, training_completed_on=None)
    for kind in SIGNED_GATES:
        sign(planned_cohort, boss, kind)
    from agencies.imports.roster import roster_import

    row = (
        f"{untrained.employee_number},{untrained.email},A,B,{planned_cohort.agency.code},,,active,"
        "2026-03-01,2026-03-01"
    )
    roster_import(file=roster(row).encode(), filename="hr.csv", dry_run=True)

    assert events("cohort.gates_passed") == []
    assert events("import.finished") == []


def test_cohort_gates_observe__first_judgement__recorded_not_told(planned_cohort):
    # Given a cohort already passing before anyone watched it (signed directly)
    sign_all(planned_cohort, person("boss", ROLLOUT_MANAGER))

    # When beat's sweep judges it for the first time, and again
    assert cohort_gates_observe() == []
    assert cohort_gates_observe() == []

    # Then its state is recorded as passing, and nothing was told
    assert CohortGateState.objects.get(cohort=planned_cohort).passing is True


# --- job.finished and import.finished -------------------------------------------------------


def test_cohort_activate__real_run__job_finished_with_counts(roles):
    # Given a running cohort with room for 2 and three trained employees
    cohort = running_cohort(seat_quota=2)
    EmployeeFactory.create_batch(3, agency=cohort.agency)

    # When it is activated, and dry-run first
    cohort_activate(cohort=cohort, dry_run=True)
    job = cohort_activate(cohort=cohort)

    # Then one job.finished (the dry run tells nothing), scoped to the cohort's agency
    (told,) = events("job.finished")
    assert told.payload["job"] == job.pk
    assert told.payload["status"] == "succeeded"
    assert told.payload["counts"]["activated"] == 2
    assert told.payload["counts"]["blocked_by_reason"] == {"quota_full": 1}
    assert told.agency_ids == [cohort.agency_id]
    assert_declared(told)
    assert events("import.finished") == []


def test_cohort_activate__wave_not_started__job_finished_failed_with_the_code(roles):
    cohort = CohortFactory(wave=WaveFactory(status="approved"))

    with pytest.raises(BusinessRuleError):
        cohort_activate(cohort=cohort)

    (told,) = events("job.finished")
    assert (told.payload["status"], told.payload["error_codes"]) == ("failed", ["wave_not_started"])


def test_jobs_requeue_stalled__gave_up__job_finished_failed(roles):
    import datetime as dt

    from django.utils import timezone

    cohort = running_cohort()
    job = Job.objects.create(
        kind="cohort_activation",
        cohort=cohort,
        status="queued",
        requeued=3,
        queued_at=timezone.now() - dt.timedelta(hours=1),
    )

    jobs_requeue_stalled()

    (told,) = events("job.finished")
    assert (told.payload["job"], told.payload["error_codes"]) == (job.pk, ["stalled"])


def test_roster_import__written__import_and_job_finished(roles):
    agency = AgencyFactory(code="AGA")
    from agencies.imports.roster import roster_import

    report = roster_import(
        file=roster("E1,ann@x.org,Ann,Lee,AGA,,Clerk,active,,").encode(), filename="hr.csv"
    )

    assert report.written and agency.employees.count() == 1
    (imported,) = events("import.finished")
    assert imported.payload["status"] == "succeeded"
    assert (imported.payload["written"], imported.payload["rejected"]) == (True, False)
    assert (imported.payload["rows"], imported.payload["counts"]["new"]) == (1, 1)
    assert imported.agency_ids == []
    assert "hr.csv" not in str(imported.payload) and "ann@x.org" not in str(imported.payload)
    assert_declared(imported)
    assert [e.payload["kind"] for e in events("job.finished")] == ["roster_import"]


def test_roster_import__rejected__import_finished_failed_with_the_error_count(roles):
    AgencyFactory(code="AGA")
    from agencies.imports.roster import roster_import

    roster_import(file=roster("E1,not-an-email,Ann,Lee,AGA,,,active,,").encode(), filename="hr.csv")

    (imported,) = events("import.finished")
    assert (imported.payload["status"], imported.payload["rejected"]) == ("failed", True)
    assert imported.payload["errors"] == 1
    assert "not-an-email" not in str(imported.payload)


# --- cost.activation_refused ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seat_activate__ceiling_refusal__rolled_back_yet_told(roles):
    # Given a contract with room for one seat, and two requested seats
    contract = contract_with_room(1)
    cohort = running_cohort(contract=contract, seat_quota=5)
    first, second = (
        seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)
        for _ in range(2)
    )
    seat_activate(seat=first)

    # When the second is activated
    with pytest.raises(BusinessRuleError) as refused:
        seat_activate(seat=second)

    # Then it is refused and stays requested, and the refusal is told once, contract-wide
    assert refused.value.code == "ceiling_reached"
    second.refresh_from_db()
    assert second.status == "requested"
    (told,) = events("cost.activation_refused")
    assert told.payload["seat"] == second.pk
    assert (told.payload["requested"], told.payload["headroom_seats"]) == (1, 0)
    assert told.payload["ceiling"] == "10.00"
    assert told.agency_ids == []
    assert_declared(told)


def test_seat_activate__other_refusal__nothing_told(roles):
    cohort = running_cohort(seat_quota=0)
    employee = EmployeeFactory(agency=cohort.agency)
    seat = seat_request(employee=employee, contract=cohort.wave.contract)

    with pytest.raises(BusinessRuleError):
        seat_activate(seat=seat)

    assert events("cost.activation_refused") == []


def test_cohort_activate__ceiling_leaves_people_out__told_once_for_the_job(roles):
    # Given room under the ceiling for 2 seats and 5 trained people in a cohort of quota 10
    cohort = running_cohort(contract=contract_with_room(2), seat_quota=10)
    EmployeeFactory.create_batch(5, agency=cohort.agency)

    job = cohort_activate(cohort=cohort)

    (told,) = events("cost.activation_refused")
    assert told.payload["job"] == job.pk
    assert (told.payload["refused"], told.payload["requested"]) == (3, 5)
    assert told.payload["cohort"] == cohort.pk


def test_events__rolled_back_cause__nothing_written(roles):
    boss = person("boss", ROLLOUT_MANAGER)
    cohort = running_cohort()

    with pytest.raises(RuntimeError), transaction.atomic():
        wave_pause(wave=cohort.wave, actor=boss)
        raise RuntimeError("the caller failed after the pause")

    assert events("wave.status_changed") == []


def test_job_finish__same_run_ended_twice__one_end_and_one_event(roles):
    # Given a running job ended by one delivery
    from django.utils import timezone

    from core.jobs import job_finish

    job = Job.objects.create(kind="reclaim", status="running", started_at=timezone.now())
    job_finish(job, status="succeeded")

    # When a second delivery of the same run (handed on after a stall) ends it too
    late = Job.objects.get(pk=job.pk)
    late.errors = [{"code": "error"}]
    job_finish(late, status="failed", fields=["errors"])

    # Then the first end stands and the world heard of it once
    job.refresh_from_db()
    assert (job.status, job.errors) == ("succeeded", [])
    assert len(events("job.finished")) == 1
