"""Worked examples and properties of the contract cost rules (docs/cost-engine.md).

Most examples use the demo contract: volume tiers 1-10,000 at $13, 10,001-20,000 at $11,
20,001-30,000 at $9, 30,001+ at $7; at least 10,000 seats billed; 12 monthly periods from
13 Feb 2026; floor $1,560,000 and ceiling $3,360,000. The arithmetic is written out so a
reader can check each expected figure by hand.
"""

import calendar
import datetime as dt
import itertools
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from licensing import pricing
from licensing.pricing import (
    CENT,
    Period,
    Terms,
    TermsError,
    Tier,
    TierCliff,
    billing_periods,
    headroom,
    money,
    period_charge,
    split_chargeback,
    tier_cliff,
    unit_price,
    validate_tiers,
)

DEMO_TIERS = (
    Tier(1, 10_000, D("13")),
    Tier(10_001, 20_000, D("11")),
    Tier(20_001, 30_000, D("9")),
    Tier(30_001, None, D("7")),
)
DEMO = Terms.build(DEMO_TIERS, "volume", min_billable_seats=10_000)
DEMO_GRADUATED = Terms.build(DEMO_TIERS, "graduated", min_billable_seats=10_000)
DEMO_START = dt.date(2026, 2, 13)
DEMO_END = dt.date(2027, 2, 12)
DEMO_FLOOR = D("1560000")
DEMO_CEILING = D("3360000")


# ---------------------------------------------------------------------------------------------
# money
# ---------------------------------------------------------------------------------------------


def test_money__half_a_cent__rounds_up_not_to_even():
    # Given amounts exactly half a cent from two neighbours
    # When they are rounded to cents
    # Then half goes up: 0.125 -> 0.13 and 2.665 -> 2.67 (half-even would give 0.12 and 2.66)
    assert money(D("0.125")) == D("0.13")
    assert money(D("2.665")) == D("2.67")
    assert money(D("130000")) == D("130000.00")
    assert D("0.01") == CENT


# ---------------------------------------------------------------------------------------------
# Rule 3: terms validation
# ---------------------------------------------------------------------------------------------


def test_terms_build__tiers_given_out_of_order__sorted_by_min_seats():
    # Given the demo tiers in reverse order
    # When the terms are built
    terms = Terms.build(reversed(DEMO_TIERS), "volume", min_billable_seats=10_000)

    # Then they come back sorted, and equal to terms built from the ordered table
    assert [t.min_seats for t in terms.tiers] == [1, 10_001, 20_001, 30_001]
    assert terms == DEMO


def test_validate_tiers__integer_prices__become_decimals():
    # Given a tier priced with a plain int (an admin typing 13)
    # When the table is validated
    (tier,) = validate_tiers([Tier(1, None, 13)])

    # Then the price is a Decimal, so sums stay exact
    assert tier.unit_price == D("13")
    assert isinstance(tier.unit_price, D)


def test_validate_tiers__tier_shaped_rows__accepted():
    # Given something that is not a Tier but has its fields (e.g. a stored tier row)
    class Row:
        min_seats, max_seats, unit_price = 1, None, D("7")

    # When validated
    # Then it is read as a Tier
    assert validate_tiers([Row()]) == (Tier(1, None, D("7")),)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        pytest.param(
            [Tier(1, 10_000, D("13")), Tier(10_002, None, D("11"))],
            "Tier 2 starts at 10,002 but the tier before ends at 10,000: tiers must be contiguous.",
            id="gap",
        ),
        pytest.param(
            [Tier(1, 10_000, D("13")), Tier(10_000, None, D("11"))],
            "Tier 2 starts at 10,000 but the tier before ends at 10,000",
            id="overlap",
        ),
        pytest.param(
            [Tier(2, None, D("13"))],
            "Tier 1 starts at 2: the first tier must start at 1 seat.",
            id="not-starting-at-1",
        ),
        pytest.param(
            [Tier(1, 10_000, D("13")), Tier(10_001, 20_000, D("11"))],
            "Tier 2 ends at 20,000: the last tier must be open",
            id="closed-last-tier",
        ),
        pytest.param(
            [Tier(1, 10, D("13")), Tier(11, None, D("11")), Tier(21, None, D("9"))],
            "Tier 2 is open (no max_seats) but is not the last tier",
            id="open-middle-tier",
        ),
        pytest.param(
            [Tier(1, 10, D("13")), Tier(11, None, D("-1"))],
            "Tier 2 has a negative unit price (-1)",
            id="negative-price",
        ),
        pytest.param(
            [Tier(1, 10, D("13")), Tier(11, 5, D("11")), Tier(12, None, D("9"))],
            "Tier 2 ends at 5 before it starts at 11: max_seats must be at least min_seats.",
            id="max-below-min",
        ),
        pytest.param([], "At least one tier is required.", id="empty"),
        pytest.param(
            [Tier(1, None, 13.0)],
            "Tier 1 unit price 13.0 must be a finite Decimal.",
            id="float-price",
        ),
        pytest.param(
            [Tier(1, None, D("NaN"))],
            "must be a finite Decimal",
            id="nan-price",
        ),
        pytest.param(
            [Tier("1", None, D("13"))],
            "Tier 1 min_seats '1' is not a whole number.",
            id="text-min-seats",
        ),
        pytest.param(
            [("1", None, D("13"))],
            "Tier 1 is not a tier",
            id="not-a-tier",
        ),
    ],
)
def test_validate_tiers__broken_table__refused_naming_the_tier(tiers, message):
    # Given a tier table that cannot price every seat count
    # When it is validated, directly or by building terms
    # Then it is refused with a message that names the tier and the reason
    with pytest.raises(TermsError) as excinfo:
        validate_tiers(tiers)
    assert message in str(excinfo.value)
    with pytest.raises(TermsError):
        Terms.build(tiers, "volume")


