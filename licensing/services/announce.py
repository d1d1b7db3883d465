"""Seat changes told to the rest of the world through the outbox (core/outbox.py).

Every `SeatEvent` the seat services write is mirrored, in the same transaction, by one outbox
event `seat.status_changed`, so vendor provisioning and notifications hear of exactly the
changes that committed. The payload carries ids and statuses only: whoever needs a name or an
email reads it from the database under its own permissions.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.models import Event
from core.outbox import events_emit

from ..models import SeatEvent

SEAT_STATUS_CHANGED = "seat.status_changed"


def seat_changes_announce(events: Iterable[SeatEvent]) -> None:
    """Write one `seat.status_changed` outbox event per seat event (one insert for a batch)."""
    events_emit(
        [
            Event(
                type=SEAT_STATUS_CHANGED,
                subject=f"seat:{event.seat_id}",
                payload={
                    "seat": event.seat_id,
                    "contract": event.contract_id,
                    "employee": event.seat.employee_id,
                    "agency": event.agency_id,
                    "cohort": event.cohort_id,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "at": event.at.isoformat(),
                    "job": event.job_id,
                },
                agency_ids=[event.agency_id],
                actor_id=event.actor_id,
                created_at=event.at,
            )
            for event in events
        ]
    )
