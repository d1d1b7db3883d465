"""The onboarding calendar as an ICS feed: every cohort's onboarding day and every wave's window,
as all-day events a calendar client subscribes to.

Each reader gets the waves and cohorts the timeline page shows them: everything for the roles
that read every agency, their own agencies' cohorts (and the waves holding them) for a
coordinator, nothing for an account without a role.

Calendar clients cannot log in, so besides a logged-in session the feed accepts a personal link,
`?token=<token>`: a random token (256 bits) of which the database keeps only a SHA-256 hash
(`rollout.models.CalendarLink`). The owner makes the link on the timeline page, which shows it
once; making a new one ends the old. An administrator revokes links in the admin. A password
change or a deactivation ends the link, and a reactivated account starts without one.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from config.api.permissions import agency_scope_of

from .choices import CohortStatus, WaveStatus
from .models import Cohort, Wave
from .selectors import calendar_link_owner, calendar_waves

_UID_DOMAIN = "seatplan"


def calendar_url_query(token: str) -> str:
    """The query string of a personal calendar link."""
    return urlencode({"token": token})


def _status(wave: Wave) -> str:
    if wave.status == WaveStatus.CANCELLED:
        return "CANCELLED"
    return "TENTATIVE" if wave.status == WaveStatus.PLANNED else "CONFIRMED"


def _wave_event(wave: Wave, stamp) -> Event:
    event = Event()
    event.add("uid", f"wave-{wave.pk}@{_UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", f"Wave {wave.number}: {wave.name}")
    event.add("dtstart", wave.planned_start)
    # All-day DTEND is exclusive: the day after the wave's last planned day.
    event.add("dtend", wave.planned_end + dt.timedelta(days=1))
    agencies = ", ".join(c.agency.code for c in wave.cohorts.all()) or "no agencies yet"
    event.add(
        "description",
        f"{wave.contract.name} ({wave.contract.number}), {wave.get_status_display().lower()}: "
        f"{agencies}.",
    )
    event.add("status", _status(wave))
    return event


def _cohort_event(cohort: Cohort, wave: Wave, stamp) -> Event:
    event = Event()
    event.add("uid", f"cohort-{cohort.pk}@{_UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", f"{cohort.agency.code} onboarding — Wave {wave.number}")
    event.add("dtstart", cohort.onboarding_date)
    event.add("dtend", cohort.onboarding_date + dt.timedelta(days=1))
    event.add(
        "description",
        f"{cohort.agency.name}: {cohort.seat_quota:,} seats, cohort "
        f"{cohort.get_status_display().lower()}, wave {wave.number} ({wave.name}) "
        f"{wave.get_status_display().lower()}.",
    )
    event.add("status", "CANCELLED" if cohort.status == CohortStatus.CANCELLED else _status(wave))
    return event


def onboarding_ics(agency_ids: frozenset[int] | None = None) -> bytes:
    """The calendar as ICS bytes: every wave and cohort, or only what `agency_ids` may see."""
    cal = Calendar()
    cal.add("prodid", "-//EOTSS//Seatplan onboarding calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Seatplan onboarding")
    stamp = timezone.now()
    for wave in calendar_waves(agency_ids):
        cal.add_component(_wave_event(wave, stamp))
        for cohort in wave.cohorts.all():
            cal.add_component(_cohort_event(cohort, wave, stamp))
    return cal.to_ical()


@require_GET
def onboarding_calendar(request: HttpRequest) -> HttpResponse:
    """GET /rollout/calendar.ics: for a logged-in user, or with a personal link's `token`.
    Without either a browser is sent to log in; an unknown, revoked or dead token is refused
    (the same answer for each)."""
    user = request.user if request.user.is_authenticated else None
    if user is None and "token" in request.GET:
        user = calendar_link_owner(request.GET["token"])
        if user is None:
            return HttpResponseForbidden("This calendar link is not valid.")
    if user is None:
        return redirect_to_login(request.get_full_path())
    # The same agencies as the timeline page: a coordinator's feed holds their own cohorts.
    scope = agency_scope_of(user)
    response = HttpResponse(
        onboarding_ics(scope.agency_ids), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="seatplan-onboarding.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
