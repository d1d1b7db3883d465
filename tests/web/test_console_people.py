"""The console's people and seat pages through Django's test client: a person's page and who may
read what on it, each seat action as each role (form → confirmation → the seat service →
redirect), the bargaining-hold override, and seat requests for one person or a selection on an
agency's page, with another agency's ids answering 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from licensing.models import Seat, SeatEvent
from tests.factories import BargainingUnitFactory

ALL_ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)
NOT_MANAGERS = (FINANCE, AGENCY_COORDINATOR, API_READER, "no_role")
ACTIONS = ("approve", "activate", "override", "suspend", "reactivate", "revoke")


def person_url(employee) -> str:
    return reverse("web:person", kwargs={"pk": employee.pk})


def seat_url(action: str, seat) -> str:
    return reverse(f"web:seat-{action}", kwargs={"pk": seat.pk})


def open_seat(employee) -> Seat:
    return Seat.objects.exclude(status="revoked").get(employee=employee)


@pytest.fixture
def bargaining(world):
    """AGA's sixth person (whose seat is held) is a member of NAGE-U1, now bargaining."""
    unit = BargainingUnitFactory(
        code="NAGE-U1", name="NAGE Unit 1", union="NAGE", bargaining_status="bargaining"
    )
    member = world["staff_a"][5]
    member.bargaining_unit = unit
    member.save()
    return unit


# --- a person's page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_person_page__every_role_in_scope__200_with_seat_history(login, world, role):
    # Given a person of AGA with an active seat (requested, approved, then active in March)
    employee = world["staff_a"][0]

    # When any role in whose scope AGA is opens their page
    response = login(role).get(person_url(employee))

    # Then it lists the seat and its three recorded changes
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Seat #{open_seat(employee).pk}: history" in html
    assert html.count('<th scope="row" class="date">') == 3


def test_person_page__coordinator_other_agency__404(login, world):
    assert login(AGENCY_COORDINATOR).get(person_url(world["staff_b"][0])).status_code == 404


def test_person_page__no_role_or_anonymous__403_or_login(login, client, world):
    url = person_url(world["staff_a"][0])
    assert client.get(url).status_code == 302
    assert login("no_role").get(url).status_code == 403


def test_person_page__api_reader__no_names_no_reasons(login, world):
    # Given a person whose seat history carries a reason
    employee = world["staff_a"][0]

    # When an API reader opens the page
    html = login(API_READER).get(person_url(employee)).content.decode()

    # Then they see the employee number, not the names, and no reason or actor column
    assert employee.employee_number in html
    assert employee.last_name not in html and employee.first_name not in html
    assert "test history" not in html
    assert "names are not shown to your role" in html


def test_person_page__coordinator_own_agency__names_and_reasons(login, world):
    employee = world["staff_a"][0]
    html = login(AGENCY_COORDINATOR).get(person_url(employee)).content.decode()
    assert f"{employee.first_name} {employee.last_name}" in html
    assert "test history" in html


def test_person_page__actions_for_managers_only(login, world):
    # Given a person with an active seat
    employee = world["staff_a"][0]
    seat = open_seat(employee)

    # Then a rollout manager is offered suspend and revoke, and nobody else any action
    html = login(ROLLOUT_MANAGER).get(person_url(employee)).content.decode()
    assert seat_url("suspend", seat) in html and seat_url("revoke", seat) in html
    assert seat_url("activate", seat) not in html
    for role in (FINANCE, AGENCY_COORDINATOR, API_READER):
        html = login(role).get(person_url(employee)).content.decode()
        assert f"/seats/{seat.pk}/" not in html, role


@pytest.mark.parametrize(
    ("role", "offered"),
    [(ROLLOUT_MANAGER, True), (AGENCY_COORDINATOR, True), (FINANCE, False), (API_READER, False)],
)
def test_person_page__no_seat__request_offered_to_requesters(login, world, role, offered):
    employee = world["staff_a"][20]
    html = login(role).get(person_url(employee)).content.decode()
    assert (reverse("web:seat-request", kwargs={"pk": employee.pk}) in html) is offered


def test_person_page__held_seat__names_the_unit_and_why(login, world, bargaining):
    # Given a seat held while the person's unit bargains
    member = world["staff_a"][5]

    # When a rollout manager opens the page
    html = login(ROLLOUT_MANAGER).get(person_url(member)).content.decode()

    # Then the page says which unit holds it, its union and status, and offers the override
    assert "Held by NAGE-U1 — NAGE Unit 1 (NAGE)." in html
    assert "is in &#x27;Bargaining&#x27;" in html
    assert seat_url("override", open_seat(member)) in html
    assert seat_url("activate", open_seat(member)) not in html


