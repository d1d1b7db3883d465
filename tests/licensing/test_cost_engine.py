"""The cost rules against the database: worked examples computed by hand, with the arithmetic
written out, on a small contract whose prices make the sums easy to follow.

The small contract: 1 Jan – 30 Jun 2026 (six monthly periods), volume tiers 1–2 seats at $10,
3–4 at $8, 5+ at $5 (so 4 seats cost $32 but 5 cost $25: a tier cliff), no minimum, floor $50,
ceiling $200.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from licensing.services.cost import contract_cost_report
from tests.factories import AgencyFactory, CohortFactory, ContractFactory, WaveFactory
from tests.licensing.history import active_seats, at, seat_with_history, usage

SMALL_TIERS = [(1, 2, "10"), (3, 4, "8"), (5, None, "5")]


@pytest.fixture
def small(db):
    return ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        floor_amount=D("50"),
        ceiling_amount=D("200"),
        min_billable_seats=0,
        tiers=SMALL_TIERS,
    )


@pytest.fixture
def eotss(db):
    return AgencyFactory(code="EOTSS")


@pytest.fixture
def anf(db):
    return AgencyFactory(code="ANF")


@pytest.fixture
def three_seats(small, eotss):
    """seat 1 active 10 Jan – 5 Feb; seat 2 active from 20 Feb; seat 3 active from 31 Mar at
    23:30 local time; a fourth seat is only requested."""
    s1 = seat_with_history(
        small, eotss, [(dt.date(2026, 1, 10), "active"), (dt.date(2026, 2, 5), "suspended")]
    )
    s2 = seat_with_history(small, eotss, [(dt.date(2026, 2, 20), "active")])
    s3 = seat_with_history(small, eotss, [(at(dt.date(2026, 3, 31), 23), "active")])
    seat_with_history(small, eotss, [(dt.date(2026, 1, 2), "requested")])
    return s1, s2, s3


def report(contract, day):
    return contract_cost_report(contract=contract, as_of=day).as_json()


def test_cost__assigned_basis_mid_period__spend_counts_started_periods_in_full(small, three_seats):
    # Given the three-seat history, as of 15 March
    r = report(small, dt.date(2026, 3, 15))

    # Then each started period bills the seats active on at least one of its days so far:
    #   Jan: seat 1                      -> 1 seat  x $10 = $10
    #   Feb: seat 1 (1–5 Feb) and seat 2 -> 2 seats x $10 = $20
    #   Mar: seat 2 (seat 3 comes after 15 Mar, ignored) -> 1 x $10 = $10
    # spend to date = 10 + 20 + 10 = $40
    actual = [(p["start"], p["billable_seats"], p["amount"]) for p in r["periods"][:3]]
    assert actual == [
        ("2026-01-01", 1, "10.00"),
        ("2026-02-01", 2, "20.00"),
        ("2026-03-01", 1, "10.00"),
    ]
    assert [p["kind"] for p in r["periods"]] == ["actual"] * 3 + ["projected"] * 3
    assert r["spend_to_date"] == "40.00"
    assert r["billable_seats_this_period"] == 1
    # And one seat (seat 2) is active at the end of the day
    assert r["active_seats"] == 1


def test_cost__later_events__ignored_and_past_days_recomputed_exactly(small, three_seats):
    # Given the same history, as of 31 March (seat 3 activated at 23:30 that day)
    r = report(small, dt.date(2026, 3, 31))

    # Then March bills seats 2 and 3: 2 x $10 = $20; spend = 10 + 20 + 20 = $50
    assert r["periods"][2]["billable_seats"] == 2
    assert r["spend_to_date"] == "50.00"
    # And as of 31 January only January has started: seat 1, $10, still active that evening
    # (it is suspended on 5 Feb).
    jan = report(small, dt.date(2026, 1, 31))
    assert (jan["spend_to_date"], jan["active_seats"]) == ("10.00", 1)


def test_cost__as_of_after_the_term__seat_revoked_after_the_end_is_not_active(small, eotss):
    # Given a seat active from 10 June and revoked on 2 July, after the term ended on 30 June
    seat_with_history(
        small, eotss, [(at(dt.date(2026, 6, 10)), "active"), (at(dt.date(2026, 7, 2)), "revoked")]
    )

    # When the cost is asked as of 3 July
    r = report(small, dt.date(2026, 7, 3))

    # Then June bills the seat once, $10, and no seat is active at the end of 3 July (the
    # revocation is past the last period, but before the as-of day ends)
    assert r["periods"][5]["billable_seats"] == 1
    assert r["spend_to_date"] == "10.00"
    assert r["active_seats"] == 0


def test_cost__projection_without_plan__later_periods_at_active_seats(small, three_seats):
    # Given 15 March: one active seat and no waves
    r = report(small, dt.date(2026, 3, 15))

    # Then Apr, May, Jun each bill 1 active seat x $10 = $10: projected = 40 + 3 x 10 = $70
    assert [p["amount"] for p in r["periods"][3:]] == ["10.00"] * 3
    assert r["projected_total"] == "70.00"
    # And $70 lies inside the band [$50, $200]: committed = projected
    assert (r["committed_total"], r["below_floor"], r["over_ceiling"]) == ("70.00", False, False)


def test_cost__open_cohorts__unfilled_quota_joins_from_onboarding(small, three_seats, eotss, anf):
    # Given seat 2 belongs to an EOTSS cohort of quota 5 onboarding 10 May in a planned wave,
    _, s2, _ = three_seats
    wave = WaveFactory(
        contract=small,
        status="planned",
        planned_start=dt.date(2026, 5, 1),
        planned_end=dt.date(2026, 6, 30),
    )
    cohort = CohortFactory(
        wave=wave, agency=eotss, seat_quota=5, onboarding_date=dt.date(2026, 5, 10)
    )
    s2.cohort = cohort
    s2.save()
    # and a completed wave's cohort, whose quota no longer counts
    done = WaveFactory(contract=small, status="completed")
    CohortFactory(wave=done, agency=anf, seat_quota=50, onboarding_date=dt.date(2026, 2, 1))

    r = report(small, dt.date(2026, 3, 15))

    # Then April (ends 30 Apr, before 10 May) plans nothing: 1 seat   -> $10
    #      May and June add 5 - 1 active = 4 planned:  1 + 4 = 5 seats -> 5 x $5 = $25 each
    # projected = 40 + 10 + 25 + 25 = $100
    assert [p["billable_seats"] for p in r["periods"][3:]] == [1, 5, 5]
    assert [p["amount"] for p in r["periods"][3:]] == ["10.00", "25.00", "25.00"]
    assert r["projected_total"] == "100.00"


def test_cost__band__projection_below_floor_is_committed_at_the_floor(small, eotss):
    # Given one seat active from 1 June only
    active_seats(small, eotss, 1, dt.date(2026, 6, 1))

    r = report(small, dt.date(2026, 6, 30))

    # Then only June bills: 1 x $10 = $10, below the $50 floor: committed = $50
    assert (r["projected_total"], r["committed_total"], r["below_floor"]) == (
        "10.00",
        "50.00",
        True,
    )


def test_cost__band__projection_over_ceiling_is_committed_at_the_ceiling(small, eotss):
    # Given 10 seats active since 1 January, and a ceiling lowered to $200
    active_seats(small, eotss, 10, dt.date(2026, 1, 1))

    r = report(small, dt.date(2026, 1, 15))

    # Then each of six periods bills 10 x $5 = $50: projected $300 > $200; committed $200
    assert r["projected_total"] == "300.00"
    assert (r["committed_total"], r["over_ceiling"]) == ("200.00", True)
    # And the headroom is 0: the total is already over
    assert r["headroom_seats"] == 0


def test_cost__headroom__first_exceedance_counts_even_if_a_cliff_would_bring_it_back(
    small, three_seats
):
    # Given 15 March: Jan + Feb are fixed at 10 + 20 = $30; March bills 1 seat; 1 seat active.
    # Activating j more seats bills 1 + j in March and in each of the 3 later periods:
    #   total(j) = 30 + 4 x c(1 + j), with c(1)=10, c(2)=20, c(3)=24, c(4)=32, c(5)=25, c(6)=30,
    #   c(7)=35, c(8)=40, c(9)=45.
    # Ceiling $200 -> c(1+j) <= 42.5: true up to j = 7 (c(8)=40), false at j = 8 (c(9)=45).
    r = report(small, dt.date(2026, 3, 15))
    assert r["headroom_seats"] == 7

    # With a $150 ceiling -> c(1+j) <= 30: j = 2 fits (c(3)=24) but j = 3 does not (c(4)=32),
    # even though j = 5 would fit again (c(6)=30): the headroom stops at 2.
    small.ceiling_amount = D("150")
    small.save()
    assert report(small, dt.date(2026, 3, 15))["headroom_seats"] == 2


def test_cost__rule9_tier_cliff__first_projected_period_within_reach_of_a_cheaper_tier(
    small, three_seats
):
    # Given 15 March: one seat active at the end of the day (seat 2), and a planned wave whose
    # cohort (quota 3) onboards on 1 May
    wave = WaveFactory(contract=small, status="planned")
    CohortFactory(wave=wave, seat_quota=3, onboarding_date=dt.date(2026, 5, 1))
    r = report(small, dt.date(2026, 3, 15))

    # Then the projection counts April 1 (c = $10), May and June 1 + 3 = 4 (c = 4 x $8 = $32).
    # April: the cheaper tiers start at 3 (3 x $8 = $24) and 5 (5 x $5 = $25), both dearer than
    # $10: not within reach. May: 1 more seat reaches 5 x $5 = $25 < $32: within reach.
    # Kept to the end, that seat changes May and June by 25 - 32 = -7 each: -$14.
    # Projected total: Jan 10 + Feb 20 + Mar 10 + Apr 10 + May 32 + Jun 32 = $114.
    assert r["projected_total"] == "114.00"
    assert r["tier_cliff"] == {
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "planned_seats": 4,
        "seats_to_next_tier": 1,
        "period_amount_now": "32.00",
        "period_amount_at_next_tier": "25.00",
        "projected_total_change": "-14.00",
        "projected_total_at_next_tier": "100.00",
    }


def test_cost__rule9_tier_cliff__none_when_no_cheaper_tier_is_within_reach(small, three_seats):
    # Given 15 March and no plan: every projected period counts 1 seat at $10, and reaching a
    # cheaper tier (3 x $8 = $24, 5 x $5 = $25) would raise the bill
    # Then there is no cliff to point at
    assert report(small, dt.date(2026, 3, 15))["tier_cliff"] is None


def test_cost__rule9_tier_cliff__none_after_the_term(small, three_seats):
    # Given a day after the term: no period remains
    assert report(small, dt.date(2026, 7, 15))["tier_cliff"] is None


def test_cost__engaged_basis__bills_seats_with_a_usage_day_in_the_period(small, eotss):
    # Given the engaged basis: three active seats, one used in January and February, one in
    # February only, one never; and usage after the as-of day
    small.billing_basis = "engaged"
    small.save()
    a, b, c = active_seats(small, eotss, 3, dt.date(2026, 1, 5))
    usage(a, dt.date(2026, 1, 6), dt.date(2026, 2, 3))
    usage(b, dt.date(2026, 2, 27), dt.date(2026, 2, 28))
    usage(c, dt.date(2026, 3, 2))

    r = report(small, dt.date(2026, 2, 28))

    # Then Jan bills seat a: $10; Feb bills a and b: 2 x $10 = $20; c's March use is ignored
    assert [p["billable_seats"] for p in r["periods"][:2]] == [1, 2]
    assert r["spend_to_date"] == "30.00"
    # And the projection still assumes the 3 active seats engage: 4 periods x 3 x $8 = $96
    assert r["projected_total"] == "126.00"


@pytest.mark.parametrize("allocation", ["central", "pro_rata"])
def test_cost__rule10_chargeback__largest_remainder_and_the_minimum_by_allocation(db, allocation):
    # Given a contract billing at least 10 seats at $1 (so a period costs at least $10),
    # one seat each for agencies ANF, EOTSS and MASSDOT active in January only
    contract = ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 2, 28),
        min_billable_seats=10,
        floor_amount=D("0"),
        ceiling_amount=D("1000"),
        tiers=[(1, None, "1")],
        shortfall_allocation=allocation,
    )
    for code in ("MASSDOT", "EOTSS", "ANF"):
        active_seats(
            contract, AgencyFactory(code=code), 1, dt.date(2026, 1, 3), until=dt.date(2026, 1, 20)
        )

    r = report(contract, dt.date(2026, 2, 10))

    # Then under pro_rata January's $10.00 (the 10-seat minimum) splits 3 ways: $3.333… each,
    # floored to $3.33 (= $9.99); the cent left goes to the largest remainder, all equal, so to
    # the first code: ANF. Under central the agencies share what their 3 persons cost,
    # min($10, 3 x $1) = $3.00, $1.00 each, and the $7.00 shortfall is unallocated.
    # February bills nobody: its $10.00 minimum is unallocated either way.
    if allocation == "pro_rata":
        expected = [("ANF", "3.34"), ("EOTSS", "3.33"), ("MASSDOT", "3.33"), (None, "10.00")]
    else:
        expected = [("ANF", "1.00"), ("EOTSS", "1.00"), ("MASSDOT", "1.00"), (None, "17.00")]
    assert r["by_agency"] == [{"agency": a, "amount": v} for a, v in expected]
    assert r["spend_to_date"] == "20.00"
    assert r["unallocated_to_date"] == expected[-1][1]


def test_cost__demo_contract__minimum_billable_and_anniversary_periods(db, eotss):
    # Given the demo contract (13 Feb 2026, 12 periods) and 5 EOTSS seats from 13 Feb
    contract = ContractFactory()
    active_seats(contract, eotss, 5, dt.date(2026, 2, 13))

    r = report(contract, dt.date(2026, 3, 20))

    # Then periods run 13 Feb – 12 Mar, 13 Mar – 12 Apr, …; each bills max(5, 10,000) = 10,000
    # seats at $13 = $130,000; two have started: spend = $260,000; the year = 12 x 130,000 =
    # $1,560,000, exactly the floor.
    assert (r["periods"][0]["start"], r["periods"][0]["end"]) == ("2026-02-13", "2026-03-12")
    assert r["periods"][-1]["end"] == "2027-02-12"
    assert r["spend_to_date"] == "260000.00"
    assert (r["projected_total"], r["below_floor"]) == ("1560000.00", False)
    # And the headroom: the first period is fixed at $130,000; j more seats bill 5 + j in the
    # current period and in the 10 later ones: 130,000 + 11 x c(5 + j) <= 3,360,000, so
    # c(5 + j) <= 293,636.36. Every count up to 30,000 fits (at most 30,000 x $9 = $270,000);
    # at $7, 7 x 41,948 = 293,636 fits and 7 x 41,949 = 293,643 does not: 5 + j <= 41,948.
    assert r["headroom_seats"] == 41_943
    # And the tier cliff: the first projected period (13 Apr) counts the 5 active seats, billed
    # at the 10,000 minimum ($130,000); 9,996 more reach the $11 tier: 10,001 x $11 = $110,011.
    # Kept to the end, they save 130,000 - 110,011 = $19,989 in each of the 10 projected
    # periods: -$199,890.
    assert r["tier_cliff"] == {
        "period_start": "2026-04-13",
        "period_end": "2026-05-12",
        "planned_seats": 5,
        "seats_to_next_tier": 9_996,
        "period_amount_now": "130000.00",
        "period_amount_at_next_tier": "110011.00",
        "projected_total_change": "-199890.00",
        "projected_total_at_next_tier": "1360110.00",
    }
    # And under the default central allocation EOTSS pays for its 5 persons, 5 x $13 = $65 a
    # period, and the rest of each $130,000 is the central fund's: 2 x 129,935 = $259,870
    assert r["by_agency"] == [
        {"agency": "EOTSS", "amount": "130.00"},
        {"agency": None, "amount": "259870.00"},
    ]
