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


# Two statements (a unique key forbids the tally's one-statement delete-and-insert): a usage day
# committed in between is in the recount, and its trigger's row meets it in the upsert.
_USAGE_DELETE = "DELETE FROM licensing_usageperiod WHERE contract_id = %s"
_USAGE_REBUILD = """
INSERT INTO licensing_usageperiod (seat_id, contract_id, agency_id, period_start, first_date)
SELECT u.seat_id, s.contract_id, s.agency_id,
       licensing_period_start(c.start_date, u.date), MIN(u.date)
FROM licensing_usageday u
JOIN licensing_seat s ON s.id = u.seat_id
JOIN licensing_contract c ON c.id = s.contract_id
WHERE s.contract_id = %s AND u.date >= c.start_date
GROUP BY 1, 2, 3, 4
ON CONFLICT (seat_id, period_start)
DO UPDATE SET first_date = EXCLUDED.first_date
WHERE EXCLUDED.first_date < licensing_usageperiod.first_date
"""
# The tally folded from the recounted summary in one statement (one snapshot for the delete and
# the count, as the active-seat tally's rebuild).
_USAGE_TALLY_FOLD = """
WITH gone AS (DELETE FROM licensing_usageperiodtally WHERE contract_id = %s)
INSERT INTO licensing_usageperiodtally (contract_id, agency_id, period_start, seats)
SELECT contract_id, agency_id, period_start, COUNT(*) FROM licensing_usageperiod
WHERE contract_id = %s GROUP BY 1, 2, 3
"""
_USAGE_LOCK_CLASS = 0x5EA8


def usage_periods_rebuild(*, contract_id: int) -> None:
    """Recount one contract's usage-period summary (`UsagePeriod`) from its usage days and fold
    its tally (`UsagePeriodTally`) to one row per key (PostgreSQL; a no-op elsewhere, where
    billing reads the usage days). Its triggers keep it
    current; this heals a summary that anything bypassed (a restore without it, a disabled
    trigger). It reads a year of usage, so only the nightly job calls it."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_USAGE_LOCK_CLASS, contract_id])
        cursor.execute(_USAGE_DELETE, [contract_id])
        cursor.execute(_USAGE_REBUILD, [contract_id])
        cursor.execute(_USAGE_TALLY_FOLD, [contract_id, contract_id])
