"""The outbox: an event exists exactly when its cause committed, and every consumer receives each
event once, whatever the number of dispatch runs."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import Event
from core.outbox import event_emit, events_dispatch, events_dispatch_all, events_emit

pytestmark = pytest.mark.django_db(transaction=True)

received: list[tuple[int, str]] = []


def recording_consumer(events):
    received.extend((event.pk, event.type) for event in events)


def failing_consumer(events):
    raise RuntimeError("consumer down")


@pytest.fixture
def consumers(settings):
    received.clear()
    settings.OUTBOX_CONSUMERS = ["tests.core.test_outbox.recording_consumer"]
    return settings


def test_event_emit__committed__dispatched_once_to_each_consumer(consumers):
    # Given an event written in a committed transaction (eager Celery dispatches on commit)
    with transaction.atomic():
        event = event_emit(type="wave.status_changed", subject="wave:1", payload={"to": "paused"})

    # Then the consumer got it once, it is marked dispatched, and a second run hands out nothing
    assert received == [(event.pk, "wave.status_changed")]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert events_dispatch() == 0
    assert received == [(event.pk, "wave.status_changed")]


def test_event_emit__rolled_back__no_event_and_nothing_dispatched(consumers):
    # Given a change that fails after writing its event
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(type="seat.status_changed", subject="seat:1")
        raise RuntimeError("the change itself failed")

    # Then there is no event and no consumer heard of one
    assert Event.objects.count() == 0
    assert received == []


def test_events_dispatch__consumer_raises__batch_kept_for_the_next_run(consumers):
    # Given a consumer that fails while the events are handed out
    consumers.OUTBOX_CONSUMERS = ["tests.core.test_outbox.failing_consumer"]
    with transaction.atomic():
        events_emit([Event(type="job.finished", subject=f"job:{n}") for n in range(3)])

    # Then the change that emitted them still committed, nothing is marked dispatched, and a
    # later run with a healthy consumer delivers all three
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 3
    consumers.OUTBOX_CONSUMERS = ["tests.core.test_outbox.recording_consumer"]
    assert events_dispatch_all() == 3
    assert [kind for _, kind in received] == ["job.finished"] * 3


def test_events_emit__agency_scope__stored_sorted_and_unique(consumers):
    with transaction.atomic():
        (event,) = events_emit(
            [Event(type="seat.status_changed", subject="seat:9", agency_ids=[3, 1, 3])]
        )

    event.refresh_from_db()
    assert event.agency_ids == [1, 3]
