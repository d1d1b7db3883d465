"""Lifecycle actions over the API: each calls its service with the caller as actor and the reason
given, answers the moved object, and turns a refusal into a 409 with the service's code. Cohort
activation answers 202 at once and queues its job when the request commits."""

from __future__ import annotations

import pytest

from config.roles import ROLLOUT_MANAGER
from core.models import Job
from licensing.models import SeatEvent
from rollout.choices import SIGNED_GATES
from rollout.models import ReadinessCheck
from tests.factories import BargainingUnitFactory, EmployeeFactory, WaveFactory


@pytest.fixture
def manager(clients):
    return clients[ROLLOUT_MANAGER]


def _seat_url(seat, verb):
    return f"/api/v1/seats/{seat.pk}/{verb}/"


def test_seat_request__coordinator_for_own_agency__201_with_location(clients, world):
    # Given an agency-A employee without a seat
    person = EmployeeFactory(agency=world["agency_a"])

    # When their coordinator requests a seat in their cohort
    response = clients["agency_coordinator"].post(
        "/api/v1/seats/",
        {
            "employee": person.pk,
            "contract": world["contract"].pk,
            "cohort": world["cohort_a"].pk,
            "reason": "Joins the pilot team",
        },
    )

    # Then the seat is requested, with the coordinator and the reason on its first event
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "requested" and body["agency_code"] == "AGA"
    assert response["Location"] == f"/api/v1/seats/{body['id']}/"
    event = SeatEvent.objects.get(seat_id=body["id"])
    assert event.actor.username == "coordinator"
    assert event.reason == "Joins the pilot team"


def test_seat_request__member_of_bargaining_unit__held(manager, world):
    # Given a member of a unit that has demanded to bargain
    unit = BargainingUnitFactory(bargaining_status="demand_filed")
    person = EmployeeFactory(agency=world["agency_a"], bargaining_unit=unit)

    # When a seat is requested
    response = manager.post(
        "/api/v1/seats/", {"employee": person.pk, "contract": world["contract"].pk}
    )

    # Then it is held
    assert response.status_code == 201
    assert response.json()["status"] == "held"


def test_seat_actions__approve_activate_suspend_reactivate_revoke__each_recorded(manager, world):
    # Given a requested seat in a running wave
    seat = world["seats_a"][0]

    # When it goes through its whole life over the API
    statuses = []
    for verb in ("approve", "activate", "suspend", "reactivate", "revoke"):
        response = manager.post(_seat_url(seat, verb), {"reason": f"step {verb}"})
        assert response.status_code == 200, response.json()
        statuses.append(response.json()["status"])

    # Then each step moved it and wrote an event with the manager and the reason
    assert statuses == ["approved", "active", "suspended", "active", "revoked"]
    events = list(SeatEvent.objects.filter(seat=seat).order_by("id")[1:])
    assert [e.reason for e in events][-1] == "step revoke"
    assert {e.actor.username for e in events} == {"manager"}


def test_seat_activate__held_seat_with_override_and_reason__active(manager, world):
    # Given a held seat
    unit = BargainingUnitFactory(bargaining_status="bargaining")
    person = EmployeeFactory(agency=world["agency_a"], bargaining_unit=unit)
    seat_id = manager.post(
        "/api/v1/seats/",
        {"employee": person.pk, "contract": world["contract"].pk, "cohort": world["cohort_a"].pk},
    ).json()["id"]

    # When a rollout manager overrides the hold without, then with, a reason
    without = manager.post(f"/api/v1/seats/{seat_id}/activate/", {"override": True})
    with_reason = manager.post(
        f"/api/v1/seats/{seat_id}/activate/",
        {"override": True, "reason": "Union agreed in writing for the pilot"},
    )

    # Then the bare override is refused and the reasoned one activates the seat
    assert without.status_code == 409 and without.json()["code"] == "reason_required"
    assert with_reason.status_code == 200 and with_reason.json()["status"] == "active"