def test_terms_build__overlap__message_says_where():
    # Given a second tier that starts inside the first
    # When the terms are built
    # Then the message gives both boundaries
    with pytest.raises(TermsError, match=r"^Tier 2 starts at 9,000 but the tier before ends at"):
        Terms.build([Tier(1, 10_000, D("13")), Tier(9_000, None, D("11"))], "volume")


def test_terms_build__unknown_mode__refused():
    # Given a tier mode that is neither volume nor graduated
    # When the terms are built
    # Then they are refused, naming the mode
    with pytest.raises(TermsError, match="'tiered' is not known"):
        Terms.build(DEMO_TIERS, "tiered")


@pytest.mark.parametrize("minimum", [-1, 1.5, True, None])
def test_terms_build__bad_minimum__refused(minimum):
    # Given a billable minimum that is negative or not a whole number
    # When the terms are built
    # Then they are refused
    with pytest.raises(TermsError, match="Minimum billable seats"):
        Terms.build(DEMO_TIERS, "volume", min_billable_seats=minimum)


def test_terms__direct_construction__validated_too():
    # Given a caller who skips build()
    # When it constructs Terms directly with a gapped table
    # Then the constructor refuses it all the same
    with pytest.raises(TermsError, match="contiguous"):
        Terms(tiers=(Tier(1, 5, D("1")), Tier(7, None, D("1"))), tier_mode="volume")


def test_terms_error__is_a_value_error():
    # Given code that already handles ValueError
    # Then it catches bad terms too
    assert issubclass(TermsError, ValueError)


# ---------------------------------------------------------------------------------------------
# Rule 1: billing periods
# ---------------------------------------------------------------------------------------------


def test_billing_periods__demo_contract__twelve_anniversary_months():
    # Given the demo contract, 13 Feb 2026 to 12 Feb 2027
    # When its billing periods are listed
    periods = billing_periods(DEMO_START, DEMO_END)

    # Then there are 12, from the 13th of each month to the 12th of the next
    assert len(periods) == 12
    assert periods[0] == Period(0, dt.date(2026, 2, 13), dt.date(2026, 3, 12))
    assert periods[1] == Period(1, dt.date(2026, 3, 13), dt.date(2026, 4, 12))
    assert periods[10] == Period(10, dt.date(2026, 12, 13), dt.date(2027, 1, 12))
    assert periods[11] == Period(11, dt.date(2027, 1, 13), dt.date(2027, 2, 12))
    assert [p.index for p in periods] == list(range(12))


def test_billing_periods__starts_on_31st__clamps_each_month_from_the_original_start():
    # Given a contract starting 31 Jan 2026 (not a leap year)
    # When its periods are listed to 31 May 2026
    periods = billing_periods(dt.date(2026, 1, 31), dt.date(2026, 5, 31))

    # Then February's anniversary clamps to the 28th, but March goes back to the 31st
    # (computed from 31 Jan + 2 months, not from 28 Feb + 1 month), April clamps to the 30th:
    #   31 Jan-27 Feb, 28 Feb-30 Mar, 31 Mar-29 Apr, 30 Apr-30 May, 31 May-31 May (cut at end)
    assert periods == [
        Period(0, dt.date(2026, 1, 31), dt.date(2026, 2, 27)),
        Period(1, dt.date(2026, 2, 28), dt.date(2026, 3, 30)),
        Period(2, dt.date(2026, 3, 31), dt.date(2026, 4, 29)),
        Period(3, dt.date(2026, 4, 30), dt.date(2026, 5, 30)),
        Period(4, dt.date(2026, 5, 31), dt.date(2026, 5, 31)),
    ]


