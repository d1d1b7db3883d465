"""The one outbox: services write events in their own transaction; one dispatcher fans each
event out to the consumers named in `settings.OUTBOX_CONSUMERS`.

Why an outbox: a seat activated in Seatplan must reach the vendor's workspace, and a threshold
crossed must reach finance, but nothing may be sent from inside a request or a row lock, and a
lost broker message must not lose the intent. So the cause and its event commit together, and
delivery happens later, from the database, as often as needed:

- `event_emit` / `events_emit` insert `Event` rows inside the caller's transaction and ask, on
  commit, for one coalesced dispatch (a rolled-back change emits nothing).
- `events_dispatch` takes a batch of undispatched events (row-locked, `SKIP LOCKED`, so two
  dispatchers never hand out the same event), calls every consumer with the batch inside the same
  transaction, and marks the batch dispatched. A consumer records its own delivery rows there
  (unique by event and target, so a repeated batch adds nothing) and queues its own delivery
  tasks on commit. A consumer that raises rolls the whole batch back: it is tried again later.
- Beat runs the dispatcher every minute as a safety net for lost messages.

A consumer is a callable `accept(events: list[Event]) -> None`, named by its dotted path in
`settings.OUTBOX_CONSUMERS`; this module imports no app.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from functools import cache as memoize

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Event

log = logging.getLogger(__name__)

DISPATCH_BATCH = 500
SCHEDULED_KEY = "outbox:dispatch-scheduled"
SCHEDULED_TTL = 60  # seconds: a lost dispatch message's marker expires; beat runs every minute


def event_emit(
    *,
    type: str,
    subject: str,
    payload: dict | None = None,
    agency_ids: Iterable[int] = (),
    actor=None,
) -> Event:
    """Record one event in the current transaction and ask for its dispatch on commit."""
    event = Event.objects.create(
        type=type,
        subject=subject,
        payload=payload or {},
        agency_ids=sorted(set(agency_ids)),
        actor=actor if actor is not None and actor.pk else None,
    )
    outbox_dispatch_request()
    return event


def events_emit(events: list[Event]) -> list[Event]:
    """Record many unsaved events in one insert (a cohort job's batch) and ask for dispatch.
    Returns them, saved, with their ids."""
    if not events:
        return []
    for event in events:
        event.agency_ids = sorted(set(event.agency_ids or ()))
    if connection.vendor == "postgresql" and len(events) >= COPY_FROM:
        created = _events_copy(events)
    else:
        created = Event.objects.bulk_create(events)
    outbox_dispatch_request()
    return created


# A cohort batch writes 1,000 events inside the activation's transaction. Through the ORM's
# multi-row INSERT that added a third to the activation (docs/benchmarks.md, "vendor
# provisioning"): psycopg parses a 7,000-parameter statement. PostgreSQL's COPY takes the rows
# as one stream, with ids drawn from the table's own sequence first, so the events come back
# saved exactly as bulk_create returns them.
COPY_FROM = 50
_COPY_COLUMNS = (
    "id",
    "type",
    "subject",
    "payload",
    "agency_ids",
    "actor_id",
    "created_at",
    "dispatched_at",
)


def _events_copy(events: list[Event]) -> list[Event]:
    encoder = Event._meta.get_field("payload").encoder()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Event._meta.db_table, len(events)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        statement = f"COPY {Event._meta.db_table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for pk, event in zip(ids, events, strict=True):
                copy.write_row(
                    (
                        pk,
                        event.type,
                        event.subject,
                        encoder.encode(event.payload),
                        json.dumps(event.agency_ids),
                        event.actor_id,
                        event.created_at,
                        event.dispatched_at,
                    )
                )
    for pk, event in zip(ids, events, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias
    return events


def outbox_dispatch_request() -> None:
    """Ask for a dispatch once the current transaction commits; many asks in a burst coalesce
    into one task (the marker lives in the shared cache)."""
    transaction.on_commit(_schedule, robust=True)


def _schedule() -> None:
    from .tasks import dispatch_events_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        dispatch_events_task.apply()
        return
    try:
        if cache.add(SCHEDULED_KEY, 1, timeout=SCHEDULED_TTL):
            dispatch_events_task.apply_async(countdown=1)
    except Exception:
        # The events are committed; beat's sweep dispatches them.
        with contextlib.suppress(Exception):
            cache.delete(SCHEDULED_KEY)
        log.warning("outbox dispatch not queued (cache or broker unreachable); beat will run it")


@memoize
def _consumer(path: str):
    return import_string(path)


def outbox_consumers() -> list:
    return [_consumer(path) for path in settings.OUTBOX_CONSUMERS]


def events_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Hand one batch of undispatched events to every consumer and mark it dispatched, in one
    transaction. Returns the number of events handed out (0 when none was waiting)."""
    with transaction.atomic():
        pending = Event.objects.filter(dispatched_at__isnull=True).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        batch = list(pending[:limit])
        if not batch:
            return 0
        for consumer in outbox_consumers():
            consumer(batch)
        Event.objects.filter(pk__in=[event.pk for event in batch]).update(
            dispatched_at=timezone.now()
        )
    return len(batch)


def events_dispatch_all(*, max_batches: int = 100) -> int:
    """Dispatch until nothing waits (bounded, so one run cannot hold a worker for ever)."""
    total = 0
    for _ in range(max_batches):
        handed = events_dispatch()
        total += handed
        if handed < DISPATCH_BATCH:
            break
    return total
