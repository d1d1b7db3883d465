"""Seat changes told to the rest of the world through the outbox (core/outbox.py).

Every `SeatEvent` the seat services write is mirrored, in the same transaction, by one outbox
event `seat.status_changed`, so vendor provisioning and notifications hear of exactly the
changes that committed. The payload carries ids and statuses only: whoever needs a name or an
email reads it from the database under its own permissions.

A ceiling refusal is told too (`cost.activation_refused`): the refusal rolls its own change
back, so `announces_ceiling_refusal` writes the event after the rollback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.db import transaction

from config.errors import BusinessRuleError
from core.models import Event
from core.outbox import event_emit, events_emit

from ..models import Contract, Seat, SeatEvent

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


COST_ACTIVATION_REFUSED = "cost.activation_refused"


def activation_refusal_announce(
    *,
    contract: Contract,
    refused: int,
    requested: int,
    headroom_seats: int | None,
    seat: Seat | None = None,
    cohort_id: int | None = None,
    agency_id: int | None = None,
    job_id: int | None = None,
    actor=None,
) -> None:
    """Write one `cost.activation_refused` event: `refused` of `requested` seats did not fit
    under the contract's ceiling. Contract-wide (the headroom is a contract figure)."""
    event_emit(
        type=COST_ACTIVATION_REFUSED,
        subject=f"contract:{contract.pk}",
        payload={
            "contract": contract.pk,
            "seat": seat.pk if seat is not None else None,
            "cohort": cohort_id,
            "agency": agency_id,
            "job": job_id,
            "requested": requested,
            "refused": refused,
            "headroom_seats": headroom_seats,
            "ceiling": str(contract.ceiling_amount),
        },
        actor=actor,
    )


def announces_ceiling_refusal(service: Callable[..., Seat]) -> Callable[..., Seat]:
    """Wrap a single-seat activation so that a ceiling refusal is told to the world. The
    refusal rolls the activation's transaction back, event included, so the event is written
    after the rollback in a transaction of its own, and the refusal is raised on unchanged.
    (Called inside a caller's transaction, the event joins it and shares its fate.)"""

    @functools.wraps(service)
    def wrapper(*, seat: Seat, actor=None, **kwargs) -> Seat:
        try:
            return service(seat=seat, actor=actor, **kwargs)
        except BusinessRuleError as exc:
            if exc.code == "ceiling_reached":
                with transaction.atomic():
                    refused = Seat.objects.select_related("contract").get(pk=seat.pk)
                    activation_refusal_announce(
                        contract=refused.contract,
                        refused=exc.context.get("requested", 1),
                        requested=exc.context.get("requested", 1),
                        headroom_seats=exc.context.get("headroom_seats"),
                        seat=refused,
                        cohort_id=refused.cohort_id,
                        agency_id=refused.agency_id,
                        actor=actor if getattr(actor, "pk", None) else None,
                    )
            raise

    return wrapper