def test_billing_periods__end_mid_period__last_period_cut_at_end():
    # Given the demo start and an end date of 1 Apr 2026
    # When the periods are listed
    periods = billing_periods(DEMO_START, dt.date(2026, 4, 1))

    # Then the second period, due to run 13 Mar-12 Apr, stops on 1 Apr
    assert periods == [
        Period(0, dt.date(2026, 2, 13), dt.date(2026, 3, 12)),
        Period(1, dt.date(2026, 3, 13), dt.date(2026, 4, 1)),
    ]


def test_billing_periods__leap_year__29_feb_used_when_it_exists():
    # Given a contract starting 31 Jan 2028 (a leap year)
    # When its first periods are listed
    periods = billing_periods(dt.date(2028, 1, 31), dt.date(2028, 4, 29))

    # Then February's anniversary is the 29th, March's the 31st again
    assert periods == [
        Period(0, dt.date(2028, 1, 31), dt.date(2028, 2, 28)),
        Period(1, dt.date(2028, 2, 29), dt.date(2028, 3, 30)),
        Period(2, dt.date(2028, 3, 31), dt.date(2028, 4, 29)),
    ]


def test_billing_periods__starts_29_feb__next_february_clamps_to_28th():
    # Given a one-year contract starting on leap day 2028
    # When its periods are listed
    periods = billing_periods(dt.date(2028, 2, 29), dt.date(2029, 2, 27))

    # Then the anniversaries are the 29th, except Feb 2029, which has no 29th: 28 Feb 2029
    # would start period 12, so period 11 runs 29 Jan-27 Feb 2029
    assert len(periods) == 12
    assert periods[0] == Period(0, dt.date(2028, 2, 29), dt.date(2028, 3, 28))
    assert periods[1] == Period(1, dt.date(2028, 3, 29), dt.date(2028, 4, 28))
    assert periods[11] == Period(11, dt.date(2029, 1, 29), dt.date(2029, 2, 27))


def test_billing_periods__one_day_contract__one_one_day_period():
    # Given a contract that starts and ends on the same day
    # When its periods are listed
    # Then there is one period of that single day
    assert billing_periods(DEMO_START, DEMO_START) == [Period(0, DEMO_START, DEMO_START)]


def test_billing_periods__end_before_start__refused():
    # Given an end date before the start
    # When periods are listed
    # Then the terms are refused
    with pytest.raises(TermsError, match="ends"):
        billing_periods(DEMO_START, DEMO_START - dt.timedelta(days=1))


@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    days=st.integers(min_value=0, max_value=1_500),
)
def test_billing_periods__any_term__tile_it_on_anniversary_days(start, days):
    # Given any start and a term of up to about four years
    end = start + dt.timedelta(days=days)

    # When the periods are listed
    periods = billing_periods(start, end)

    # Then they cover start..end with no gap or overlap, and each starts on the anniversary day
    # (or the month's last day when the month is shorter)
    assert periods[0].start == start
    assert periods[-1].end == end
    for before, after in itertools.pairwise(periods):
        assert after.start == before.end + dt.timedelta(days=1)
    for period in periods:
        assert period.start <= period.end
        month_length = calendar.monthrange(period.start.year, period.start.month)[1]
        assert period.start.day == min(start.day, month_length)
    assert [p.index for p in periods] == list(range(len(periods)))


