"""Who may hear of an event and what of it: the API's roles and agency scope, applied to the
person behind a subscription. Personal fields are cut for a role that may not read them."""

from __future__ import annotations

import pytest

from config.roles import API_READER, FINANCE
from core.models import Event
from notifications import audience as audience_module
from notifications.audience import audience_of
from notifications.catalog import EventType
from tests.factories import AgencyFactory

from .conftest import person

pytestmark = pytest.mark.django_db

# A type with a personal field, as a future emitter might declare one.
WITH_NAME = EventType(
    "seat.named",
    "Seat named",
    "test",
    {"seat": "id", "name": "the employee's name"},
    personal=frozenset({"name"}),
)


@pytest.fixture
def named(monkeypatch):
    monkeypatch.setattr(audience_module, "event_type", lambda name: WITH_NAME)


def test_payload__api_reader__personal_field_cut(reader, named):
    event = Event(type="seat.named", payload={"seat": 1, "name": "Ann Lee"}, agency_ids=[1])

    assert audience_of(reader).payload(event) == {"seat": 1}


def test_payload__finance__personal_field_kept(finance, named):
    event = Event(type="seat.named", payload={"seat": 1, "name": "Ann Lee"}, agency_ids=[1])

    assert audience_of(finance).payload(event) == {"seat": 1, "name": "Ann Lee"}


def test_payload__coordinator__personal_only_for_their_own_agencies(coordinator_of, named):
    mine, other = AgencyFactory(), AgencyFactory()
    coordinator = coordinator_of(mine)
    own = Event(type="seat.named", payload={"seat": 1, "name": "A"}, agency_ids=[mine.pk])
    shared = Event(
        type="seat.named", payload={"seat": 2, "name": "B"}, agency_ids=[mine.pk, other.pk]
    )

    assert audience_of(coordinator).payload(own) == {"seat": 1, "name": "A"}
    assert audience_of(coordinator).payload(shared) == {"seat": 2}


def test_may_see__inactive_or_roleless_user__nothing(roles):
    gone = person("gone", FINANCE)
    gone.is_active = False
    nobody = person("nobody")
    event = Event(type="wave.status_changed", payload={}, agency_ids=[])

    assert not audience_of(gone).may_see(event)
    assert not audience_of(nobody).may_see(event)
    assert audience_of(person("reads", API_READER)).may_see(event)
