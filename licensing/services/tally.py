"""Upkeep of the active-seat tally (`ActiveSeatTally`): PostgreSQL triggers append a delta row per
statement that changes the active seats; a rebuild folds one contract's rows back into one row per
(agency, cohort, day), counted afresh from the seats, which also heals any drift."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from ..selectors import uses_active_tally

# One statement, so the delete and the count share one snapshot: a delta written by a transaction
# that commits after that snapshot is neither deleted nor reflected in the count, and survives to
# carry its change; one committed before it is deleted and is in the count.
_REBUILD = """
WITH gone AS (DELETE FROM licensing_activeseattally WHERE contract_id = %s)
INSERT INTO licensing_activeseattally (contract_id, agency_id, cohort_id, since_day, seats)
SELECT contract_id, agency_id, cohort_id, (status_changed_at AT TIME ZONE %s)::date, COUNT(*)
FROM licensing_seat
WHERE contract_id = %s AND status = 'active'
GROUP BY 1, 2, 3, 4
"""
# Two rebuilds of one contract at once would each keep the other's fresh rows: serialise them
# on an advisory lock (not the contract row, which activations hold).
_LOCK_CLASS = 0x5EA7


def active_tally_rebuild(*, contract_id: int) -> None:
    """Recount one contract's active-seat tally from its seats (PostgreSQL; a no-op elsewhere,
    where billing reads the seats directly). Safe alongside any seat writes."""
    if not uses_active_tally():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, contract_id])
        cursor.execute(_REBUILD, [contract_id, settings.TIME_ZONE, contract_id])