# ---------------------------------------------------------------------------------------------
# Rule 3: period charge
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        pytest.param(1, D("13"), id="first seat"),
        pytest.param(10_000, D("13"), id="top of tier 1"),
        pytest.param(10_001, D("11"), id="bottom of tier 2"),
        pytest.param(30_001, D("7"), id="open tier"),
        pytest.param(1_000_000, D("7"), id="far into the open tier"),
        pytest.param(0, D("13"), id="no seats: first tier"),
        pytest.param(-5, D("13"), id="below zero: first tier"),
    ],
)
def test_unit_price__demo_tiers__price_of_the_containing_tier(seats, expected):
    # Given the demo tiers
    # When the unit price for a seat count is asked
    # Then it is the price of the tier that contains the count
    assert unit_price(seats, DEMO) == expected


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        # Below the minimum the bill is the minimum: max(450, 10,000) x $13 = 130,000
        pytest.param(450, D("130000.00"), id="450: minimum applies"),
        pytest.param(0, D("130000.00"), id="0: minimum applies"),
        # 10,000 x $13 = 130,000
        pytest.param(10_000, D("130000.00"), id="10,000"),
        # The cliff: every seat moves to $11, 10,001 x $11 = 110,011
        pytest.param(10_001, D("110011.00"), id="10,001: the cliff"),
        # 20,000 x $11 = 220,000, then 20,001 x $9 = 180,009
        pytest.param(20_000, D("220000.00"), id="20,000"),
        pytest.param(20_001, D("180009.00"), id="20,001"),
        # 30,000 x $9 = 270,000, then 30,001 x $7 = 210,007
        pytest.param(30_000, D("270000.00"), id="30,000"),
        pytest.param(30_001, D("210007.00"), id="30,001"),
        # 40,000 x $7 = 280,000 (the ceiling's seat count)
        pytest.param(40_000, D("280000.00"), id="40,000"),
    ],
)
def test_period_charge__demo_volume__every_seat_at_the_tier_price(seats, expected):
    # Given the demo contract (volume, at least 10,000 seats billed)
    # When a period with `seats` billable seats is charged
    # Then every billed seat costs the price of the tier containing the billed count
    assert period_charge(seats, DEMO) == expected


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        # Minimum applies: 10,000 x $13 = 130,000
        pytest.param(450, D("130000.00"), id="450: minimum applies"),
        # 10,000 x $13 + 1 x $11 = 130,000 + 11 = 130,011 (no cliff)
        pytest.param(10_001, D("130011.00"), id="10,001"),
        # 10,000 x 13 + 10,000 x 11 + 1 x 9 = 130,000 + 110,000 + 9 = 240,009
        pytest.param(20_001, D("240009.00"), id="20,001"),
        # 130,000 + 110,000 + 10,000 x 9 + 10,000 x 7 = 130,000 + 110,000 + 90,000 + 70,000
        pytest.param(40_000, D("400000.00"), id="40,000"),
    ],
)
def test_period_charge__demo_graduated__each_seat_at_its_positions_price(seats, expected):
    # Given the demo tiers under graduated pricing
    # When a period is charged
    # Then each seat costs the price of the tier its position falls in
    assert period_charge(seats, DEMO_GRADUATED) == expected


def test_period_charge__demo_floor_and_ceiling__match_the_published_figures():
    # Given the demo contract's 12 periods
    periods = billing_periods(DEMO_START, DEMO_END)

    # When every period bills the minimum, or 40,000 seats
    floor = sum(period_charge(0, DEMO) for _ in periods)
    ceiling = sum(period_charge(40_000, DEMO) for _ in periods)

    # Then 12 x 130,000 = 1,560,000 (the floor) and 12 x 280,000 = 3,360,000 (the ceiling)
    assert floor == DEMO_FLOOR
    assert ceiling == DEMO_CEILING


def test_period_charge__minimum_in_a_higher_tier__priced_at_the_minimums_tier():
    # Given the demo tiers with a billable minimum of 15,000 (inside tier 2, $11)
    terms = Terms.build(DEMO_TIERS, "volume", min_billable_seats=15_000)

    # When a period with 450 seats is charged
    # Then the billed count is 15,000, priced at its own tier: 15,000 x 11 = 165,000
    # (not at the $13 of the tier that 450 falls in)
    assert period_charge(450, terms) == D("165000.00")


def test_period_charge__no_minimum_and_no_seats__zero():
    # Given terms with no billable minimum
    terms = Terms.build(DEMO_TIERS, "volume")

    # When a period with no seats is charged
    # Then nothing is charged
    assert period_charge(0, terms) == D("0")
    assert period_charge(0, Terms.build(DEMO_TIERS, "graduated")) == D("0")


def test_period_charge__sub_cent_price__rounded_half_up_to_the_cent():
    # Given a price with a tenth of a cent
    terms = Terms.build([Tier(1, None, D("12.345"))], "volume")

    # When 1 and 3 seats are charged
    # Then 1 x 12.345 = 12.345 -> 12.35 (half up; half-even would give 12.34)
    assert period_charge(1, terms) == D("12.35")
    # And 3 x 12.345 = 37.035 -> 37.04
    assert period_charge(3, terms) == D("37.04")


@st.composite
def tier_tables(draw, max_tiers=4, max_width=15, allow_sub_cent=True):
    """Small valid tier tables with prices in whole dollars, cents or tenths of a cent."""
    count = draw(st.integers(min_value=1, max_value=max_tiers))
    prices = st.one_of(
        st.integers(min_value=0, max_value=20).map(D),
        st.integers(min_value=0, max_value=2_000).map(lambda c: D(c) / 100),
        *(
            [st.integers(min_value=0, max_value=20_000).map(lambda m: D(m) / 1_000)]
            if allow_sub_cent
            else []
        ),
    )
    tiers, low = [], 1
    for number in range(count):
        price = draw(prices)
        if number == count - 1:
            tiers.append(Tier(low, None, price))
        else:
            high = low + draw(st.integers(min_value=0, max_value=max_width - 1))
            tiers.append(Tier(low, high, price))
            low = high + 1
    return tuple(tiers)


