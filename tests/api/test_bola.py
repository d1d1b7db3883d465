"""Broken object-level authorization: a coordinator of agency A must not read, list, filter or act
on agency B's people and seats. Another agency's object answers 404 exactly like a missing one;
lists and counts leave it out; a seat request naming B's employee is refused like an unknown id."""

from __future__ import annotations

import pytest

from config.roles import AGENCY_COORDINATOR


@pytest.fixture
def coordinator(clients):
    return clients[AGENCY_COORDINATOR]


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("resource", "key"),
    [
        ("employees", "employees_b"),
        ("seats", "seats_b"),
    ],
)
def test_bola__coordinator_reads_other_agency_object__404_like_missing(
    coordinator, world, resource, key
):
    # Given an object of agency B, and an id that does not exist at all
    other = world[key][0].pk

    # When the coordinator of agency A asks for each
    foreign = coordinator.get(f"/api/v1/{resource}/{other}/")
    missing = coordinator.get(f"/api/v1/{resource}/999999/")

    # Then both answer the same 404: nothing tells them apart
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("agencies", "agency_b"),
        ("cohorts", "cohort_b"),
        ("usage-days", "usage_b"),
    ],
)
def test_bola__coordinator_reads_other_agency_record__404(coordinator, world, path, key):
    # Given a record that belongs to agency B
    # When the coordinator of agency A reads it
    response = coordinator.get(f"/api/v1/{path}/{world[key].pk}/")

    # Then it does not exist for them
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bola__coordinator_reads_other_agency_seat_event__404(coordinator, world):
    # Given the request event of one of agency B's seats
    event = world["seats_b"][0].events.first()

    # When the coordinator of agency A reads it
    response = coordinator.get(f"/api/v1/seat-events/{event.pk}/")

    # Then it does not exist for them
    assert response.status_code == 404


def test_bola__coordinator_reads_other_cohort_readiness_and_job__404(coordinator, world):
    # Given agency B's cohort and its job
    cohort, job = world["cohort_b"], world["job_b"]

    # When the coordinator of agency A reads its readiness and its job
    readiness = coordinator.get(f"/api/v1/cohorts/{cohort.pk}/readiness/")
    progress = coordinator.get(f"/api/v1/cohorts/{cohort.pk}/jobs/{job.pk}/")
    # ...or reaches B's job through their own cohort
    crossed = coordinator.get(f"/api/v1/cohorts/{world['cohort_a'].pk}/jobs/{job.pk}/")

    # Then none of them exists for them
    assert readiness.status_code == progress.status_code == crossed.status_code == 404


@pytest.mark.parametrize(
    ("resource", "own_key", "path"),
    [
        ("employees", "employees_a", "/api/v1/employees/"),
        ("seats", "seats_a", "/api/v1/seats/"),
    ],
)
def test_bola__coordinator_lists__only_own_agency_rows(coordinator, world, resource, own_key, path):
    # Given people and seats in agencies A and B
    own = {obj.pk for obj in world[own_key]}

    # When the coordinator of agency A lists them
    listed = _ids(coordinator.get(path))

    # Then they see exactly agency A's
    assert listed == own


def test_bola__coordinator_lists_events_usage_cohorts_agencies__only_own(coordinator, world):
    # Given events, usage days, cohorts and agencies on both sides
    own_seats = {s.pk for s in world["seats_a"]}

    # When the coordinator of agency A lists each
    events = coordinator.get("/api/v1/seat-events/").json()["results"]
    usage = coordinator.get("/api/v1/usage-days/").json()["results"]
    cohorts = coordinator.get("/api/v1/cohorts/").json()["results"]
    agencies = coordinator.get("/api/v1/agencies/").json()["results"]

    # Then only agency A's rows come back
    assert events and {e["seat"] for e in events} <= own_seats
    assert [u["id"] for u in usage] == [world["usage_a"].pk]
    assert [c["id"] for c in cohorts] == [world["cohort_a"].pk]
    assert [a["code"] for a in agencies] == ["AGA"]


@pytest.mark.parametrize(
    "query",
    [
        "agency={agency_b}",
        "agency_code=AGB",
        "agency_code=agb",
        "employee={employee_b}",
        "cohort={cohort_b}",
        "employee_number={number_b}",
    ],
)
def test_bola__coordinator_filters_seats_for_other_agency__empty(coordinator, world, query):
    # Given a filter that names agency B or one of its people
    query = query.format(
        agency_b=world["agency_b"].pk,
        employee_b=world["employees_b"][0].pk,
        cohort_b=world["cohort_b"].pk,
        number_b=world["employees_b"][0].employee_number,
    )

    # When the coordinator of agency A filters seats by it
    response = coordinator.get(f"/api/v1/seats/?{query}")

    # Then the filter finds nothing (the scope applies before any filter)
    assert _ids(response) == set()


