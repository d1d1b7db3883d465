"""The usage-period summary (and its tally) that PostgreSQL engaged-basis billing reads instead of
every usage day: its triggers follow inserts, upserts, moved and deleted days and a moved
contract start, and a rebuild changes nothing."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection

from licensing.models import UsageDay, UsagePeriod
from licensing.services.tally import usage_periods_rebuild
from tests.factories import AgencyFactory, ContractFactory
from tests.licensing.history import seat_with_history

pytestmark = pytest.mark.postgres


def recount(contract) -> set[tuple]:
    """The summary as it should be, from the usage days, by Python's own period arithmetic."""
    from licensing import pricing

    periods = pricing.billing_periods(contract.start_date, dt.date(2030, 1, 1))
    first: dict[tuple, dt.date] = {}
    for u in UsageDay.objects.filter(seat__contract=contract):
        period = next((p for p in periods if p.start <= u.date <= p.end), None)
        if period is not None:
            key = (u.seat_id, period.start)
            first[key] = min(first.get(key, u.date), u.date)
    return {(seat, start, day) for (seat, start), day in first.items()}


def tally_agrees(contract) -> bool:
    """The tally's deltas sum, per (agency, period), to the summary's rows."""
    from collections import Counter

    from django.db.models import Sum

    from licensing.models import UsagePeriodTally

    counted = Counter(
        UsagePeriod.objects.filter(contract_id=contract.pk).values_list("agency_id", "period_start")
    )
    summed = {
        (row["agency_id"], row["period_start"]): row["n"]
        for row in UsagePeriodTally.objects.filter(contract_id=contract.pk)
        .values("agency_id", "period_start")
        .annotate(n=Sum("seats"))
        if row["n"]
    }
    return summed == dict(counted)


def stored(contract) -> set[tuple]:
    return set(
        UsagePeriod.objects.filter(contract_id=contract.pk).values_list(
            "seat_id", "period_start", "first_date"
        )
    )


def test_usage_periods__every_write__summary_equals_a_recount(db):
    # Given an engaged contract starting on 31 January (clamped anniversaries: 28 Feb, 31 Mar)
    contract = ContractFactory(
        start_date=dt.date(2026, 1, 31),
        end_date=dt.date(2026, 6, 30),
        billing_basis="engaged",
        min_billable_seats=0,
        floor_amount=D("0"),
        tiers=[(1, None, "10")],
    )
    agency = AgencyFactory()
    a, b = (seat_with_history(contract, agency, [(dt.date(2026, 1, 2), "active")]) for _ in "ab")
    days = [dt.date(2026, 1, 30), dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 30)]

    # When usage days are inserted in bulk, upserted, moved and deleted
    UsageDay.objects.bulk_create(UsageDay(seat=a, date=d, messages=1) for d in days)
    UsageDay.objects.bulk_create(
        [UsageDay(seat=a, date=days[1], messages=9), UsageDay(seat=b, date=days[3], messages=2)],
        update_conflicts=True,
        unique_fields=["seat", "date"],
        update_fields=["messages"],
    )
    assert stored(contract) == recount(contract)
    assert tally_agrees(contract)
    UsageDay.objects.filter(seat=a, date=days[1]).update(date=dt.date(2026, 2, 20))
    assert stored(contract) == recount(contract)
    UsageDay.objects.filter(seat=a, date=days[2]).delete()
    assert stored(contract) == recount(contract)
    assert tally_agrees(contract)

    # And the contract's start moves (its periods with it)
    contract.start_date = dt.date(2026, 1, 15)
    contract.save()
    assert stored(contract) == recount(contract)
    assert tally_agrees(contract)

    # Then a rebuild changes nothing
    before = stored(contract)
    usage_periods_rebuild(contract_id=contract.pk)
    assert stored(contract) == before
    assert tally_agrees(contract)


def test_usage_periods__lost_summary__rebuild_heals_it(db):
    # Given a summary emptied behind the triggers' back
    contract = ContractFactory(billing_basis="engaged")
    seat = seat_with_history(contract, AgencyFactory(), [(dt.date(2026, 3, 1), "active")])
    UsageDay.objects.create(seat=seat, date=dt.date(2026, 3, 2), messages=1)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM licensing_usageperiod")

    # When it is rebuilt
    usage_periods_rebuild(contract_id=contract.pk)

    # Then it is whole again
    assert (
        stored(contract)
        == recount(contract)
        == {(seat.pk, dt.date(2026, 2, 13), dt.date(2026, 3, 2))}
    )