@given(
    tiers=tier_tables(),
    minimum=st.integers(min_value=0, max_value=30),
    seats=st.integers(min_value=0, max_value=80),
)
def test_period_charge__graduated__equals_pricing_seat_by_seat(tiers, minimum, seats):
    # Given any small graduated table
    terms = Terms.build(tiers, "graduated", min_billable_seats=minimum)

    # When a period is charged
    # Then it equals adding each billed seat's own unit price, one seat at a time
    billed = max(seats, minimum)
    assert period_charge(seats, terms) == money(
        sum((unit_price(position, terms) for position in range(1, billed + 1)), D(0))
    )


# ---------------------------------------------------------------------------------------------
# Rule 7: headroom
# ---------------------------------------------------------------------------------------------


def test_headroom__demo_all_periods_in_open_tier__room_up_to_exactly_the_ceiling():
    # Given all 12 demo periods at 30,001 seats: 12 x 30,001 x $7 = 12 x 210,007 = 2,520,084
    counts = [30_001] * 12

    # When the headroom under the $3,360,000 ceiling is asked
    room = headroom(fixed=D("0"), counts=counts, ceiling=DEMO_CEILING, terms=DEMO)

    # Then each extra seat adds 12 x $7 = $84, so (3,360,000 - 2,520,084) / 84 = 839,916 / 84
    # = 9,999 seats fit: 40,000 seats in every period is exactly the ceiling
    assert room == 9_999
    assert 12 * period_charge(30_001 + 9_999, DEMO) == DEMO_CEILING
    assert 12 * period_charge(30_001 + 10_000, DEMO) > DEMO_CEILING


def test_headroom__demo_mid_term__crosses_two_cliffs_into_the_open_tier():
    # Given 3 periods already billed at the minimum (3 x 130,000 = 390,000)
    # and 9 periods to come at 12,000 seats
    fixed = 3 * D("130000")
    counts = [12_000] * 9

    # When the headroom is asked
    room = headroom(fixed=fixed, counts=counts, ceiling=DEMO_CEILING, terms=DEMO)

    # Then no count in tiers 2 and 3 breaks the ceiling (at most 390,000 + 9 x 270,000 =
    # 2,820,000), and in the open tier 390,000 + 9 x 7 x n <= 3,360,000 gives
    # n <= 2,970,000 / 63 = 47,142.86, so n = 47,142 seats, j = 47,142 - 12,000 = 35,142:
    #   390,000 + 63 x 47,142 = 390,000 + 2,969,946 = 3,359,946 <= 3,360,000
    #   390,000 + 63 x 47,143 = 390,000 + 2,970,009 = 3,360,009 >  3,360,000
    assert room == 35_142


def test_headroom__volume_cliff_dips_below_ceiling__first_exceedance_wins():
    # Given one period at 12,000 seats and a $200,000 ceiling
    counts = [12_000]
    ceiling = D("200000")

    # When the headroom is asked
    room = headroom(fixed=D("0"), counts=counts, ceiling=ceiling, terms=DEMO)

    # Then the total breaks the ceiling inside tier 2 and the answer stops there:
    #   18,181 x 11 = 199,991 <= 200,000  (j = 6,181)
    #   18,182 x 11 = 200,002 >  200,000  (j = 6,182)
    # even though the cliff at 20,001 seats brings it back under (20,001 x 9 = 180,009), and it
    # stays under up to 22,222 x 9 = 199,998: activating 6,182 seats on the way is not allowed.
    assert room == 6_181
    assert period_charge(12_000 + 8_001, DEMO) < ceiling


def test_headroom__no_minimum__breaks_ceiling_just_before_the_first_cliff():
    # Given the demo tiers with no billable minimum, one period at 9,000 seats, and a $120,000
    # ceiling
    terms = Terms.build(DEMO_TIERS, "volume")

    # When the headroom is asked
    room = headroom(fixed=D("0"), counts=[9_000], ceiling=D("120000"), terms=terms)

    # Then still in tier 1: 9,230 x 13 = 119,990 fits, 9,231 x 13 = 120,003 does not, so
    # j = 9,230 - 9,000 = 230, though 10,001 seats would cost only 110,011
    assert room == 230


def test_headroom__cliffs_before_the_ceiling__rides_through_them():
    # Given one period at 5,000 seats (billed as 10,000) and a $250,000 ceiling
    # When the headroom is asked
    room = headroom(fixed=D("0"), counts=[5_000], ceiling=D("250000"), terms=DEMO)

    # Then tier 1 (130,000) and tier 2 (at most 20,000 x 11 = 220,000) stay under; tier 3 breaks
    # it at 9n > 250,000: 27,777 x 9 = 249,993 fits, 27,778 x 9 = 250,002 does not, so
    # j = 27,777 - 5,000 = 22,777 (the open tier's dip to 210,007 comes too late)
    assert room == 22_777


