"""Seat events written with only the design's fields (seat, statuses, time, actor, reason): what
the services set besides, filled in here so such a writer (a script, a fixture, a data fix) still
leaves whole, consistent rows. The services write whole events and never come through here."""

from __future__ import annotations

from django.db import models
from django.db.models import OuterRef, Subquery


class SeatEventManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        plain = fill_plain_events(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        if plain:
            sync_seat_moments(plain)
        return created


def fill_plain_events(events) -> set[int]:
    """Fill each event's `from_at` (the time of its seat's previous event, stored or in this
    batch) and its seat's contract, agency and cohort where left out. Returns the seats of the
    events that lacked the seat's keys: a writer that did not know them did not keep
    `Seat.status_changed_at` either (see `sync_seat_moments`)."""
    _fill_from_at(events)
    missing = [e for e in events if e.contract_id is None or e.agency_id is None]
    if not missing:
        return set()
    from .models import Seat

    keys = {
        pk: (contract, agency, cohort)
        for pk, contract, agency, cohort in Seat.objects.filter(
            pk__in={e.seat_id for e in missing}
        ).values_list("pk", "contract_id", "agency_id", "cohort_id")
    }
    for event in missing:
        if event.seat_id not in keys:
            continue  # no such seat: the insert's foreign key check says so
        contract, agency, cohort = keys[event.seat_id]
        event.contract_id, event.agency_id = contract, agency
        if event.cohort_id is None:
            event.cohort_id = cohort
    return {e.seat_id for e in missing}


def sync_seat_moments(seat_ids: set[int]) -> None:
    """Set each seat's `status_changed_at` to its latest event's time: billing reads a seat
    active now as open since that moment."""
    from .models import Seat, SeatEvent

    latest = SeatEvent.objects.filter(seat_id=OuterRef("pk")).order_by("-at", "-id")
    Seat.objects.filter(pk__in=seat_ids).update(status_changed_at=Subquery(latest.values("at")[:1]))


def _fill_from_at(events) -> None:
    need = [e for e in events if e.from_status and e.from_at is None and e.at is not None]
    if not need:
        return
    from .models import SeatEvent

    seats = {e.seat_id for e in need}
    earlier: dict[int, list] = {}
    stored = SeatEvent.objects.filter(seat_id__in=seats).values_list("seat_id", "at")
    for seat_id, when in [*stored, *((e.seat_id, e.at) for e in events if e.seat_id in seats)]:
        if when is not None:
            earlier.setdefault(seat_id, []).append(when)
    for event in need:
        before = [when for when in earlier[event.seat_id] if when < event.at]
        if before:
            event.from_at = max(before)
