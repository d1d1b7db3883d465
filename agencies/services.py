"""Writes of the agencies app: a bargaining unit's status, and the seat holds that follow it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from licensing.choices import SeatStatus
from licensing.models import Seat
from licensing.services.seats import seats_move_bulk

from .choices import BargainingStatus
from .models import BargainingUnit


def _joined(*parts: str) -> str:
    return "; ".join(p.strip() for p in parts if p and p.strip())


@transaction.atomic
def bargaining_unit_set_status(
    *, unit: BargainingUnit, status: str, actor=None, reason: str = ""
) -> BargainingUnit:
    """Record where a unit's union stands and apply what it means for its members' seats.

    When the unit enters a holding status (demand filed, bargaining, impasse), its members'
    requested and approved seats become `held`: the employer may not roll out a change in
    working conditions while it bargains over it. When it reaches agreement (or returns to no
    demand), its held seats return to `requested` and can be approved and activated again.
    Active seats are left alone either way: a seat activated under a recorded override stays
    active. Each moved seat gets one `SeatEvent` saying why, written in bulk in this
    transaction. Setting the status a unit already has changes nothing but re-applies the
    holds, which heals seats requested through a path that missed them."""
    if status not in BargainingStatus.values:
        known = ", ".join(BargainingStatus.values)
        raise BusinessRuleError(
            "invalid_status",
            f"'{status}' is not a bargaining status; use one of {known}.",
            status=status,
        )
    unit = BargainingUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.bargaining_status != status:
        unit.bargaining_status = status
        unit.status_changed_at = timezone.now()
        unit.save(update_fields=["bargaining_status", "status_changed_at"])
    label = unit.get_bargaining_status_display()
    members = Seat.objects.filter(employee__bargaining_unit=unit)
    if unit.holds_seats:
        why = (
            f"{unit.code} ({unit.union}) is in '{label}': seats of its members are held until "
            "the union and the employer agree."
        )
        seats_move_bulk(
            seats=members.filter(status__in=[SeatStatus.REQUESTED, SeatStatus.APPROVED]),
            to_status=SeatStatus.HELD,
            actor=actor,
            reason=_joined(why, reason),
        )
    else:
        why = f"{unit.code} ({unit.union}) is now '{label}': the bargaining hold is lifted."
        seats_move_bulk(
            seats=members.filter(status=SeatStatus.HELD),
            to_status=SeatStatus.REQUESTED,
            actor=actor,
            reason=_joined(why, reason),
        )
    return unit