def test_headroom__minimum_still_covers_new_seats__free_seats_counted():
    # Given one period at 450 seats, billed as 10,000, and a ceiling of exactly 130,000
    # When the headroom is asked
    room = headroom(fixed=D("0"), counts=[450], ceiling=D("130000"), terms=DEMO)

    # Then seats 451..10,000 cost nothing extra (9,550 of them), and seat 10,001 drops the bill
    # to 110,011; it rises again at $11 a seat until 11,818 x 11 = 129,998 <= 130,000 and
    # 11,819 x 11 = 130,009 > 130,000, so j = 11,818 - 450 = 11,368
    assert room == 11_368


def test_headroom__already_over__zero():
    # Given 3,300,000 already spent and one period at the minimum still to come:
    # 3,300,000 + 130,000 = 3,430,000 > 3,360,000
    # When the headroom is asked
    room = headroom(fixed=D("3300000"), counts=[10_000], ceiling=DEMO_CEILING, terms=DEMO)

    # Then there is none
    assert room == 0


def test_headroom__exactly_at_ceiling__zero():
    # Given all 12 periods at 40,000 seats: 12 x 280,000 = 3,360,000, exactly the ceiling
    # When the headroom is asked
    room = headroom(fixed=D("0"), counts=[40_000] * 12, ceiling=DEMO_CEILING, terms=DEMO)

    # Then one more seat would make 12 x 40,001 x 7 = 3,360,084, so none fits
    assert room == 0


def test_headroom__free_open_tier_under_ceiling__none():
    # Given seats 1-100 at $5 and 101+ free (volume), two periods at 50 and 80 seats
    terms = Terms.build([Tier(1, 100, D("5")), Tier(101, None, D("0"))], "volume")

    # When the headroom under $1,000 is asked
    room = headroom(fixed=D("0"), counts=[50, 80], ceiling=D("1000"), terms=terms)

    # Then the highest total is at j = 20: 70 x 5 + 100 x 5 = 350 + 500 = 850; at j = 21 the
    # second period goes free, and from j = 51 both are: the ceiling can never be reached
    assert room is None


def test_headroom__graduated_free_open_tier_capped_at_ceiling__none():
    # Given the same tiers, graduated: each period costs at most 100 x $5 = $500
    terms = Terms.build([Tier(1, 100, D("5")), Tier(101, None, D("0"))], "graduated")

    # When the headroom under $1,000 is asked for two periods
    room = headroom(fixed=D("0"), counts=[50, 80], ceiling=D("1000"), terms=terms)

    # Then the total tops out at 500 + 500 = 1,000, at (not over) the ceiling
    assert room is None


def test_headroom__no_periods_left__depends_only_on_fixed():
    # Given no period that extra seats could land in
    # When the headroom is asked
    # Then it is unlimited while the fixed spend fits, and zero once it does not
    assert headroom(fixed=D("100"), counts=[], ceiling=D("100"), terms=DEMO) is None
    assert headroom(fixed=D("100.01"), counts=[], ceiling=D("100"), terms=DEMO) == 0


def test_headroom__negative_count__refused():
    # Given a negative seat count (a caller bug)
    # When the headroom is asked
    # Then it is refused rather than priced
    with pytest.raises(ValueError, match="negative"):
        headroom(fixed=D("0"), counts=[-1], ceiling=D("1"), terms=DEMO)


def test_headroom__large_contract__does_not_price_seat_by_seat(monkeypatch):
    # Given period_charge wrapped to count its calls
    calls = []
    real_period_charge = pricing.period_charge

    def counting_period_charge(n, terms):
        calls.append(n)
        return real_period_charge(n, terms)

    monkeypatch.setattr(pricing, "period_charge", counting_period_charge)

    # When the mid-term headroom (35,142 seats, see above) is asked over 9 distinct counts
    counts = [12_000 + 1_000 * i for i in range(9)]
    room = headroom(fixed=D("390000"), counts=counts, ceiling=DEMO_CEILING, terms=DEMO)

    # Then the answer needs a few thousand prices, not tens of thousands of seats x 9 periods
    assert room > 20_000
    assert len(calls) < 5_000