def test_person_page__provisioning_block__included_once_per_seat(login, world):
    html = login(ROLLOUT_MANAGER).get(person_url(world["staff_a"][0])).content.decode()
    assert 'data-label="Status"><span class="badge seat-active">' in html


# --- seat actions ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_MANAGERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_seat_action__not_a_manager__403_and_nothing_changes(login, world, role, action):
    # Given an active seat of AGA (the coordinator's own agency)
    seat = open_seat(world["staff_a"][0])
    client = login(role)

    # When someone who is not a rollout manager opens or posts the action, even confirmed
    got = client.get(seat_url(action, seat))
    posted = client.post(seat_url(action, seat), {"reason": "x", "confirmed": "yes"})

    # Then both are refused and the seat is as it was
    assert (got.status_code, posted.status_code) == (403, 403)
    assert Seat.objects.get(pk=seat.pk).status == "active"


def test_seat_action__unknown_seat__404(login, world):
    response = login(ROLLOUT_MANAGER).get(reverse("web:seat-suspend", kwargs={"pk": 999_999}))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("action", "person", "before", "after"),
    [
        ("approve", 4, "requested", "approved"),
        ("activate", 4, "requested", "active"),
        ("suspend", 0, "active", "suspended"),
        ("revoke", 1, "active", "revoked"),
    ],
)
def test_seat_action__manager__confirm_then_service_then_person_page(
    login, world, users, action, person, before, after
):
    # Given a seat in the state the action starts from
    employee = world["staff_a"][person]
    seat = open_seat(employee)
    assert seat.status == before
    client = login(ROLLOUT_MANAGER)

    # When the manager fills in the reason, the page first says what will happen
    first = client.post(seat_url(action, seat), {"reason": "Console test"})
    assert first.status_code == 200
    assert "What will happen" in first.content.decode()
    assert Seat.objects.get(pk=seat.pk).status == before

    # And when they confirm, the seat moves, the event records who and why, and the browser is
    # sent to the person's page
    done = client.post(seat_url(action, seat), {"reason": "Console test", "confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == person_url(employee) + "#seats"
    seat.refresh_from_db()
    assert seat.status == after
    event = seat.events.order_by("-at", "-id").first()
    assert (event.to_status, event.actor, event.reason) == (
        after,
        users[ROLLOUT_MANAGER],
        "Console test",
    )


def test_seat_action__suspended_then_reactivated__active_again(login, world):
    seat = open_seat(world["staff_a"][2])
    client = login(ROLLOUT_MANAGER)
    client.post(seat_url("suspend", seat), {"reason": "Leave", "confirmed": "yes"})
    response = client.post(seat_url("reactivate", seat), {"reason": "Back", "confirmed": "yes"})
    assert response.status_code == 302
    assert Seat.objects.get(pk=seat.pk).status == "active"


def test_seat_action__no_reason__400_opens_at_the_error_summary(login, world):
    seat = open_seat(world["staff_a"][0])
    response = login(ROLLOUT_MANAGER).post(seat_url("suspend", seat), {"reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="errors"' in html and 'href="#id_reason"' in html
    assert f'action="{seat_url("suspend", seat)}#errors"' in html
    assert html.count('class="field-error"') == 1
    assert Seat.objects.get(pk=seat.pk).status == "active"


def test_seat_action__refused_by_the_service__409_with_its_words(login, world):
    # Given an active seat: it cannot be approved
    seat = open_seat(world["staff_a"][0])

    # When a manager confirms an approval anyway (a stale page)
    response = login(ROLLOUT_MANAGER).post(
        seat_url("approve", seat), {"reason": "stale", "confirmed": "yes"}
    )

    # Then the service's refusal is shown and nothing changes
    assert response.status_code == 409
    assert f"Seat {seat.pk} is active; it cannot become approved." in response.content.decode()
    assert Seat.objects.get(pk=seat.pk).status == "active"


# --- the bargaining-hold override -------------------------------------------------------------


def test_override__manager_with_reason__activated_and_recorded_as_override(
    login, world, users, bargaining
):
    # Given a seat held for NAGE-U1's bargaining
    member = world["staff_a"][5]
    seat = open_seat(member)
    client = login(ROLLOUT_MANAGER)

    # When the manager writes why and reviews the override
    preview = client.post(seat_url("override", seat), {"reason": "Agreed with NAGE on 1 Dec"})

    # Then the confirmation warns that it overrides the hold, with the unit named on the page
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "This overrides a bargaining hold." in html
    assert "NAGE-U1 (NAGE) is in &#x27;Bargaining&#x27;" in html
    assert "Headroom under the ceiling" in html

    # And when confirmed, the seat is active and its event says it was an override, by whom
    done = client.post(
        seat_url("override", seat), {"reason": "Agreed with NAGE on 1 Dec", "confirmed": "yes"}
    )
    assert done.status_code == 302
    seat.refresh_from_db()
    assert seat.status == "active"
    event = seat.events.order_by("-at", "-id").first()
    assert event.reason == "Override of bargaining hold: Agreed with NAGE on 1 Dec"
    assert event.actor == users[ROLLOUT_MANAGER]


def test_override__no_reason__400_and_still_held(login, world, bargaining):
    seat = open_seat(world["staff_a"][5])
    response = login(ROLLOUT_MANAGER).post(
        seat_url("override", seat), {"reason": "", "confirmed": "yes"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Seat.objects.get(pk=seat.pk).status == "held"


def test_activate__held_seat_without_override__409_names_the_unit(login, world, bargaining):
    seat = open_seat(world["staff_a"][5])
    response = login(ROLLOUT_MANAGER).post(
        seat_url("activate", seat), {"reason": "try", "confirmed": "yes"}
    )
    assert response.status_code == 409
    assert "NAGE-U1 (NAGE) is in &#x27;Bargaining&#x27;" in response.content.decode()
    assert Seat.objects.get(pk=seat.pk).status == "held"


# --- a seat request for one person ------------------------------------------------------------


def request_url(employee) -> str:
    return reverse("web:seat-request", kwargs={"pk": employee.pk})


def test_seat_request__coordinator_own_person__requested_and_recorded(login, world, users):
    # Given a coordinator of AGA and one of AGA's people without a seat
    employee = world["staff_a"][30]
    client = login(AGENCY_COORDINATOR)

    # When they request a seat in wave 2's cohort, review and confirm
    data = {"cohort": world["cohort_a2"].pk, "reason": "Wave 2 pilot"}
    preview = client.post(request_url(employee), data)
    assert preview.status_code == 200
    assert "in wave 2 (Second)" in preview.content.decode()
    done = client.post(request_url(employee), {**data, "confirmed": "yes"})

    # Then the seat is requested in that cohort, by them, with their reason
    assert done.status_code == 302
    seat = open_seat(employee)
    assert (seat.status, seat.cohort, seat.events.get().actor) == (
        "requested",
        world["cohort_a2"],
        users[AGENCY_COORDINATOR],
    )


def test_seat_request__coordinator_other_agency__404_nothing_written(login, world):
    employee = world["staff_b"][0]
    client = login(AGENCY_COORDINATOR)
    assert client.get(request_url(employee)).status_code == 404
    response = client.post(request_url(employee), {"reason": "x", "confirmed": "yes"})
    assert response.status_code == 404
    assert Seat.objects.filter(employee=employee).count() == 1


def test_seat_request__another_agencys_cohort__400(login, world):
    employee = world["staff_a"][31]
    response = login(ROLLOUT_MANAGER).post(
        request_url(employee),
        {"cohort": world["cohort_b"].pk, "reason": "x", "confirmed": "yes"},
    )
    assert response.status_code == 400
    assert not Seat.objects.filter(employee=employee).exists()


@pytest.mark.parametrize("role", [FINANCE, API_READER, "no_role"])
def test_seat_request__role_may_not_request__403(login, world, role):
    employee = world["staff_a"][30]
    response = login(role).post(request_url(employee), {"reason": "x", "confirmed": "yes"})
    assert response.status_code == 403
    assert not Seat.objects.filter(employee=employee).exists()


def test_seat_request__member_of_a_bargaining_unit__warned_then_held(login, world, bargaining):
    employee = world["staff_a"][32]
    employee.bargaining_unit = bargaining
    employee.save()
    client = login(ROLLOUT_MANAGER)
    preview = client.post(request_url(employee), {"reason": "x"})
    assert "The seat will be held: NAGE-U1 (NAGE)" in preview.content.decode()
    client.post(request_url(employee), {"reason": "x", "confirmed": "yes"})
    assert open_seat(employee).status == "held"


def test_seat_request__already_has_a_seat__409(login, world):
    employee = world["staff_a"][0]
    response = login(ROLLOUT_MANAGER).post(
        request_url(employee), {"reason": "x", "confirmed": "yes"}
    )
    assert response.status_code == 409
    assert "already has an open seat" in response.content.decode()


# --- seats for people selected on an agency's page ---------------------------------------------


def bulk_url(code: str = "AGA") -> str:
    return reverse("web:agency-request-seats", kwargs={"code": code})


def test_agency_page__requesters_get_tick_boxes_for_eligible_people_only(login, world):
    # Given AGA, where six people hold or wait for a seat and 54 have none
    html = login(AGENCY_COORDINATOR).get(reverse("web:agency", kwargs={"code": "AGA"}))
    html = html.content.decode()

    # Then a coordinator may tick each person without an open seat, and not the others
    assert html.count('type="checkbox" name="employee"') == 44  # 50 a page, 6 with a seat
    assert f'value="{world["staff_a"][0].pk}" id="select-' not in html
    assert f'action="{bulk_url()}#errors"' in html
    for role in (FINANCE, API_READER):
        other = login(role).get(reverse("web:agency", kwargs={"code": "AGA"})).content.decode()
        assert 'name="employee"' not in other, role


def test_bulk_request__coordinator_selection__confirmed_then_requested(login, world, users):
    # Given three of AGA's people without a seat, ticked by their coordinator
    chosen = world["staff_a"][40:43]
    data = {"employee": [e.pk for e in chosen], "reason": "Policy team pilot"}
    client = login(AGENCY_COORDINATOR)

    # When they review the requests, the confirmation lists the three and writes nothing
    preview = client.post(bulk_url(), data)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "3 seats will be requested" in html
    for e in chosen:
        assert f"{e.last_name}, {e.first_name}" in html
        assert f'name="employee" value="{e.pk}"' in html
    assert not Seat.objects.filter(employee__in=chosen).exists()

    # And when they confirm, each gets a requested seat recorded with who and why
    done = client.post(bulk_url(), {**data, "confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == reverse("web:agency", kwargs={"code": "AGA"}) + "#people"
    events = SeatEvent.objects.filter(seat__employee__in=chosen)
    assert sorted(e.to_status for e in events) == ["requested"] * 3
    assert {(e.actor, e.reason) for e in events} == {
        (users[AGENCY_COORDINATOR], "Policy team pilot")
    }


def test_bulk_request__another_agencys_id_among_them__404_nothing_written(login, world):
    # Given a coordinator of AGA who slips an AGB employee's id into the selection
    mine, theirs = world["staff_a"][44], world["staff_b"][0]
    data = {"employee": [mine.pk, theirs.pk], "reason": "x", "confirmed": "yes"}

    # When they post it
    response = login(AGENCY_COORDINATOR).post(bulk_url(), data)

    # Then it is 404, as a missing person would be, and no seat is requested for anyone
    assert response.status_code == 404
    assert not Seat.objects.filter(employee=mine).exists()


def test_bulk_request__another_agencys_page__404(login, world):
    data = {"employee": [world["staff_b"][0].pk], "reason": "x", "confirmed": "yes"}
    client = login(AGENCY_COORDINATOR)
    assert client.post(bulk_url("AGB"), data).status_code == 404
    assert client.get(bulk_url("AGB")).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "-1", "999999"])
def test_bulk_request__malformed_or_unknown_id__404(login, world, bad):
    response = login(ROLLOUT_MANAGER).post(bulk_url(), {"employee": [bad], "reason": "x"})
    assert response.status_code == 404


def test_bulk_request__nobody_ticked__400_one_message_per_field(login, world):
    response = login(AGENCY_COORDINATOR).post(bulk_url(), {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="errors"' in html
    assert "Tick at least one person to request a seat for." in html
    assert 'href="#id_employee"' in html and 'href="#id_reason"' in html
    assert html.count('class="field-error"') == 2


def test_bulk_request__one_already_has_a_seat__409_and_none_written(login, world):
    # Given a selection where one person already holds a seat (ticked on a stale page)
    fresh, taken = world["staff_a"][45], world["staff_a"][0]
    data = {"employee": [fresh.pk, taken.pk], "reason": "x", "confirmed": "yes"}

    # When it is confirmed
    response = login(ROLLOUT_MANAGER).post(bulk_url(), data)

    # Then the service's refusal is shown and the other request is not written either
    assert response.status_code == 409
    assert "already has an open seat" in response.content.decode()
    assert not Seat.objects.filter(employee=fresh).exists()


@pytest.mark.parametrize("role", [FINANCE, API_READER, "no_role"])
def test_bulk_request__role_may_not_request__403(login, world, role):
    data = {"employee": [world["staff_a"][46].pk], "reason": "x", "confirmed": "yes"}
    assert login(role).post(bulk_url(), data).status_code == 403
    assert not Seat.objects.filter(employee=world["staff_a"][46]).exists()


def test_agency_page__cohort_progress__active_seats_against_quota(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:agency", kwargs={"code": "AGA"}))
    html = html.content.decode()
    assert "4 of 50 seats active (8% of the quota); 2 requested, approved or held" in html


def test_bulk_request__reloaded_as_a_get__a_page_not_a_405(login, world):
    # Given the address of a selection's form, opened (or reloaded) with a GET
    ticked = world["staff_a"][47]
    response = login(AGENCY_COORDINATOR).get(bulk_url(), {"employee": ticked.pk})

    # Then it is the form, the person ticked, not a 405
    assert response.status_code == 200
    assert f'value="{ticked.pk}"' in response.content.decode()
    assert login(AGENCY_COORDINATOR).get(bulk_url()).status_code == 200
