"""The contract cost rules, as pure functions.

This module is the executable form of the cost rules of docs/cost-engine.md. It knows nothing
about the database: callers hand it seat counts, dates and terms, and it hands back money. Keeping
it pure lets the tests check every rule exhaustively and fast, and lets the cost job, the
forecast and the activation guard share one definition of what a seat costs.

Money is `Decimal`. A period charge is rounded half-up to the cent because it becomes an
invoice line; anything built from charges (totals, headroom, chargeback) adds those cents.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

VOLUME = "volume"
GRADUATED = "graduated"
TIER_MODES = (VOLUME, GRADUATED)


def money(x: Decimal) -> Decimal:
    """Round an amount half-up to cents, the precision at which money is stored and shown."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


class TermsError(ValueError):
    """Contract terms that cannot be priced; the message names the offending tier and why."""


# ---------------------------------------------------------------------------------------------
# Terms (rule 3: tiers are contiguous, start at 1 and end open)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """One price step: seats `min_seats`..`max_seats` (inclusive; None = no upper end)."""

    min_seats: int
    max_seats: int | None
    unit_price: Decimal


@dataclass(frozen=True)
class Terms:
    """The pricing part of a contract: its tiers, how they apply, and the billable minimum.

    Construction validates and sorts the tiers (see `validate_tiers`), so every `Terms` in
    circulation can price any seat count. `build` is the readable way to make one.
    """

    tiers: tuple[Tier, ...]
    tier_mode: str
    min_billable_seats: int = 0

    def __post_init__(self) -> None:
        # Validating here rather than only in `build` means no code path can hold unpriceable
        # terms, even one that calls the constructor directly.
        object.__setattr__(self, "tiers", validate_tiers(self.tiers))
        if self.tier_mode not in TIER_MODES:
            raise TermsError(
                f"Tier mode {self.tier_mode!r} is not known: use 'volume' or 'graduated'."
            )
        if (
            not isinstance(self.min_billable_seats, int)
            or isinstance(self.min_billable_seats, bool)
            or self.min_billable_seats < 0
        ):
            raise TermsError(
                f"Minimum billable seats must be a whole number of zero or more, "
                f"not {self.min_billable_seats!r}."
            )

    @classmethod
    def build(cls, tiers: Iterable[Tier], tier_mode: str, min_billable_seats: int = 0) -> Terms:
        """Validate and sort `tiers`, check the mode and minimum, and return the terms."""
        return cls(tiers=tuple(tiers), tier_mode=tier_mode, min_billable_seats=min_billable_seats)


