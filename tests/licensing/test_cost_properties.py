"""Properties of the cost engine on random histories: the SQL aggregation equals a naive per-seat,
per-day Python recomputation, for both tier modes, both billing bases, both shortfall
allocations, replacement seats (one person, several seats) and random as-of days."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licensing import pricing
from licensing.cost_report import CostInputs, build_report
from licensing.models import UsageDay
from licensing.selectors import contract_cost_inputs, contract_terms, day_start
from licensing.services.seats import ALLOWED
from tests.factories import AgencyFactory, ContractFactory
from tests.licensing.history import NY, seat_with_history

START, END = dt.date(2026, 1, 31), dt.date(2026, 5, 20)  # a clamped anniversary and a cut end


@st.composite
def history(draw):
    """A valid seat history: a walk over the lifecycle's allowed transitions, at random moments
    (late evenings too, which fall on the next UTC day)."""
    status, steps, day = "", [], draw(st.integers(min_value=-5, max_value=60))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        choices = sorted(ALLOWED[status])
        if not choices:
            break
        status = draw(st.sampled_from(choices))
        steps.append((day, draw(st.integers(min_value=0, max_value=23)), status))
        day += draw(st.integers(min_value=0, max_value=35))
    return steps


def naive_inputs(contract, as_of: dt.date) -> CostInputs:
    """Walk every seat's events day by day: the slow, obvious reading of rules 2, 5 and 7.
    A person is billed once per period, under the agency of their billable seat with the
    highest id; on the engaged basis the current period's headroom count is every person who
    engaged in it so far or holds a seat active at the end of the day."""
    periods = pricing.billing_periods(contract.start_date, contract.end_date)
    current = next((p for p in periods if p.start <= as_of <= p.end), None)
    cutoff = day_start(as_of + dt.timedelta(days=1))
    engaged = contract.billing_basis == "engaged"
    billed: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)  # period -> person -> seat
    seats_billed: dict[int, int] = defaultdict(int)
    active: dict[int | None, int] = defaultdict(int)
    may_engage: set[int] = set()
    for seat in contract.seats.select_related("agency").order_by("id"):
        events = [e for e in seat.events.order_by("at", "id") if e.at < cutoff]
        intervals = []
        for i, e in enumerate(events):
            if e.to_status == "active":
                end = events[i + 1].at if i + 1 < len(events) else None
                intervals.append((e.at, end))
        is_active = bool(events) and events[-1].to_status == "active"
        if is_active:
            active[seat.cohort_id] += 1
        used = set(
            UsageDay.objects.filter(seat=seat, date__lte=as_of).values_list("date", flat=True)
        )
        for p in periods:
            if p.start > as_of:
                continue
            day, hit = p.start, False
            while day <= p.end and not hit:
                lo, hi = day_start(day), day_start(day + dt.timedelta(days=1))
                if engaged:
                    hit = day in used
                else:
                    hit = any(a < hi and (b is None or b > lo) for a, b in intervals)
                day += dt.timedelta(days=1)
            if hit:
                seats_billed[p.index] += 1
                billed[p.index][seat.employee_id] = (seat.pk, seat.agency.code)  # highest id wins
                if p is current:
                    may_engage.add(seat.employee_id)
        if is_active:
            may_engage.add(seat.employee_id)
    persons: dict[int, dict[str, int]] = defaultdict(dict)
    for index, by_person in billed.items():
        for _seat, code in by_person.values():
            persons[index][code] = persons[index].get(code, 0) + 1
    return CostInputs(
        contract_id=contract.pk,
        as_of=as_of,
        start_date=contract.start_date,
        end_date=contract.end_date,
        floor_amount=contract.floor_amount,
        ceiling_amount=contract.ceiling_amount,
        terms=contract_terms(contract),
        billable=persons,
        active_by_cohort=dict(active),
        planned_cohorts=(),
        billable_seats=dict(seats_billed),
        headroom_current=len(may_engage) if engaged and current is not None else None,
        shortfall_allocation=contract.shortfall_allocation,
        billing_basis=contract.billing_basis,
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    histories=st.lists(history(), min_size=0, max_size=8),
    as_of_offset=st.integers(min_value=-10, max_value=130),
    mode=st.sampled_from(["volume", "graduated"]),
    basis=st.sampled_from(["assigned", "engaged"]),
    allocation=st.sampled_from(["central", "pro_rata"]),
    minimum=st.sampled_from([0, 3]),
    usage_days=st.lists(st.tuples(st.integers(0, 7), st.integers(-3, 120)), max_size=12),
    replacements=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_cost_aggregation__random_histories__equals_naive_recomputation(
    db, histories, as_of_offset, mode, basis, allocation, minimum, usage_days, replacements
):
    with transaction.atomic():
        # Given a random contract shape and random seat histories over two agencies, where a
        # seat whose person's previous seat was revoked may be that person's replacement seat
        # (a re-hire, a transfer to the other agency)
        contract = ContractFactory(
            start_date=START,
            end_date=END,
            tier_mode=mode,
            billing_basis=basis,
            shortfall_allocation=allocation,
            min_billable_seats=minimum,
            floor_amount=D("0"),
            ceiling_amount=D("150"),
            tiers=[(1, 2, "10"), (3, 4, "8.5"), (5, None, "6")],
        )
        agencies = [AgencyFactory(code="ANF"), AgencyFactory(code="EOTSS")]
        seats, previous = [], None
        for i, steps in enumerate(histories):
            # Events of a seat are strictly ordered in time (a database constraint).
            hours, timeline = -(10**6), []
            for d, h, status in steps:
                hours = max(hours + 1, d * 24 + h)
                moment = dt.datetime.combine(START, dt.time(), tzinfo=NY)
                timeline.append((moment + dt.timedelta(hours=hours), status))
            person = None
            if replacements[i] and previous is not None and previous.status == "revoked":
                person = previous.employee
            seat = seat_with_history(contract, agencies[i % 2], timeline, employee=person)
            seats.append(seat)
            previous = seat
        for seat_index, day in usage_days:
            if seats:
                seat = seats[seat_index % len(seats)]
                UsageDay.objects.get_or_create(seat=seat, date=START + dt.timedelta(days=day))
        as_of = START + dt.timedelta(days=as_of_offset)

        # When the engine counts in SQL, and the naive walk counts day by day
        fast = contract_cost_inputs(contract, as_of, cohorts=())
        slow = naive_inputs(contract, as_of)

        # Then the persons, the seats, the headroom count and every figure of the report agree
        assert {k: dict(v) for k, v in fast.billable.items() if v} == {
            k: dict(v) for k, v in slow.billable.items() if v
        }
        assert {k: v for k, v in fast.billable_seats.items() if v} == {
            k: v for k, v in slow.billable_seats.items() if v
        }
        assert fast.headroom_current == slow.headroom_current
        assert {k: v for k, v in fast.active_by_cohort.items() if v} == slow.active_by_cohort
        assert build_report(fast).as_json() == build_report(slow).as_json()
        # And the chargeback parts, the central fund's included, add up to the spend exactly
        r = build_report(fast)
        assert sum((part for _, part in r.by_agency), D(0)) == r.spend_to_date
        transaction.set_rollback(True)