@given(
    tiers=tier_tables(),
    mode=st.sampled_from(["volume", "graduated"]),
    minimum=st.integers(min_value=0, max_value=40),
    counts=st.lists(st.integers(min_value=0, max_value=60), max_size=5),
    fixed_cents=st.integers(min_value=0, max_value=50_000),
    ceiling_at=st.one_of(
        # a level the total actually reaches at some j, give or take a cent or two: this is
        # where ties, cliffs and off-by-one errors live
        st.tuples(st.just("reached"), st.integers(0, 150), st.integers(-2, 2)),
        # or anywhere from just under the current total to far above it
        st.tuples(st.just("slack"), st.just(0), st.integers(-5_000, 300_000)),
    ),
)
@settings(max_examples=400, deadline=None)
def test_headroom__random_terms__matches_trying_every_seat(
    tiers, mode, minimum, counts, fixed_cents, ceiling_at
):
    # Given small random terms, counts, and a ceiling near a total the plan reaches
    terms = Terms.build(tiers, mode, min_billable_seats=minimum)
    fixed = D(fixed_cents) / 100
    bound = 400  # well past every breakpoint: the last tier starts by seat 46
    charge = [period_charge(n, terms) for n in range(max(counts, default=0) + bound + 1)]

    def total(j):
        return fixed + sum((charge[c + j] for c in counts), D(0))

    _, at_j, offset_cents = ceiling_at
    ceiling = total(at_j) + D(offset_cents) / 100
    note(f"ceiling={ceiling}")

    # When the headroom is asked
    room = headroom(fixed=fixed, counts=counts, ceiling=ceiling, terms=terms)

    # Then it agrees with trying j = 0, 1, 2, ... until the total first breaks the ceiling
    first_over = next((j for j in range(bound + 1) if total(j) > ceiling), None)
    if first_over is not None:
        assert room == max(first_over - 1, 0)
    elif not counts or terms.tiers[-1].unit_price == 0:
        # Past the last breakpoint the total is flat, so it never breaks the ceiling
        assert room is None
    else:
        assert room is not None
        assert room >= bound


# ---------------------------------------------------------------------------------------------
# Rule 9: tier cliffs
# ---------------------------------------------------------------------------------------------


def test_tier_cliff__demo_below_minimum__counts_seats_from_active_not_billed():
    # Given 450 active seats, billed as 10,000 at $13
    # When the cliff is asked
    cliff = tier_cliff(450, DEMO)

    # Then the next cheaper tier starts at 10,001: 10,001 - 450 = 9,551 more seats, and the
    # period charge goes from 10,000 x 13 = 130,000 to 10,001 x 11 = 110,011
    assert cliff == TierCliff(
        seats_to_next_tier=9_551,
        period_amount_now=D("130000.00"),
        period_amount_at_next_tier=D("110011.00"),
    )


def test_tier_cliff__demo_in_tier_2__next_cliff_at_20_001():
    # Given 10,001 seats, at $11
    # When the cliff is asked
    cliff = tier_cliff(10_001, DEMO)

    # Then 20,001 - 10,001 = 10,000 more seats reach $9: 20,001 x 9 = 180,009
    assert cliff == TierCliff(10_000, D("110011.00"), D("180009.00"))


def test_tier_cliff__minimum_in_tier_2__cliff_counted_from_the_billed_tier():
    # Given a billable minimum of 15,000 (tier 2, $11) and 450 active seats
    terms = Terms.build(DEMO_TIERS, "volume", min_billable_seats=15_000)

    # When the cliff is asked
    cliff = tier_cliff(450, terms)

    # Then the bill sits in tier 2, so the next cheaper tier is tier 3 at 20,001:
    # 20,001 - 450 = 19,551 seats; 15,000 x 11 = 165,000 now, 20,001 x 9 = 180,009 there
    assert cliff == TierCliff(19_551, D("165000.00"), D("180009.00"))


def test_tier_cliff__demo_in_open_tier__none():
    # Given 30,001 seats, already in the cheapest (open) tier
    # When the cliff is asked
    # Then there is none
    assert tier_cliff(30_001, DEMO) is None


def test_tier_cliff__graduated__none():
    # Given graduated pricing, where adding seats never lowers the bill
    # When the cliff is asked
    # Then there is none
    assert tier_cliff(450, DEMO_GRADUATED) is None
    assert tier_cliff(15_000, DEMO_GRADUATED) is None


@pytest.mark.parametrize(
    ("tier_2_price", "case"),
    [
        pytest.param(D("6"), "dearer", id="dearer tier in between"),
        pytest.param(D("5"), "same price", id="same-price tier in between"),
    ],
)
def test_tier_cliff__no_cheaper_tier_next__skips_to_first_cheaper_tier(tier_2_price, case):
    # Given 1-10 at $5, 11-20 at $6 (or the same $5), 21+ at $4 (volume, no minimum), 5 seats
    terms = Terms.build(
        [Tier(1, 10, D("5")), Tier(11, 20, tier_2_price), Tier(21, None, D("4"))], "volume"
    )

    # When the cliff is asked
    cliff = tier_cliff(5, terms)

    # Then tier 2 is not cheaper, so the cliff is tier 3: 21 - 5 = 16 seats,
    # 5 x 5 = 25.00 now, 21 x 4 = 84.00 there
    assert cliff == TierCliff(16, D("25.00"), D("84.00")), case


