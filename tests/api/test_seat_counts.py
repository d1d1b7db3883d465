"""Seat counts for pollers: the figures (now and as of a past day, from the event history), the
groupings, the conditional GET (ETag, 304 without counting, a new tag as soon as a seat changes)
and a query count that does not grow with the number of seats or groups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.api.permissions import AgencyScope
from config.roles import ROLLOUT_MANAGER
from licensing.api.selectors import seat_counts, seat_counts_contract
from licensing.services.seats import seat_approve, seat_request
from tests.factories import AgencyFactory, CohortFactory, EmployeeFactory
from tests.licensing.history import seat_with_history

URL = "/api/v1/seat-counts/"


@pytest.fixture
def manager(clients):
    return clients[ROLLOUT_MANAGER]


def _row(body, key):
    return next(r for r in body["results"] if r["key"] == key)


def test_seat_counts__by_agency__counts_each_status_with_headcount(manager, world):
    # Given agency A with three requested seats, one of them approved and one revoked
    seat_approve(seat=world["seats_a"][0])
    from licensing.services.seats import seat_revoke

    seat_revoke(seat=world["seats_a"][1])

    # When the counts by agency are asked for
    body = manager.get(f"{URL}?contract={world['contract'].pk}&group_by=agency").json()

    # Then each agency has its counts by status and its headcount, and the totals add up
    assert _row(body, "AGA") == {
        "key": "AGA",
        "label": "Agency AGA",
        "requested": 1,
        "held": 0,
        "approved": 1,
        "active": 0,
        "suspended": 0,
        "revoked": 1,
        "headcount": 120,
    }
    assert _row(body, "AGB")["requested"] == 3
    assert body["totals"] == {
        "requested": 4,
        "held": 0,
        "approved": 1,
        "active": 0,
        "suspended": 0,
        "revoked": 1,
        "headcount": 200,
    }
    assert body["group_by"] == "agency"
    assert body["contract"] == world["contract"].pk


def test_seat_counts__agency_without_seats__listed_with_zeros(manager, world):
    # Given an agency with no seat yet
    AgencyFactory(code="AGC", headcount=40)

    # When the counts by agency are asked for
    body = manager.get(f"{URL}?group_by=agency").json()

    # Then it is listed, with zeros and its headcount
    row = _row(body, "AGC")
    assert row["headcount"] == 40
    assert sum(row[s] for s in ("requested", "held", "approved", "active")) == 0


def test_seat_counts__by_cohort_and_wave__carry_quota(manager, world):
    # Given cohorts of 50 and 30 in one wave, and a cohort with no seat
    CohortFactory(wave=world["wave"], agency=AgencyFactory(code="AGC"), seat_quota=5)

    # When the counts by cohort and by wave are asked for
    cohorts = manager.get(f"{URL}?group_by=cohort").json()
    waves = manager.get(f"{URL}?group_by=wave").json()

    # Then each cohort has its quota (ids as keys), and the wave the sum of its cohorts'
    assert _row(cohorts, world["cohort_a"].pk)["quota"] == 50
    assert _row(cohorts, world["cohort_a"].pk)["label"] == "AGA in wave 1"
    assert cohorts["totals"]["quota"] == 85
    assert waves["results"] == [
        {
            "key": world["wave"].pk,
            "label": "Wave 1: Wave 1",
            "requested": 6,
            "held": 0,
            "approved": 0,
            "active": 0,
            "suspended": 0,
            "revoked": 0,
            "quota": 85,
        }
    ]


def test_seat_counts__seats_outside_cohorts__one_null_row(manager, world):
    # Given a seat requested without a cohort
    seat_request(employee=EmployeeFactory(agency=world["agency_a"]), contract=world["contract"])

    # When counted by cohort
    body = manager.get(f"{URL}?group_by=cohort").json()

    # Then it appears under key null
    assert _row(body, None) | {"label": "No cohort"} == _row(body, None)
    assert _row(body, None)["requested"] == 1


def test_seat_counts__by_status_and_bargaining_unit__every_group_listed(manager, world):
    # Given the world's six requested seats, one of a union member
    person = EmployeeFactory(agency=world["agency_a"], bargaining_unit=world["unit"])
    seat_request(employee=person, contract=world["contract"], cohort=world["cohort_a"])

    # When counted by status and by bargaining unit
    by_status = manager.get(f"{URL}?group_by=status").json()
    by_unit = manager.get(f"{URL}?group_by=bargaining_unit").json()

    # Then every status has a row, and the unit and "no unit" each theirs
    assert [r["key"] for r in by_status["results"]] == [
        "requested",
        "held",
        "approved",
        "active",
        "suspended",
        "revoked",
    ]
    assert _row(by_status, "requested")["requested"] == 7
    assert _row(by_unit, "U1")["requested"] == 1
    assert _row(by_unit, None)["requested"] == 6


def test_seat_counts__as_of_past_day__status_at_end_of_that_day(manager, world, db):
    # Given seats with histories: one active 2 Mar then suspended 10 Mar; one requested 1 Mar,
    # active 5 Mar 23:30 local time; one requested 20 Mar
    from tests.licensing.history import at

    contract, agency = world["contract"], AgencyFactory(code="AGH")
    seat_with_history(
        contract, agency, [(dt.date(2026, 3, 2), "active"), (dt.date(2026, 3, 10), "suspended")]
    )
    seat_with_history(
        contract,
        agency,
        [(dt.date(2026, 3, 1), "requested"), (at(dt.date(2026, 3, 5), 23), "active")],
    )
    seat_with_history(contract, agency, [(dt.date(2026, 3, 20), "requested")])

    def counts(day):
        body = manager.get(f"{URL}?group_by=agency&as_of={day}").json()
        return {
            k: v for k, v in _row(body, "AGH").items() if k in ("requested", "active", "suspended")
        }

    # Then each day counts each seat in the status it had at the end of that day
    assert counts("2026-02-28") == {"requested": 0, "active": 0, "suspended": 0}
    assert counts("2026-03-05") == {"requested": 0, "active": 2, "suspended": 0}
    assert counts("2026-03-04") == {"requested": 1, "active": 1, "suspended": 0}
    assert counts("2026-03-15") == {"requested": 0, "active": 1, "suspended": 1}
    assert counts("2026-03-20") == {"requested": 1, "active": 1, "suspended": 1}


def test_seat_counts__as_of_today_or_later__counts_now(manager, world):
    # Given the six requested seats
    from django.utils import timezone

    today = timezone.localdate()

    # When asked as of today and as of a later day
    for day in (today, today + dt.timedelta(days=400)):
        body = manager.get(f"{URL}?as_of={day}").json()
        # Then the counts are the current ones, and the answer says which day it stands for
        assert body["totals"]["requested"] == 6
        assert body["as_of"] == day.isoformat()


# --- conditional GET -----------------------------------------------------------------------------


def test_seat_counts__answer__carries_etag_and_last_modified(manager, world):
    # When the counts are asked for
    response = manager.get(URL)

    # Then the answer carries its validators and may not be cached by shared caches
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert "GMT" in response["Last-Modified"]
    assert response["Cache-Control"] == "private, no-cache"


def test_seat_counts__if_none_match_unchanged__304_without_counting(manager, world, monkeypatch):
    # Given the tag of an answer
    tag = manager.get(URL).headers["ETag"]

    # When the same question is asked with the tag, the counting made to fail if reached
    def must_not_count(**kwargs):
        raise AssertionError("the counts were computed for a 304")

    monkeypatch.setattr("licensing.api.views.seat_counts", must_not_count)
    with CaptureQueriesContext(connection) as queries:
        response = manager.get(URL, HTTP_IF_NONE_MATCH=tag)

    # Then it is a 304 with no body, the same tag, and one query beyond authentication
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == tag
    data_queries = [q for q in queries.captured_queries if "licensing_seat" in q["sql"]]
    assert len(data_queries) == 1


def test_seat_counts__if_none_match_list_or_weak__304(manager, world):
    # Given the tag of an answer
    tag = manager.get(URL).headers["ETag"]

    # When it is sent among others, or weak
    listed = manager.get(URL, HTTP_IF_NONE_MATCH=f'"other", {tag}')
    weak = manager.get(URL, HTTP_IF_NONE_MATCH=f"W/{tag}")

    # Then both match
    assert listed.status_code == weak.status_code == 304


def test_seat_counts__seat_changes__new_tag_and_full_answer(manager, world):
    # Given the tag of an answer
    tag = manager.get(URL).headers["ETag"]

    # When a seat changes status and the question is asked again with the old tag
    seat_approve(seat=world["seats_a"][0])
    response = manager.get(URL, HTTP_IF_NONE_MATCH=tag)

    # Then the full, updated answer comes back with a new tag
    assert response.status_code == 200
    assert response["ETag"] != tag
    assert response.json()["totals"]["approved"] == 1


def test_seat_counts__new_seat__new_tag(manager, world):
    # Given the tag of an answer
    tag = manager.get(URL).headers["ETag"]

    # When a seat is requested
    seat_request(employee=EmployeeFactory(agency=world["agency_a"]), contract=world["contract"])

    # Then the tag no longer matches
    assert manager.get(URL, HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_seat_counts__quota_changes__new_tag(manager, world):
    # Given the tag of the counts by cohort
    tag = manager.get(f"{URL}?group_by=cohort").headers["ETag"]

    # When a cohort's quota changes
    cohort = world["cohort_a"]
    cohort.seat_quota = 70
    cohort.save()

    # Then the tag no longer matches
    response = manager.get(f"{URL}?group_by=cohort", HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 200
    assert _row(response.json(), cohort.pk)["quota"] == 70


def test_seat_counts__different_question_or_scope__different_tag(clients, world):
    # Given the same data
    manager, coordinator = clients[ROLLOUT_MANAGER], clients["agency_coordinator"]

    # When asked different questions, or by callers with different scopes
    tags = {
        manager.get(URL).headers["ETag"],
        manager.get(f"{URL}?group_by=status").headers["ETag"],
        manager.get(f"{URL}?as_of=2026-03-01").headers["ETag"],
        coordinator.get(URL).headers["ETag"],
    }

    # Then every answer has its own tag (a coordinator's tag never unlocks a manager's 304)
    assert len(tags) == 4


# --- query counts --------------------------------------------------------------------------------


def _grow(world, agencies: int, seats_per_agency: int):
    """More agencies with cohorts and requested seats, so groups and rows both grow."""
    for i in range(agencies):
        agency = AgencyFactory(code=f"GR{i:03d}")
        cohort = CohortFactory(wave=world["wave"], agency=agency, seat_quota=10)
        for person in EmployeeFactory.create_batch(seats_per_agency, agency=agency):
            seat_request(employee=person, contract=world["contract"], cohort=cohort)


@pytest.mark.parametrize("group_by", ["agency", "wave", "cohort", "status", "bargaining_unit"])
@pytest.mark.parametrize("as_of", [None, dt.date(2026, 3, 1)])
def test_seat_counts__selector__at_most_three_queries_whatever_the_size(
    world, django_assert_max_num_queries, group_by, as_of
):
    # Given 120+ seats in 22 agencies
    _grow(world, agencies=20, seats_per_agency=6)

    # When the contract is fetched with its fingerprint and the counts computed
    with django_assert_max_num_queries(3):
        (fingerprint,) = seat_counts_contract(contract_id=world["contract"].pk, group_by=group_by)
        body = seat_counts(
            contract_id=fingerprint.contract_id,
            group_by=group_by,
            as_of=as_of,
            scope=AgencyScope(None),
        )

    # Then three queries were enough
    assert body["results"]


@pytest.mark.parametrize("who", [ROLLOUT_MANAGER, "agency_coordinator"])
@pytest.mark.parametrize("group_by", ["agency", "cohort", "status"])
def test_seat_counts__endpoint__same_queries_at_10_and_130_seats(
    clients, world, django_assert_max_num_queries, who, group_by
):
    # Given the endpoint's query count with the world's handful of seats
    client = clients[who]
    url = f"{URL}?group_by={group_by}"
    client.get(url)  # first call warms nothing that matters, but keep both calls alike
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    # When the seats and groups grow twentyfold
    _grow(world, agencies=20, seats_per_agency=6)

    # Then the same number of queries answers
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
