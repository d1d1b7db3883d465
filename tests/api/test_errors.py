"""One error shape everywhere, and no 500 for bad input: malformed JSON, wrong types, huge
integers, impossible dates, unknown choices, forged cursors, unknown URLs and methods."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from config.roles import FINANCE, ROLLOUT_MANAGER
from licensing.services.seats import seat_request
from tests.factories import EmployeeFactory

SHAPE = {"code", "detail", "fields"}


@pytest.fixture
def manager(clients):
    return clients[ROLLOUT_MANAGER]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(
    "raw",
    ['{"employee": ', "not json at all", '{"employee": 1,}', "\x00\x01", '"a string"', "[1, 2]"],
)
def test_errors__malformed_or_non_object_body__400(manager, world, raw):
    # Given a body that is not a JSON object
    # When it is posted as JSON
    response = manager.post("/api/v1/seats/", raw, content_type="application/json")

    # Then it is bad input, not a server error
    assert response.status_code == 400
    assert set(response.json()) == SHAPE
    assert response.json()["code"] in ("parse_error", "invalid")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"employee": "abc", "contract": 1}, "employee"),
        ({"employee": 10**30, "contract": 1}, "employee"),
        ({"employee": -1, "contract": 1}, "employee"),
        ({"employee": 1.5, "contract": 1}, "employee"),
        ({"employee": [1], "contract": 1}, "employee"),
        ({"employee": {"id": 1}, "contract": 1}, "employee"),
        ({"employee": None, "contract": 1}, "employee"),
        ({"contract": 1}, "employee"),
        ({"employee": 1, "contract": 2**63}, "contract"),
        ({"employee": 1, "contract": 1, "reason": 5 * "x" * 1000}, "reason"),
        ({"employee": 1, "contract": 1, "cohort": "nope"}, "cohort"),
    ],
)
def test_errors__wrong_types_in_seat_request__400_naming_field(manager, world, body, field):
    # Given a seat request with one bad field (ids otherwise valid)
    body = {
        **body,
        **({"contract": world["contract"].pk} if body.get("contract") == 1 else {}),
    }
    if body.get("employee") == 1:
        body["employee"] = EmployeeFactory(agency=world["agency_a"]).pk

    # When it is posted
    response = manager.post("/api/v1/seats/", body)

    # Then the field is named
    payload = _error(response, 400, "invalid")
    assert field in payload["fields"]
    assert field in payload["detail"]


@pytest.mark.parametrize(
    "as_of",
    [
        "2026-13-01",
        "2026-02-30",
        "abc",
        "2026-1-1",
        "20260101",
        "0001-01-01",
        "9999-12-31",
        "",
        "1e9",
    ],
)
def test_errors__bad_dates__400_naming_as_of(manager, world, as_of):
    # Given a malformed or out-of-range day
    contract = world["contract"].pk

    # When it is sent to each endpoint that takes a day
    counts = manager.get(f"/api/v1/seat-counts/?as_of={as_of}")
    cost = manager.get(f"/api/v1/contracts/{contract}/cost/?as_of={as_of}")
    forecast = manager.post(f"/api/v1/contracts/{contract}/forecast/", {"as_of": as_of})
    events = manager.get(f"/api/v1/seat-events/?since={as_of}")

    # Then each answers 400 naming the parameter (an empty value is refused, not ignored)
    for response, name in (
        (counts, "as_of"),
        (cost, "as_of"),
        (forecast, "as_of"),
        (events, "since"),
    ):
        assert name in _error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize(
    "query",
    [
        "group_by=color",
        "group_by=AGENCY",
        "group_by=",
        "contract=",
        "contract=abc",
        "contract=0",
        "contract=99999999999999999999999",
        "contract=424242",
    ],
)
def test_errors__bad_seat_counts_query__400(manager, world, query):
    # Given a seat-counts query with a bad value
    # When it is asked
    response = manager.get(f"/api/v1/seat-counts/?{query}")

    # Then the parameter is named
    name = query.split("=")[0]
    assert name in _error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/seats/?page_size=abc", "page_size"),
        ("/api/v1/seats/?page_size=0", "page_size"),
        ("/api/v1/seats/?page_size=1001", "page_size"),
        ("/api/v1/seats/?status=", "status"),
        ("/api/v1/seats/?agency=", "agency"),
        ("/api/v1/agencies/?page=", "page"),
        ("/api/v1/seats/?cursor=%%%", "cursor"),
        ("/api/v1/seats/?cursor=bm90IGEgY3Vyc29y", "cursor"),
        ("/api/v1/agencies/?page=abc", "page"),
        ("/api/v1/agencies/?page=0", "page"),
        ("/api/v1/agencies/?page=-3", "page"),
        ("/api/v1/seats/?status=flying", "status"),
        ("/api/v1/seats/?agency=abc", "agency"),
        ("/api/v1/seats/?agency=99999999999999999999999", "agency"),
        ("/api/v1/employees/?trained=maybe", "trained"),
        ("/api/v1/agencies/?is_active=2", "is_active"),
        ("/api/v1/usage-days/?since=yesterday", "since"),
    ],
)
def test_errors__bad_list_parameters__400_naming_them(manager, world, path, name):
    # Given a list query with a malformed parameter
    # When it is asked
    response = manager.get(path)

    # Then it is bad input naming the parameter
    assert name in _error(response, 400, "invalid")["fields"]


def test_errors__forged_cursor_position__400(manager, world):
    # Given a well-encoded cursor whose position is not an id
    forged = base64.b64encode(b"p=abc&r=0").decode()

    # When it is used
    response = manager.get(f"/api/v1/seats/?cursor={forged}")

    # Then it is refused as a bad cursor, not a server error
    assert "cursor" in _error(response, 400, "invalid")["fields"]


def test_errors__page_past_the_end__404(manager, world):
    # Given two agencies, one page
    # When page 9 is asked for
    response = manager.get("/api/v1/agencies/?page=9")

    # Then there is no such page
    _error(response, 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/seats/99999999999999999999999999/",
        "/api/v1/cohorts/1/jobs/1234567890123456789012/",
    ],
)
def test_errors__unknown_url_or_id__404_shape(manager, world, path):
    # When an unknown URL or id is asked for
    # Then the 404 has the error shape too
    _error(manager.get(path), 404, "not_found")


def test_errors__no_credentials__401_shape():
    # When a protected endpoint is called without credentials
    response = APIClient().get("/api/v1/seats/")

    # Then it asks for an API key
    _error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Api-Key")


def test_errors__unknown_key__401_shape(db):
    # Given a key that was never issued
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")

    # When it is used
    # Then it is refused as authentication_failed
    _error(client.get("/api/v1/seats/"), 401, "authentication_failed")


def test_errors__role_may_not__403_shape(clients, world):
    # When finance tries a seat action
    response = clients[FINANCE].post(f"/api/v1/seats/{world['seats_a'][0].pk}/approve/", {})

    # Then it is forbidden
    _error(response, 403, "permission_denied")


def test_errors__method_not_allowed__405_shape(manager, world):
    # When a list is deleted
    response = manager.delete("/api/v1/agencies/")

    # Then the method is refused with Allow
    _error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_errors__options__405(manager, world):
    # When OPTIONS is asked (no metadata endpoint)
    response = manager.options("/api/v1/seats/")

    # Then it is one more method the API does not take
    _error(response, 405, "method_not_allowed")
    assert "OPTIONS" not in response["Allow"]


def test_errors__business_refusal__409_with_service_code(manager, world):
    # Given an employee who already holds a seat
    person = world["employees_a"][0]

    # When a second seat is requested for them
    response = manager.post(
        "/api/v1/seats/", {"employee": person.pk, "contract": world["contract"].pk}
    )

    # Then the service's refusal comes back with its code
    body = _error(response, 409, "seat_exists")
    assert body["fields"] == {}


def test_errors__ceiling_on_the_engaged_basis__409_carries_its_figures_as_fields(manager, world):
    # Given an engaged contract in its only period: $10 a seat, ceiling $20, and three approved
    # seats in a running cohort (none has sent a message)
    from django.utils import timezone

    from licensing.services.seats import seat_approve, seat_request
    from tests.factories import ContractFactory, EmployeeFactory
    from tests.rollout.builders import running_cohort

    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today,
        end_date=today + dt.timedelta(days=20),
        floor_amount=Decimal("0"),
        ceiling_amount=Decimal("20"),
        min_billable_seats=0,
        billing_basis="engaged",
        tiers=[(1, None, "10")],
    )
    cohort = running_cohort(contract=contract)
    seats = [
        seat_approve(
            seat=seat_request(
                employee=EmployeeFactory(agency=cohort.agency), contract=contract, cohort=cohort
            )
        )
        for _ in range(3)
    ]

    # When the three are activated through the API
    answers = [manager.post(f"/api/v1/seats/{s.pk}/activate/", {}) for s in seats]

    # Then two fit (each may still send a message: 2 x $10 = $20) and the third is a 409
    # whose fields carry the figures
    assert [a.status_code for a in answers] == [200, 200, 409]
    body = _error(answers[2], 409, "ceiling_reached")
    assert body["fields"] == {
        "headroom_seats": 0,
        "requested": 1,
        "ceiling_amount": "20.00",
        "active_seats": 2,
        "current_period_count": 2,
        "billing_basis": "engaged",
    }


def test_errors__form_encoded_body__415(manager, world):
    # When a body is posted as a form
    response = manager.post(
        "/api/v1/seats/", "employee=1&contract=1", content_type="application/x-www-form-urlencoded"
    )

    # Then the media type is refused
    _error(response, 415, "unsupported_media_type")


def test_errors__not_acceptable__406(manager, world):
    # When a format the API cannot produce is asked for
    response = manager.get("/api/v1/agencies/", HTTP_ACCEPT="application/xml")

    # Then it says so in JSON
    assert response.status_code == 406


def test_errors__bad_contract_terms__409_invalid_terms(clients, world):
    # Given a contract whose price tiers do not start at 1
    contract = world["contract"]
    contract.tiers.filter(min_seats=1).delete()

    # When its cost is asked for
    response = clients[FINANCE].get(f"/api/v1/contracts/{contract.pk}/cost/?as_of=2026-03-01")

    # Then the terms are refused clearly instead of failing
    _error(response, 409, "invalid_terms")


def test_errors__throttled__429_with_retry_after(settings, world, users):
    # Given a key allowed two requests a minute
    from tests.api.conftest import key_client

    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "api_key": "2/min"}
    settings.REST_FRAMEWORK = rest
    client = key_client(users[ROLLOUT_MANAGER])

    # When it makes a third
    for _ in range(2):
        assert client.get("/api/v1/agencies/").status_code == 200
    response = client.get("/api/v1/agencies/")

    # Then it is throttled, with the time to wait
    _error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_errors__seat_request_on_separated_employee__409(manager, world):
    # Given an employee who has left
    person = EmployeeFactory(agency=world["agency_a"], employment_status="separated")

    # When a seat is requested
    response = manager.post(
        "/api/v1/seats/", {"employee": person.pk, "contract": world["contract"].pk}
    )

    # Then the rule's code says why
    _error(response, 409, "employee_inactive")


def test_errors__seat_activation_when_held__409_held_for_bargaining(manager, world):
    # Given a seat of a member of a unit that demanded to bargain
    from tests.factories import BargainingUnitFactory

    unit = BargainingUnitFactory(bargaining_status="demand_filed")
    person = EmployeeFactory(agency=world["agency_a"], bargaining_unit=unit)
    seat = seat_request(employee=person, contract=world["contract"], cohort=world["cohort_a"])

    # When it is activated without an override
    response = manager.post(f"/api/v1/seats/{seat.pk}/activate/", {})

    # Then the hold refuses it
    _error(response, 409, "held_for_bargaining")
