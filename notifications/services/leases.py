"""Claiming deliveries with a lease, so each is sent by one worker at a time, and a worker that
dies mid-delivery holds nothing for long.

A worker *claims* due rows in a short transaction of its own: it takes them with `SELECT … FOR
UPDATE SKIP LOCKED` (two workers never take the same row), counts the attempt and sets
`lease_until`, then commits, and only then sends. The attempt's number is its ticket: the
outcome is written with `UPDATE … WHERE attempts = <its number> AND status = pending`, so a worker
that comes back after its lease ran out (and another worker took the row) changes nothing.

What "delivered" means when a worker dies after the receiver answered but before the answer
was written: Seatplan cannot know. The lease runs out, the row is claimed again and the event
is sent again, with the same `webhook-id` (Standard Webhooks): a receiver that deduplicates on
it processes the event once. So delivery is at-least-once on the wire and exactly-once for a
deduplicating receiver, never two attempts in flight at once, and never a second row. Seatplan
records such an attempt as one whose outcome is unknown (`last_error` says so).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from ..choices import DeliveryStatus

UNKNOWN_OUTCOME = (
    "Attempt {n} ended without its answer being recorded (the worker stopped); sent again "
    "with the same id."
)


def deliveries_claim(
    model: type[Model], *, where: Q, limit: int, lease: dt.timedelta
) -> list[Model]:
    """Claim up to `limit` pending rows of `model` matching `where` that are due and not held
    by a live lease, oldest due first. Each claimed row has its attempt counted and a lease
    until now + `lease`; a row whose previous lease expired says that attempt's outcome is
    unknown. Commits before returning, so the lease is visible to every other worker."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            model.objects.filter(where, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due[:limit])
        if not rows:
            return []
        # Plain UPDATEs, not a CASE per row: every claimed row gets the same lease.
        for row in rows:
            if row.lease_until is not None:
                row.last_error = UNKNOWN_OUTCOME.format(n=row.attempts)
                model.objects.filter(pk=row.pk).update(last_error=row.last_error)
            row.attempts += 1
            row.lease_until = now + lease
            row.last_attempt_at = now
        model.objects.filter(pk__in=[row.pk for row in rows]).update(
            attempts=F("attempts") + 1, lease_until=now + lease, last_attempt_at=now
        )
    return rows


def delivery_settle(row: Model, **changes) -> bool:
    """Write the outcome of `row`'s current attempt (`changes`, the lease released), unless the
    lease was lost meanwhile. Returns whether it was written."""
    written = (
        type(row)
        .objects.filter(pk=row.pk, attempts=row.attempts, status=DeliveryStatus.PENDING)
        .update(lease_until=None, **changes)
    )
    return written == 1


def retry_at(now: dt.datetime, schedule: tuple[dt.timedelta, ...], retries: int):
    """When the next attempt is due after `retries` failures, or None when the schedule is
    spent and the delivery has failed for good."""
    if retries > len(schedule):
        return None
    return now + schedule[retries - 1]