# ---------------------------------------------------------------------------------------------
# Rule 10: chargeback
# ---------------------------------------------------------------------------------------------


def test_split_chargeback__remainders_and_a_tie__largest_remainders_then_code():
    # Given $1.01 (101 cents) across EDU 3, DOH 2, DOT 1, TAX 1 seats (7 in all) and LIB 0
    seats = {"TAX": 1, "EDU": 3, "DOT": 1, "LIB": 0, "DOH": 2}

    # When it is split
    parts = split_chargeback(D("1.01"), seats)

    # Then the floored shares are
    #   EDU 303/7 = 43 r 2, DOH 202/7 = 28 r 6, DOT 101/7 = 14 r 3, TAX 101/7 = 14 r 3
    # which add to 99, so 2 cents are left: DOH (r 6) first, then DOT and TAX tie at r 3 and
    # DOT wins by code; LIB has no seats and no line
    assert parts == {"DOH": D("0.29"), "DOT": D("0.15"), "EDU": D("0.43"), "TAX": D("0.14")}
    assert sum(parts.values()) == D("1.01")


def test_split_chargeback__demo_minimum_over_equal_agencies__one_cent_by_code():
    # Given the demo minimum charge, $130,000 = 13,000,000 cents, over three agencies of 150
    # When it is split
    parts = split_chargeback(D("130000.00"), {"TAX": 150, "DOT": 150, "DOH": 150})

    # Then each gets 13,000,000 / 3 = 4,333,333 r 1 cents; the one cent left goes to DOH
    assert parts == {
        "DOH": D("43333.34"),
        "DOT": D("43333.33"),
        "TAX": D("43333.33"),
    }


def test_split_chargeback__no_billable_seats__unallocated():
    # Given a period charged only because of the billable minimum
    # When it is split over agencies with no seats
    # Then the whole charge is booked as unallocated
    assert split_chargeback(D("130000.00"), {}) == {None: D("130000.00")}
    assert split_chargeback(D("130000.00"), {"DOT": 0}) == {None: D("130000.00")}


def test_split_chargeback__nothing_charged__no_lines():
    # Given a zero charge
    # When it is split
    # Then there is nothing to book
    assert split_chargeback(D("0"), {"DOT": 5}) == {}
    assert split_chargeback(D("0.00"), {}) == {}


def test_split_chargeback__share_below_a_cent__agency_still_listed_at_zero():
    # Given 1 cent over DOH 1 seat and DOT 1 seat
    # When it is split
    # Then each share is 0 r 1; the cent goes to DOH by code, and DOT keeps a 0.00 line
    assert split_chargeback(D("0.01"), {"DOT": 1, "DOH": 1}) == {
        "DOH": D("0.01"),
        "DOT": D("0.00"),
    }


@pytest.mark.parametrize(
    ("amount", "seats", "message"),
    [
        pytest.param(D("1.005"), {"DOT": 1}, "whole number of cents", id="sub-cent amount"),
        pytest.param(D("-1.00"), {"DOT": 1}, "negative", id="negative amount"),
        pytest.param(D("1.00"), {"DOT": -1}, "negative", id="negative seats"),
    ],
)
def test_split_chargeback__bad_input__refused(amount, seats, message):
    # Given an amount that is not whole cents, or negative figures
    # When it is split
    # Then it is refused
    with pytest.raises(ValueError, match=message):
        split_chargeback(amount, seats)


@given(
    amount_cents=st.integers(min_value=0, max_value=10**10),
    seats=st.dictionaries(
        st.sampled_from(["DOH", "DOT", "EDU", "LIB", "TAX", "DMV", "AG"]),
        st.integers(min_value=0, max_value=50_000),
    ),
)
def test_split_chargeback__any_split__exact_fair_and_non_negative(amount_cents, seats):
    # Given any whole-cent amount and any seats by agency
    amount = D(amount_cents) / 100

    # When it is split
    parts = split_chargeback(amount, seats)

    # Then the parts add up exactly, none is negative, and each is within a cent of its exact
    # proportional share
    total_seats = sum(seats.values())
    if amount_cents == 0:
        assert parts == {}
    elif total_seats == 0:
        assert parts == {None: amount}
    else:
        assert sum(parts.values()) == amount
        assert set(parts) == {code for code, n in seats.items() if n > 0}
        for code, part in parts.items():
            assert part >= 0
            assert part == money(part)
            exact = Fraction(amount_cents * seats[code], total_seats)
            assert abs(Fraction(part * 100) - exact) < 1