@pytest.mark.parametrize(
    "query",
    ["agency={agency_b}", "agency_code=AGB", "search={name_b}", "employee_number={number_b}"],
)
def test_bola__coordinator_filters_employees_for_other_agency__empty(coordinator, world, query):
    # Given a filter that names agency B or one of its people
    person = world["employees_b"][0]
    query = query.format(
        agency_b=world["agency_b"].pk, name_b=person.last_name, number_b=person.employee_number
    )

    # When the coordinator of agency A filters employees by it
    response = coordinator.get(f"/api/v1/employees/?{query}")

    # Then agency B's people never come back
    assert not _ids(response) & {e.pk for e in world["employees_b"]}


def test_bola__coordinator_requests_seat_for_other_agency_employee__refused_like_unknown(
    coordinator, world
):
    # Given agency B's employee (without an open seat) and an id that does not exist
    from tests.factories import EmployeeFactory

    person_b = EmployeeFactory(agency=world["agency_b"])
    contract = world["contract"].pk

    # When the coordinator of agency A requests a seat for each
    foreign = coordinator.post("/api/v1/seats/", {"employee": person_b.pk, "contract": contract})
    missing = coordinator.post("/api/v1/seats/", {"employee": 999999, "contract": contract})

    # Then both are refused the same way, naming the field, and no seat is created
    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.json()["fields"]) == ["employee"]
    assert foreign.json()["fields"]["employee"][0].startswith("Invalid pk")
    assert not person_b.seats.exists()


def test_bola__coordinator_requests_seat_in_other_agency_cohort__400(coordinator, world):
    # Given agency A's employee without a seat, and agency B's cohort
    from tests.factories import EmployeeFactory

    person_a = EmployeeFactory(agency=world["agency_a"])

    # When the coordinator asks for the seat in B's cohort
    response = coordinator.post(
        "/api/v1/seats/",
        {"employee": person_a.pk, "contract": world["contract"].pk, "cohort": world["cohort_b"].pk},
    )

    # Then the cohort is refused by name
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cohort"]


@pytest.mark.parametrize("verb", ["approve", "activate", "suspend", "reactivate", "revoke"])
def test_bola__coordinator_acts_on_other_agency_seat__refused(coordinator, world, verb):
    # Given one of agency B's seats
    seat = world["seats_b"][0]

    # When the coordinator of agency A tries a lifecycle action on it
    response = coordinator.post(f"/api/v1/seats/{seat.pk}/{verb}/", {"reason": "x"})

    # Then it is refused (coordinators take no seat actions at all) and nothing moves
    assert response.status_code == 403
    seat.refresh_from_db()
    assert seat.status == "requested"


def test_bola__coordinator_seat_counts__only_own_agency(coordinator, world):
    # Given three requested seats in each agency
    # When the coordinator of agency A asks for the counts, by agency and by status
    by_agency = coordinator.get("/api/v1/seat-counts/?group_by=agency").json()
    by_status = coordinator.get("/api/v1/seat-counts/?group_by=status").json()

    # Then only agency A appears, and the totals count only its seats
    assert [r["key"] for r in by_agency["results"]] == ["AGA"]
    assert by_agency["totals"]["requested"] == 3
    assert by_status["totals"]["requested"] == 3


def test_bola__coordinator_sees_personal_fields_of_own_people(coordinator, world):
    # Given agency A's employee
    person = world["employees_a"][0]

    # When their coordinator reads them
    data = coordinator.get(f"/api/v1/employees/{person.pk}/").json()

    # Then the personal fields are there (they are the coordinator's own people)
    assert data["last_name"] == person.last_name
    assert data["email"] == person.email


def test_bola__coordinator_without_agencies__sees_nothing(world, users):
    # Given a coordinator with no agency assigned
    from tests.api.conftest import key_client, make_user

    client = key_client(make_user("lonely", AGENCY_COORDINATOR))

    # When they list employees and seats
    # Then nothing comes back
    assert _ids(client.get("/api/v1/employees/")) == set()
    assert _ids(client.get("/api/v1/seats/")) == set()
