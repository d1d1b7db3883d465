"""Private calendar links (issue 14, item 5): stored hashed, made anew by their owner from the
timeline page (the console kit's form → confirmation → service → redirect), revoked by an
administrator, and dead after a password change and after a deactivation, for good."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rollout.models import CalendarLink
from rollout.services import calendar_link_rotate
from rollout.services.calendar_links import token_hash
from tests.factories import UserFactory, WaveFactory
from tests.rollout.builders import manager

pytestmark = pytest.mark.django_db
FEED = "/rollout/calendar.ics"
TIMELINE = "/rollout/timeline/"
ROTATE = "/rollout/calendar/link/"


def _feed(token: str) -> int:
    return Client().get(FEED, {"token": token}).status_code


def _shown_link(html: str) -> str | None:
    found = re.search(r'id="calendar-link" readonly value="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_calendar_link__stored__only_as_a_hash():
    # Given a new link
    user = manager("eotss.staff")
    token = calendar_link_rotate(user=user)

    # Then the database holds its SHA-256 and nothing from which it could be rebuilt
    link = CalendarLink.objects.get(user=user)
    assert link.token_hash == token_hash(token) != token
    assert token not in str(CalendarLink.objects.filter(pk=link.pk).values().first())
    assert _feed(token) == 200


def test_calendar_link__owner_rotates_from_the_timeline__old_dead_new_shown_once():
    # Given a rollout manager with a link, on the timeline
    WaveFactory(number=1)
    user = manager("eotss.staff")
    old = calendar_link_rotate(user=user)
    client = Client()
    client.force_login(user)
    page = client.get(TIMELINE).content.decode()
    assert f'action="{ROTATE}"' in page and _shown_link(page) is None

    # When they make a new one: the form asks to confirm, saying the old one stops working
    confirm = client.post(ROTATE)
    assert confirm.status_code == 200
    assert "stops working" in confirm.content.decode()
    done = client.post(ROTATE, {"confirmed": "yes"})

    # Then they are sent to the timeline, which shows the new link this once
    assert done.status_code == 302 and done["Location"].startswith(TIMELINE)
    url = _shown_link(client.get(TIMELINE).content.decode())
    assert url is not None and "token=" in url
    new = url.split("token=", 1)[1]
    assert _shown_link(client.get(TIMELINE).content.decode()) is None
    # And the old link is dead, the new one works
    assert (_feed(old), _feed(new)) == (403, 200)


def test_calendar_link__first_link__made_without_a_confirmation():
    user = manager("new.person")
    client = Client()
    client.force_login(user)

    response = client.post(ROTATE)

    assert response.status_code == 302
    assert CalendarLink.objects.filter(user=user).exists()


def test_calendar_link__get_the_form__console_page():
    client = Client()
    client.force_login(manager("eotss.staff"))

    assert client.get(ROTATE).status_code == 200


def test_calendar_link__administrator_revokes__dead():
    # Given a person's link, and an administrator in the admin
    token = calendar_link_rotate(user=manager("eotss.staff"))
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    link = CalendarLink.objects.get()

    # When the administrator revokes it with the admin action
    response = client.post(
        "/admin/rollout/calendarlink/",
        {"action": "revoke", "_selected_action": [link.pk]},
    )

    # Then the link is dead
    assert response.status_code == 302
    assert _feed(token) == 403
    assert not CalendarLink.objects.exists()


def test_calendar_link__password_changed__dead():
    # Given a link
    user = manager("eotss.staff")
    token = calendar_link_rotate(user=user)

    # When the password changes
    user.set_password("a-brand-new-long-password")
    user.save()

    # Then the link is dead
    assert _feed(token) == 403


def test_calendar_link__password_changed_behind_the_models_back__dead():
    # A bulk update fires no signal; the link's password fingerprint no longer matches.
    user = manager("eotss.staff")
    token = calendar_link_rotate(user=user)
    user.set_password("a-brand-new-long-password")
    get_user_model().objects.filter(pk=user.pk).update(password=user.password)

    assert _feed(token) == 403


def test_calendar_link__deactivated_then_reactivated__still_dead():
    # Given a link, and the account deactivated
    user = manager("left.the.agency")
    token = calendar_link_rotate(user=user)
    user.is_active = False
    user.save()
    assert _feed(token) == 403

    # When the account is reactivated
    user.is_active = True
    user.save()

    # Then the old link does not come back
    assert _feed(token) == 403
    assert not CalendarLink.objects.filter(user=user).exists()


def test_calendar_link__signing_in__does_not_end_it():
    # The last_login update at every sign-in is a save of the user: the link survives it.
    user = manager("eotss.staff")
    user.set_password("a-long-and-correct-password")
    user.save()
    token = calendar_link_rotate(user=user)

    assert Client().login(username="eotss.staff", password="a-long-and-correct-password")
    assert _feed(token) == 200