def _is_whole(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _as_tier(raw: object, position: int) -> Tier:
    """Accept a `Tier` or anything shaped like one (e.g. a stored tier row) and type-check it."""
    try:
        tier = Tier(raw.min_seats, raw.max_seats, raw.unit_price)  # type: ignore[attr-defined]
    except AttributeError as exc:
        raise TermsError(
            f"Tier {position} is not a tier: it needs min_seats, max_seats and unit_price."
        ) from exc
    if not _is_whole(tier.min_seats):
        raise TermsError(f"Tier {position} min_seats {tier.min_seats!r} is not a whole number.")
    if tier.max_seats is not None and not _is_whole(tier.max_seats):
        raise TermsError(f"Tier {position} max_seats {tier.max_seats!r} is not a whole number.")
    price = tier.unit_price
    if _is_whole(price):
        tier = Tier(tier.min_seats, tier.max_seats, Decimal(price))
    elif not isinstance(price, Decimal) or not price.is_finite():
        # Floats are refused outright: 0.1 + 0.2 is not money.
        raise TermsError(f"Tier {position} unit price {price!r} must be a finite Decimal.")
    return tier


def validate_tiers(tiers: Iterable[Tier]) -> tuple[Tier, ...]:
    """Check a tier table can price every seat count, and return it sorted by `min_seats`.

    Rule 3: tiers start at 1, are contiguous, and only the last one is open, so every count
    from 1 upward falls in exactly one tier. Each error names the tier (in sorted order) and why.
    """
    given = [_as_tier(raw, position) for position, raw in enumerate(tiers, start=1)]
    if not given:
        raise TermsError("At least one tier is required.")
    ordered = tuple(sorted(given, key=lambda t: t.min_seats))
    last = len(ordered)
    for number, tier in enumerate(ordered, start=1):
        if tier.unit_price < 0:
            raise TermsError(
                f"Tier {number} has a negative unit price ({tier.unit_price}): "
                f"prices must be zero or more."
            )
        if tier.max_seats is not None and tier.max_seats < tier.min_seats:
            raise TermsError(
                f"Tier {number} ends at {tier.max_seats:,} before it starts at "
                f"{tier.min_seats:,}: max_seats must be at least min_seats."
            )
        if number == 1 and tier.min_seats != 1:
            raise TermsError(
                f"Tier 1 starts at {tier.min_seats:,}: the first tier must start at 1 seat."
            )
        if number > 1:
            before = ordered[number - 2]
            if before.max_seats is None:
                raise TermsError(
                    f"Tier {number - 1} is open (no max_seats) but is not the last tier: "
                    f"only the last tier may be open."
                )
            if tier.min_seats != before.max_seats + 1:
                raise TermsError(
                    f"Tier {number} starts at {tier.min_seats:,} but the tier before ends at "
                    f"{before.max_seats:,}: tiers must be contiguous."
                )
        if number == last and tier.max_seats is not None:
            raise TermsError(
                f"Tier {number} ends at {tier.max_seats:,}: the last tier must be open "
                f"(no max_seats) so that every seat count has a price."
            )
    return ordered


# ---------------------------------------------------------------------------------------------
# Rule 1: billing periods
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Billing period number `index` (0 = the first), from `start` to `end`, both inclusive."""

    index: int
    start: dt.date
    end: dt.date


def _add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved `months` calendar months on, clamped to the last day of a shorter month."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def billing_periods(start: dt.date, end: dt.date) -> list[Period]:
    """Rule 1: monthly anniversary periods from `start`, the last one cut at `end` (inclusive).

    Period k starts k months after `start`, computed from `start` itself rather than from the
    previous period: chaining would let one short month (31 Jan -> 28 Feb) drag every later
    anniversary to the 28th. Each period ends the day before the next one starts.
    """
    if end < start:
        raise TermsError(f"The contract ends ({end}) before it starts ({start}).")
    periods: list[Period] = []
    index = 0
    while (period_start := _add_months(start, index)) <= end:
        next_start = _add_months(start, index + 1)
        periods.append(Period(index, period_start, min(next_start - dt.timedelta(days=1), end)))
        index += 1
    return periods


# ---------------------------------------------------------------------------------------------
# Rule 3: the charge for a period
# ---------------------------------------------------------------------------------------------


def _tier_index(n: int, terms: Terms) -> int:
    """Position of the tier containing seat count `n`; counts below 1 belong to the first."""
    mins = [tier.min_seats for tier in terms.tiers]
    return max(bisect_right(mins, n) - 1, 0)


def unit_price(n: int, terms: Terms) -> Decimal:
    """The unit price of the tier containing `n` seats (the first tier's when `n` <= 0)."""
    return terms.tiers[_tier_index(n, terms)].unit_price


def period_charge(n: int, terms: Terms) -> Decimal:
    """Rule 3: the charge for a period with `n` billable seats, rounded to the cent.

    The contract bills at least `min_billable_seats`. Under `volume` every billed seat costs
    the unit price of the tier that contains the billed count; under `graduated` each seat
    costs the price of the tier its position falls in, like income-tax brackets.
    """
    billed = max(n, terms.min_billable_seats)
    if billed <= 0:
        return Decimal("0.00")
    if terms.tier_mode == VOLUME:
        return money(billed * unit_price(billed, terms))
    amount = Decimal(0)
    for tier in terms.tiers:
        if billed < tier.min_seats:
            break
        top = billed if tier.max_seats is None else min(billed, tier.max_seats)
        amount += (top - tier.min_seats + 1) * tier.unit_price
    return money(amount)


def persons_price(n: int, terms: Terms) -> Decimal:
    """What `n` persons cost without the billable minimum: the part of a period charge that
    rule 10 (central allocation) shares among the agencies."""
    return period_charge(n, dataclasses.replace(terms, min_billable_seats=0))


def charged_seats(n: int, terms: Terms) -> int:
    """Rule 3: the seat count the invoice prices, `max(n, min_billable_seats)`."""
    return max(n, terms.min_billable_seats)


# ---------------------------------------------------------------------------------------------
# Rule 7: headroom under the ceiling
# ---------------------------------------------------------------------------------------------


def headroom(
    *, fixed: Decimal, counts: Sequence[int], ceiling: Decimal, terms: Terms
) -> int | None:
    """Rule 7: how many more seats can be activated now and kept to the end of the term.

    `fixed` is the part of the total that extra seats cannot change (closed periods); `counts`
    holds the billable seats of each period extra seats would land in. With
    total(j) = fixed + sum(period_charge(c + j) for c in counts), the answer is the largest
    k >= 0 such that total(j) <= ceiling for every j in 0..k: 0 when total(0) is already over,
    None when no number of extra seats ever breaks the ceiling.

    "Every j" matters under `volume`: a tier cliff can make the total dip, and a plan that
    breaks the ceiling on the way up to a cheaper tier is not rescued by being under it again
    once there, because the seats are activated one after another. Seats are not tried one by
    one. Between breakpoints (where some c + j reaches a tier's `min_seats`)
    each charge stays in one tier, so the total is non-decreasing there; each segment is
    checked at its right end and bisected only if it holds the first exceedance. Periods with
    equal counts are priced once and multiplied.
    """
    if any(c < 0 for c in counts):
        raise ValueError(f"Seat counts cannot be negative: {list(counts)!r}.")
    groups = Counter(counts)

    def total(j: int) -> Decimal:
        return fixed + sum(
            (times * period_charge(c + j, terms) for c, times in groups.items()), Decimal(0)
        )

    if total(0) > ceiling:
        return 0
    # The billable minimum needs no breakpoint of its own: while c + j stays in one tier, the
    # billed count max(c + j, minimum) also stays in one tier and never decreases, so the
    # charge cannot fall.
    tier_starts = [tier.min_seats for tier in terms.tiers[1:]]
    starts = sorted({0} | {m - c for c in groups for m in tier_starts if m > c})
    for lo, next_lo in zip(starts, [*starts[1:], None], strict=True):
        if next_lo is not None:
            hi = next_lo - 1
            if total(hi) <= ceiling:
                continue
        else:
            # Past the last breakpoint every count sits in the open tier, so the total grows
            # without bound unless the open tier is free (or there is no period to charge).
            if not groups or terms.tiers[-1].unit_price == 0:
                return None if total(lo) <= ceiling else lo - 1
            hi, step = lo, 1
            while total(hi) <= ceiling:
                hi, step = lo + step, step * 2
        return _first_over(total, lo, hi, ceiling) - 1
    raise AssertionError("unreachable: the last segment always returns")


def _first_over(total: Callable[[int], Decimal], lo: int, hi: int, ceiling: Decimal) -> int:
    """The smallest j in lo..hi with total(j) > ceiling, by bisection.

    Needs total(hi) > ceiling and total non-decreasing on lo..hi (one segment).
    """
    while lo < hi:
        mid = (lo + hi) // 2
        if total(mid) > ceiling:
            hi = mid
        else:
            lo = mid + 1
    return lo


# ---------------------------------------------------------------------------------------------
# Rule 9: tier cliffs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierCliff:
    """Under `volume`, the seats that would reach a cheaper tier and what a period costs there."""

    seats_to_next_tier: int
    period_amount_now: Decimal
    period_amount_at_next_tier: Decimal


def tier_cliff(n: int, terms: Terms) -> TierCliff | None:
    """Rule 9: the nearest cheaper tier above `n` seats, if adding seats could lower the bill.

    Only `volume` pricing has cliffs (graduated never charges existing seats less). The tier
    is looked up from the billed count, max(n, min_billable_seats), because that is what the
    invoice prices; the seats still needed are counted from `n`, the seats actually active.
    """
    if terms.tier_mode != VOLUME:
        return None
    current = _tier_index(max(n, terms.min_billable_seats), terms)
    price_now = terms.tiers[current].unit_price
    for tier in terms.tiers[current + 1 :]:
        if tier.unit_price < price_now:
            return TierCliff(
                seats_to_next_tier=tier.min_seats - n,
                period_amount_now=period_charge(n, terms),
                period_amount_at_next_tier=period_charge(tier.min_seats, terms),
            )
    return None


@dataclass(frozen=True)
class ProjectionCliff:
    """Rule 9 (amended): the first remaining period (`position` among the counts given) whose
    planned count can reach a cheaper tier for less: `seats_to_next_tier` more seats take its
    charge from `period_amount_now` to `period_amount_at_next_tier`, and, kept to the end of the
    term, change the projected total by `projected_total_change` (negative: it falls)."""

    position: int
    planned_seats: int
    seats_to_next_tier: int
    period_amount_now: Decimal
    period_amount_at_next_tier: Decimal
    projected_total_change: Decimal


def _cheaper_reach(n: int, terms: Terms) -> Tier | None:
    """The first tier above the one pricing `n` seats whose first seat makes the period charge
    lower than it is with `n`: the fewest seats to add for a smaller bill (volume only)."""
    if terms.tier_mode != VOLUME:
        return None
    current = _tier_index(max(n, terms.min_billable_seats), terms)
    now = period_charge(n, terms)
    for tier in terms.tiers[current + 1 :]:
        if (
            tier.unit_price < terms.tiers[current].unit_price
            and period_charge(tier.min_seats, terms) < now
        ):
            return tier
    return None


def projection_tier_cliff(counts: Sequence[int], terms: Terms) -> ProjectionCliff | None:
    """Rule 9 (amended) on a projection: `counts` are the planned counts of the remaining
    periods, in order. The first period whose count is within reach of a cheaper tier (adding
    seats lowers its charge) gives the seats to add; those seats stay to the end of the term, so
    the change in the projected total sums every period from that one on. None under graduated
    pricing, when no period is within reach, or when no period remains."""
    for position, n in enumerate(counts):
        tier = _cheaper_reach(n, terms)
        if tier is None:
            continue
        k = tier.min_seats - n
        change = sum(
            (period_charge(c + k, terms) - period_charge(c, terms) for c in counts[position:]),
            Decimal(0),
        )
        return ProjectionCliff(
            position=position,
            planned_seats=n,
            seats_to_next_tier=k,
            period_amount_now=period_charge(n, terms),
            period_amount_at_next_tier=period_charge(tier.min_seats, terms),
            projected_total_change=change,
        )
    return None


# ---------------------------------------------------------------------------------------------
# Rule 10: chargeback
# ---------------------------------------------------------------------------------------------


SHORTFALL_CENTRAL = "central"
SHORTFALL_PRO_RATA = "pro_rata"


def period_chargeback(
    charge: Decimal, persons_by_agency: Mapping[str, int], terms: Terms, allocation: str
) -> dict[str | None, Decimal]:
    """Rule 10 (amended): who carries a period's charge. Under `central` the agencies share
    `min(charge, persons_price(n))`, what their persons cost without the billable minimum, and
    the rest (the minimum's shortfall) is unallocated, under the key None: the state's central
    fund. Under `pro_rata` the whole charge is shared. With no billable person the whole charge
    is unallocated either way. The parts add up to `charge` exactly."""
    if allocation not in (SHORTFALL_CENTRAL, SHORTFALL_PRO_RATA):
        raise ValueError(f"Unknown shortfall allocation {allocation!r}.")
    n = sum(persons_by_agency.values())
    if n == 0:
        return {None: money(charge)} if charge else {}
    shared = charge
    if allocation == SHORTFALL_CENTRAL:
        shared = min(charge, persons_price(n, terms))
    parts = split_chargeback(shared, persons_by_agency)
    if charge - shared:
        parts[None] = charge - shared
    return parts


def split_chargeback(
    amount: Decimal, seats_by_agency: Mapping[str, int]
) -> dict[str | None, Decimal]:
    """Rule 10: split a period charge across agencies in proportion to their billable persons.

    Largest-remainder apportionment in whole cents: every share is floored, then the cents
    left over go one at a time to the largest remainders, ties to the lower agency code, so
    the parts add up exactly to `amount` and nobody is off by a cent or more. Integer
    arithmetic keeps it exact. Agencies with no seats get no line (agencies with seats but a
    zero share get 0.00); a charge with no seats behind it (the billable minimum alone) is
    booked as unallocated under the key None.
    """
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"Chargeback amount {amount} is not a whole number of cents.")
    if amount < 0:
        raise ValueError(f"Chargeback amount {amount} is negative.")
    if any(seats < 0 for seats in seats_by_agency.values()):
        raise ValueError(f"Seat counts cannot be negative: {dict(seats_by_agency)!r}.")
    if amount == 0:
        return {}
    amount_cents = int(cents)
    seats = {code: n for code, n in sorted(seats_by_agency.items()) if n > 0}
    total_seats = sum(seats.values())
    if total_seats == 0:
        return {None: money(amount)}
    shares = {code: amount_cents * n // total_seats for code, n in seats.items()}
    remainders = {code: amount_cents * n % total_seats for code, n in seats.items()}
    left_over = amount_cents - sum(shares.values())
    for code in sorted(seats, key=lambda code: (-remainders[code], code))[:left_over]:
        shares[code] += 1
    return {code: Decimal(share).scaleb(-2) for code, share in shares.items()}
