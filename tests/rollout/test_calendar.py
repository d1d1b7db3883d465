"""The onboarding calendar feed: who may read it, and what is in it."""

import datetime as dt

import pytest
from icalendar import Calendar

from config.roles import AGENCY_COORDINATOR
from rollout.calendar import calendar_url_query
from rollout.services import calendar_link_rotate
from tests.factories import AgencyFactory, CohortFactory, UserFactory, WaveFactory
from tests.rollout.builders import manager, person

pytestmark = pytest.mark.urls("tests.rollout.urls")
URL = "/rollout/calendar.ics"


@pytest.fixture
def plan(db):
    """Wave 5 (1–31 March) with EOHHS onboarding on 9 March, and a cancelled wave 6."""
    wave = WaveFactory(
        number=5,
        name="Health and human services",
        status="approved",
        planned_start=dt.date(2026, 3, 1),
        planned_end=dt.date(2026, 3, 31),
    )
    cohort = CohortFactory(
        wave=wave, agency=AgencyFactory(code="EOHHS"), onboarding_date=dt.date(2026, 3, 9)
    )
    dropped = WaveFactory(number=6, status="cancelled", contract=wave.contract)
    return wave, cohort, dropped


def events(response):
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_calendar__logged_in__every_wave_window_and_onboarding_day(client, plan):
    # Given a logged-in rollout manager
    wave, cohort, dropped = plan
    client.force_login(manager())

    # When they fetch the feed
    response = client.get(URL)

    # Then it is an ICS calendar
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    # With the cohort's onboarding day as an all-day event under a stable UID
    onboarding = found[f"cohort-{cohort.pk}@seatplan"]
    assert str(onboarding["SUMMARY"]) == "EOHHS onboarding — Wave 5"
    assert onboarding.decoded("DTSTART") == dt.date(2026, 3, 9)
    assert onboarding.decoded("DTEND") == dt.date(2026, 3, 10)
    # And the wave's window, its all-day end exclusive
    window = found[f"wave-{wave.pk}@seatplan"]
    assert str(window["SUMMARY"]) == "Wave 5: Health and human services"
    assert window.decoded("DTSTART") == dt.date(2026, 3, 1)
    assert window.decoded("DTEND") == dt.date(2026, 4, 1)
    assert str(window["STATUS"]) == "CONFIRMED"
    # And a cancelled wave stays in the feed as cancelled, so subscribers see it go
    assert str(found[f"wave-{dropped.pk}@seatplan"]["STATUS"]) == "CANCELLED"


def test_calendar__uids__stable_between_fetches(client, plan):
    client.force_login(manager())
    assert set(events(client.get(URL))) == set(events(client.get(URL)))


def test_calendar__personal_link__no_login_needed(client, plan):
    # Given a calendar client with a user's personal link and no session
    user = manager("eotss.staff")

    # When it fetches the feed
    response = client.get(f"{URL}?{calendar_url_query(calendar_link_rotate(user=user))}")

    # Then it gets the calendar
    assert response.status_code == 200
    assert len(events(response)) == 3


@pytest.mark.parametrize(
    "query", ["token=forged", "token=", "token={token}x", "token=" + "a" * 300]
)
def test_calendar__wrong_token__forbidden(client, plan, query):
    # Given a token that is no link's
    token = calendar_link_rotate(user=UserFactory(username="eotss.staff"))

    # Then the feed refuses it
    assert client.get(f"{URL}?{query.format(token=token)}").status_code == 403


def test_calendar__anonymous_without_token__sent_to_log_in(client, plan):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_calendar__post__not_allowed(client, plan):
    client.force_login(UserFactory())
    assert client.post(URL).status_code == 405


def test_calendar__coordinator__own_cohorts_and_their_waves_only(client, plan):
    # Given a coordinator of DPH, whose one cohort is in wave 7, beside EOHHS in wave 5
    wave = plan[0]
    dph = AgencyFactory(code="DPH")
    own_wave = WaveFactory(number=7, contract=wave.contract)
    own = CohortFactory(wave=own_wave, agency=dph)
    coordinator = person("dph.coordinator", AGENCY_COORDINATOR)
    coordinator.coordinated_agencies.create(agency=dph)

    # When their calendar app reads their personal link
    token = calendar_link_rotate(user=coordinator)
    found = events(client.get(f"{URL}?{calendar_url_query(token)}"))

    # Then it holds their cohort and its wave, as the timeline page would show them
    assert set(found) == {f"cohort-{own.pk}@seatplan", f"wave-{own_wave.pk}@seatplan"}


def test_calendar__account_without_a_role__empty_calendar(client, plan):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 200
    assert events(response) == {}
