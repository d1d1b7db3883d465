"""The promises of docs/reliability.md, checked on the stack's database after a load or a fault.

Runs in the scenario's own process with Django set up on the stack's database
(`Stack.django()`). The checks count in SQL, independently of the services that wrote the rows:

- no employee holds two open (non-revoked) seats under one contract;
- no cohort has more active seats than its quota;
- every seat's status equals its latest event's `to_status`, every seat has events, and each
  event starts from the previous one's `to_status` (no lost and no doubled event);
- the active-seat tally the costs read on PostgreSQL equals a recount of the active seats;
- the contract's headroom under the ceiling is not negative;
- the latest cost snapshot equals a from-scratch recomputation
  (`licensing.services.cost.contract_cost_report`), field by field.
"""

from __future__ import annotations

import json
import time

from .report import Check


def _rows(sql: str, params=()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def seat_invariants() -> list[Check]:
    checks = []
    doubles = _rows(
        """SELECT contract_id, employee_id, count(*) FROM licensing_seat
           WHERE status <> 'revoked' GROUP BY contract_id, employee_id HAVING count(*) > 1"""
    )
    checks.append(
        Check("no employee with two open seats", not doubles, f"{len(doubles)} employee(s)")
    )
    over = _rows(
        """SELECT c.id, c.seat_quota, count(s.id) FROM rollout_cohort c
           JOIN licensing_seat s ON s.cohort_id = c.id AND s.status = 'active'
           GROUP BY c.id, c.seat_quota HAVING count(s.id) > c.seat_quota"""
    )
    checks.append(Check("no cohort over its quota", not over, f"over: {over[:5]}"))
    mismatched = _rows(
        """SELECT s.id, s.status, e.to_status FROM licensing_seat s
           LEFT JOIN LATERAL (
               SELECT to_status FROM licensing_seatevent
               WHERE seat_id = s.id ORDER BY at DESC, id DESC LIMIT 1) e ON true
           WHERE e.to_status IS DISTINCT FROM s.status"""
    )
    checks.append(
        Check(
            "every Seat.status == its latest SeatEvent.to_status",
            not mismatched,
            f"{len(mismatched)} seat(s) differ {mismatched[:3]}",
        )
    )
    broken = _rows(
        """SELECT seat_id, id, from_status, prev FROM (
               SELECT seat_id, id, from_status,
                      lag(to_status, 1, '') OVER (PARTITION BY seat_id ORDER BY at, id) AS prev
               FROM licensing_seatevent) chain
           WHERE from_status <> prev"""
    )
    checks.append(
        Check(
            "every event follows its seat's previous event (none lost or doubled)",
            not broken,
            f"{len(broken)} event(s) out of chain {broken[:3]}",
        )
    )
    from django.conf import settings

    drift = _rows(
        """SELECT t.contract_id, t.agency_id, t.since_day, t.n, s.n FROM (
               SELECT contract_id, agency_id, cohort_id, since_day, SUM(seats) AS n
               FROM licensing_activeseattally GROUP BY 1, 2, 3, 4 HAVING SUM(seats) <> 0) t
           FULL JOIN (
               SELECT contract_id, agency_id, cohort_id,
                      (status_changed_at AT TIME ZONE %s)::date AS since_day, COUNT(*) AS n
               FROM licensing_seat WHERE status = 'active' GROUP BY 1, 2, 3, 4) s
           ON s.contract_id = t.contract_id AND s.agency_id = t.agency_id
              AND s.cohort_id IS NOT DISTINCT FROM t.cohort_id AND s.since_day = t.since_day
           WHERE t.n IS DISTINCT FROM s.n""",
        [settings.TIME_ZONE],
    )
    checks.append(
        Check(
            "active-seat tally == a recount of the active seats",
            not drift,
            f"{len(drift)} key(s) differ {drift[:3]}",
        )
    )
    return checks


def counts() -> dict:
    """Seats by status and the event count, for the figures."""
    by_status = dict(_rows("SELECT status, count(*) FROM licensing_seat GROUP BY status"))
    events = _rows("SELECT count(*) FROM licensing_seatevent")[0][0]
    return {"seats_by_status": dict(sorted(by_status.items())), "events": events}


def fresh_report(contract_id: int) -> dict:
    """The contract's cost report recomputed from scratch, as its snapshot stores it."""
    from licensing.models import Contract

    return _fresh_report(Contract.objects.get(pk=contract_id))


def _fresh_report(contract):
    from django.core.serializers.json import DjangoJSONEncoder

    from licensing.services.cost import contract_cost_report

    return json.loads(
        json.dumps(contract_cost_report(contract=contract).as_json(), cls=DjangoJSONEncoder)
    )


def cost_invariants() -> list[Check]:
    """Headroom ≥ 0 and, for every active contract, latest snapshot == recomputation."""
    from licensing.models import CostSnapshot
    from licensing.selectors import contracts_active

    checks = []
    for contract in contracts_active():
        fresh = _fresh_report(contract)
        room = fresh["headroom_seats"]
        checks.append(
            Check(
                f"contract {contract.pk}: headroom under the ceiling ≥ 0",
                room is None or room >= 0,
                f"headroom_seats={room}",
            )
        )
        latest = (
            CostSnapshot.objects.filter(contract=contract).order_by("-computed_at", "-id").first()
        )
        if latest is None:
            checks.append(
                Check(f"contract {contract.pk}: latest snapshot == recompute", False, "no snapshot")
            )
            continue
        differ = sorted(k for k in fresh if latest.report.get(k) != fresh[k])
        checks.append(
            Check(
                f"contract {contract.pk}: latest snapshot == recompute",
                not differ,
                "equal (active_seats={}, spend_to_date={}, projected_total={}, headroom={})".format(
                    fresh["active_seats"], fresh["spend_to_date"], fresh["projected_total"], room
                )
                if not differ
                else f"differs in {differ}: snapshot active_seats="
                f"{latest.report.get('active_seats')} vs {fresh['active_seats']}",
            )
        )
    return checks


def snapshot_lag_reason(contract, after) -> str | None:
    """None when the contract's latest snapshot was computed after `after` and equals a
    from-scratch recomputation; otherwise why not."""
    from licensing.models import CostSnapshot

    latest = CostSnapshot.objects.filter(contract=contract).order_by("-computed_at", "-id").first()
    if latest is None:
        return "no snapshot"
    if latest.computed_at <= after:
        return f"latest snapshot #{latest.pk} computed {latest.computed_at:%H:%M:%S}, before"
    fresh = _fresh_report(contract)
    differ = sorted(k for k in fresh if latest.report.get(k) != fresh[k])
    if differ:
        return f"latest snapshot #{latest.pk} differs from a recomputation in {differ}"
    return None


LAST_REASON: dict[str, str] = {}


def wait_for_current_snapshot(after, timeout: float) -> float | None:
    """Seconds until every active contract has a snapshot computed after `after` (an aware
    datetime: the last write, or the end of the fault) that equals a recomputation; None when
    that does not happen within `timeout` seconds (`LAST_REASON["why"]` says why). Seat events
    cannot tell: the demo's own history runs to the end of the as-of day, so it has events
    later than now."""
    from django.db import connections

    from licensing.selectors import contracts_active

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            reasons = [r for c in contracts_active() if (r := snapshot_lag_reason(c, after))]
            if not reasons:
                return time.monotonic() - t0
            LAST_REASON["why"] = "; ".join(reasons)
        except Exception as exc:  # the database may still be coming back after a fault
            LAST_REASON["why"] = repr(exc)
        connections.close_all()
        time.sleep(1)
    return None


def all_invariants() -> list[Check]:
    return seat_invariants() + cost_invariants()