def test_seat_action__invalid_transition__409(manager, world):
    # Given a requested seat
    # When it is suspended (only an active seat can be)
    response = manager.post(_seat_url(world["seats_a"][0], "suspend"), {})

    # Then the service's refusal comes back
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_seat_action__override_not_a_boolean__400(manager, world):
    response = manager.post(_seat_url(world["seats_a"][0], "activate"), {"override": "perhaps"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["override"]


def test_wave_actions__gates_failing__409_naming_them(manager, world):
    # Given a planned wave whose cohorts have signed nothing off
    wave = WaveFactory(contract=world["contract"], number=2)
    from tests.factories import CohortFactory

    CohortFactory(wave=wave, agency=world["agency_a"])

    # When it is approved
    response = manager.post(f"/api/v1/waves/{wave.pk}/approve/", {"reason": "ready?"})

    # Then the refusal names the failing gates
    assert response.status_code == 409
    assert response.json()["code"] == "gates_failing"
    assert "privacy review" in response.json()["detail"]


def test_wave_actions__pause_and_resume__moved_by_the_manager(manager, world):
    # Given the running wave, whose gates all pass
    for kind in SIGNED_GATES:
        for cohort in (world["cohort_a"], world["cohort_b"]):
            response = manager.post(
                f"/api/v1/cohorts/{cohort.pk}/readiness/sign-off/",
                {"kind": kind, "evidence": "ticket 42"},
            )
            assert response.status_code == 200

    # When it is paused, then resumed
    paused = manager.post(f"/api/v1/waves/{world['wave'].pk}/pause/", {"reason": "incident"})
    resumed = manager.post(f"/api/v1/waves/{world['wave'].pk}/resume/", {})

    # Then each answer shows the wave's new status, and its latest change: who, what and why
    assert paused.json()["status"] == "paused"
    assert resumed.json()["status"] == "in_progress"
    change = paused.json()["last_change"]
    assert (change["from_status"], change["to_status"]) == ("in_progress", "paused")
    assert (change["by"], change["reason"]) == ("manager", "incident")
    # And the list says the same of the wave as it stands now
    listed = manager.get("/api/v1/waves/").json()["results"]
    (wave,) = [w for w in listed if w["id"] == world["wave"].pk]
    assert (wave["last_change"]["to_status"], wave["last_change"]["by"]) == (
        "in_progress",
        "manager",
    )


def test_readiness__sign_off_then_reopen__gate_follows(manager, world):
    # Given cohort A's readiness
    url = f"/api/v1/cohorts/{world['cohort_a'].pk}/readiness/"

    # When the privacy review is signed off, then reopened
    signed = manager.post(f"{url}sign-off/", {"kind": "privacy_review", "evidence": "DPIA 7"})
    reopened = manager.post(f"{url}reopen/", {"kind": "privacy_review", "reason": "scope grew"})

    # Then the gate is met, then open again
    def privacy(body):
        return next(g for g in body["gates"] if g["kind"] == "privacy_review")["is_met"]

    assert privacy(signed.json()) is True
    assert privacy(reopened.json()) is False
    assert ReadinessCheck.objects.get(cohort=world["cohort_a"], kind="privacy_review").evidence


def test_readiness__training_gate_cannot_be_signed__400(manager, world):
    response = manager.post(
        f"/api/v1/cohorts/{world['cohort_a'].pk}/readiness/sign-off/",
        {"kind": "training_threshold", "evidence": "looked at it"},
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]


def test_cohort_activate__202_then_job_queued_on_commit(
    manager, world, django_capture_on_commit_callbacks
):
    # Given cohort A of the running wave, with three requested seats (tasks run in-process:
    # tests/conftest.py keeps every test but the `broker` ones eager)
    cohort = world["cohort_a"]

    # When its activation is asked for, the commit callbacks run
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager.post(f"/api/v1/cohorts/{cohort.pk}/activate/", {})

    # Then the answer is 202 with the job to follow, and the job ran once committed
    assert response.status_code == 202
    body = response.json()
    assert body["url"] == f"/api/v1/cohorts/{cohort.pk}/jobs/{body['job']}/"
    assert body["dry_run"] is False
    assert len(callbacks) >= 1
    job = manager.get(body["url"]).json()
    assert job["status"] == "succeeded"
    assert job["requested_by"] == "manager"
    assert job["outcome"]["activated"] == 3


def test_cohort_activate__rolled_back_request__queues_nothing(
    manager, world, django_capture_on_commit_callbacks
):
    # Given an activation asked with an invalid body
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager.post(
            f"/api/v1/cohorts/{world['cohort_a'].pk}/activate/", {"dry_run": "soon"}
        )

    # Then nothing was written or queued
    assert response.status_code == 400
    assert callbacks == []
    assert not Job.objects.filter(cohort=world["cohort_a"], requested_by__isnull=False).exists()


def test_cohort_job__progress_fields(manager, world):
    # Given a job half done
    job = world["job_a"]
    Job.objects.filter(pk=job.pk).update(status="running", done=500, total=1000)

    # When its progress is read
    body = manager.get(f"/api/v1/cohorts/{world['cohort_a'].pk}/jobs/{job.pk}/").json()

    # Then it says how far it got
    assert (body["status"], body["done"], body["total"]) == ("running", 500, 1000)


def test_bargaining_set_status__holds_members_seats(manager, world):
    # Given a member of the unit with a requested seat
    person = EmployeeFactory(agency=world["agency_a"], bargaining_unit=world["unit"])
    seat_id = manager.post(
        "/api/v1/seats/", {"employee": person.pk, "contract": world["contract"].pk}
    ).json()["id"]

    # When the union files a demand to bargain
    response = manager.post(
        f"/api/v1/bargaining-units/{world['unit'].pk}/set-status/",
        {"status": "demand_filed", "reason": "NAGE letter of 14 Feb"},
    )

    # Then the unit holds seats and the member's seat is held
    assert response.status_code == 200
    assert response.json()["holds_seats"] is True
    assert manager.get(f"/api/v1/seats/{seat_id}/").json()["status"] == "held"
