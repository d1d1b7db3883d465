"""What a separation means for seats, shared by both roster import paths."""

from __future__ import annotations

from collections.abc import Iterable

from licensing.choices import SeatStatus
from licensing.models import Seat
from licensing.services.seats import seats_move_bulk

CHUNK = 5000


def revoke_separated_seats(*, employee_ids: Iterable[int], actor, reason: str, job) -> int:
    """Revoke every open seat of these (separated) employees through `seats_move_bulk`: one
    `SeatEvent` each, naming `job`, and a cost recompute on commit. Returns how many moved."""
    ids = list(employee_ids)
    moved = 0
    for start in range(0, len(ids), CHUNK):
        seats = Seat.objects.filter(employee_id__in=ids[start : start + CHUNK]).exclude(
            status=SeatStatus.REVOKED
        )
        moved += len(
            seats_move_bulk(
                seats=seats, to_status=SeatStatus.REVOKED, actor=actor, reason=reason, job=job
            )
        )
    return moved
