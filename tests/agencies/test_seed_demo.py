"""`manage.py seed_demo`: a deterministic, idempotent demo whose seat histories obey the rules
the rest of the project relies on (status = latest event, chained events, nothing after the
as-of day, one open seat per employee, NAGE seats held)."""

import datetime as dt
import io
import itertools
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count

from agencies.models import Agency, BargainingUnit, Employee
from licensing import pricing
from licensing.models import Contract, PriceTier, Seat, SeatEvent
from rollout.models import Cohort, ReadinessCheck, Wave, WaveEvent

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("America/New_York")
AS_OF = dt.date(2026, 11, 29)
SMALL = "0.02"  # ~800 employees: every kind of seat history, in about a second
MODELS = (
    get_user_model(),
    Agency,
    BargainingUnit,
    Employee,
    Contract,
    PriceTier,
    Wave,
    Cohort,
    ReadinessCheck,
    Seat,
    SeatEvent,
)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)


def histories() -> dict[int, list[SeatEvent]]:
    by_seat = defaultdict(list)
    for event in SeatEvent.objects.order_by("seat_id", "at", "id"):
        by_seat[event.seat_id].append(event)
    return by_seat


def snapshot() -> dict[str, list[tuple]]:
    """What two runs must agree on, keyed by natural keys rather than database ids."""
    return {
        "employees": list(
            Employee.objects.order_by("employee_number").values_list(
                "employee_number",
                "email",
                "first_name",
                "last_name",
                "agency__code",
                "bargaining_unit__code",
                "employment_status",
                "training_completed_on",
                "policy_acknowledged_on",
            )
        ),
        "seats": list(
            Seat.objects.order_by("employee__employee_number").values_list(
                "employee__employee_number",
                "status",
                "activated_at",
                "ended_at",
                "last_active_at",
            )
        ),
        "events": list(
            SeatEvent.objects.order_by("seat__employee__employee_number", "at").values_list(
                "seat__employee__employee_number", "from_status", "to_status", "at", "reason"
            )
        ),
        "cohorts": list(
            Cohort.objects.order_by("agency__code").values_list(
                "agency__code", "seat_quota", "onboarding_date", "status"
            )
        ),
    }


def seed_and_forget(*args: str) -> dict[str, list[tuple]]:
    """Seed an empty database, take a snapshot, and roll the whole run back."""
    with transaction.atomic():
        seed(*args)
        taken = snapshot()
        transaction.set_rollback(True)
    return taken


def test_seed_demo__empty_database__prints_rows_created_per_model():
    # Given an empty database
    # When the demo is seeded at a small scale
    out = seed("--scale", SMALL)

    # Then it reports what it made, model by model, matching the database
    assert "Demo data as of 2026-11-29" in out
    reported = {
        name.strip(): int(count.replace(",", ""))
        for name, count in (line.rsplit(" ", 1) for line in out.splitlines() if line[:2] == "  ")
    }
    assert reported == {
        "users": 1,
        "agencies": Agency.objects.count(),
        "bargaining units": 13,
        "employees": Employee.objects.count(),
        "contracts": 1,
        "price tiers": 4,
        "waves": 5,
        "wave status changes": WaveEvent.objects.count(),
        "cohorts": Cohort.objects.count(),
        "readiness checks": ReadinessCheck.objects.count(),
        "seats": Seat.objects.count(),
        "seat events": SeatEvent.objects.count(),
    }
    assert reported["employees"] > 700


def test_seed_demo__waves__history_leads_to_each_wave_status():
    # Given the demo as of 29 November 2026
    seed("--scale", SMALL)

    # Then every wave's recorded changes chain from planned to where the wave stands, each by
    # the rollout office with a reason: the timeline can say who moved it and when
    for wave in Wave.objects.prefetch_related("events"):
        statuses = ["planned"]
        for change in wave.events.all():
            assert change.from_status == statuses[-1]
            assert change.actor is not None and change.reason
            statuses.append(change.to_status)
        assert statuses[-1] == wave.status
    assert WaveEvent.objects.filter(to_status="completed").exists()


def test_seed_demo__same_seed_on_two_fresh_databases__identical_rows():
    # Given two fresh runs with the same seed and as-of day
    first = seed_and_forget("--scale", SMALL, "--seed", "7")
    assert Employee.objects.count() == 0
    second = seed_and_forget("--scale", SMALL, "--seed", "7")

    # Then they wrote the same people, seats and histories
    assert first["employees"]
    assert first["events"]
    assert first == second


def test_seed_demo__other_seed__other_names_same_employee_numbers():
    # Given runs with two different seeds
    first = seed_and_forget("--scale", SMALL, "--seed", "1")
    second = seed_and_forget("--scale", SMALL, "--seed", "2")

    # Then the people differ but their HR ids do not (a re-run tops up, never duplicates)
    assert [row[0] for row in first["employees"]] == [row[0] for row in second["employees"]]
    assert [row[1] for row in first["employees"]] != [row[1] for row in second["employees"]]


def test_seed_demo__second_run__creates_nothing_and_says_so():
    # Given a seeded database
    seed("--scale", SMALL)
    before = counts()

    # When the command runs again with the same arguments
    out = seed("--scale", SMALL)

    # Then every model has the same number of rows and the output says nothing was needed
    assert counts() == before
    assert "Nothing to do" in out


def test_seed_demo__interrupted_seed__topped_up_to_the_full_scenario():
    # Given a seed whose seats were lost (as if it had been stopped half-way)
    seed("--scale", SMALL)
    full = counts()
    SeatEvent.objects.all().delete()
    Seat.objects.all().delete()
    Employee.objects.filter(agency__code="EOHHS").delete()

    # When the command runs again
    out = seed("--scale", SMALL)

    # Then only the missing rows are written and the scenario is whole again
    assert counts() == full
    assert "Nothing to do" not in out


def test_seed_demo__every_seat__status_and_dates_follow_its_events():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then each seat's status is its latest event's, activated_at the latest activation, and
    # ended_at set exactly on revoked seats, at the revocation
    by_seat = histories()
    seats = list(Seat.objects.all())
    assert seats
    for seat in seats:
        events = by_seat[seat.pk]
        assert events, seat
        assert seat.status == events[-1].to_status
        activations = [e.at for e in events if e.to_status == "active"]
        assert seat.activated_at == (activations[-1] if activations else None)
        assert seat.ended_at == (events[-1].at if seat.status == "revoked" else None)
        assert seat.agency_id == seat.employee.agency_id
        assert seat.cohort.agency_id == seat.agency_id


def test_seed_demo__every_history__chains_from_empty_through_each_previous_status():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then each history starts from "" and every event leaves the status the previous one set,
    # in strictly increasing time, written by the demo job (no actor)
    for events in histories().values():
        assert events[0].from_status == ""
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            assert after.at > before.at
        for event in events:
            assert event.actor_id is None
            assert event.reason.startswith("Demo data")


def test_seed_demo__every_event__between_onboarding_and_the_end_of_the_as_of_day():
    # Given the demo seeded as of a mid-rollout day
    as_of = dt.date(2026, 6, 20)
    seed("--scale", SMALL, "--as-of", as_of.isoformat())

    # Then no event is later than that day, none precedes its cohort's onboarding day, and
    # only the cohorts onboarded by then have seats
    events = SeatEvent.objects.select_related("seat__cohort")
    assert events.exists()
    for event in events:
        assert event.at < end_of(as_of)
        assert event.at.astimezone(TZ).date() >= event.seat.cohort.onboarding_date
    assert not Seat.objects.filter(cohort__onboarding_date__gt=as_of).exists()
    statuses = dict(Wave.objects.values_list("number", "status"))
    assert statuses == {
        1: "completed",
        2: "completed",
        3: "in_progress",
        4: "planned",
        5: "planned",
    }


def test_seed_demo__open_seats__at_most_one_per_employee_and_contract():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then no employee holds two seats under the contract, open or not
    doubled = (
        Seat.objects.values("contract_id", "employee_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not doubled.exists()


def test_seed_demo__nage_members__seats_held_naming_the_bargaining_status():
    # Given the seeded demo, where NAGE has demanded to bargain
    seed("--scale", SMALL)

    # Then NAGE's units are at demand_filed since February 2026 and the others are not holding
    nage = BargainingUnit.objects.filter(union="NAGE")
    assert set(nage.values_list("code", flat=True)) == {"NAGE-1", "NAGE-3", "NAGE-6"}
    for unit in nage:
        assert unit.bargaining_status == "demand_filed"
        assert unit.status_changed_at.astimezone(TZ).date().replace(day=1) == dt.date(2026, 2, 1)
    assert not BargainingUnit.objects.exclude(union="NAGE").exclude(bargaining_status="none")

    # And every NAGE member's seat starts held, with a reason naming the unit's status,
    # while no one else's seat is ever held
    nage_seats = Seat.objects.filter(employee__bargaining_unit__union="NAGE")
    assert nage_seats.exists()
    for seat in nage_seats.prefetch_related("events").select_related("employee__bargaining_unit"):
        first = seat.events.all()[0]
        assert (first.from_status, first.to_status) == ("", "held")
        assert seat.employee.bargaining_unit.code in first.reason
        assert "Demand to bargain filed" in first.reason
        assert seat.status in {"held", "revoked"}
    others = SeatEvent.objects.exclude(seat__employee__bargaining_unit__union="NAGE")
    assert not others.filter(to_status="held").exists()


def test_seed_demo__default_as_of__waves_one_to_four_done_and_wave_five_running():
    # Given the demo seeded as of its default day, 29 November 2026
    seed("--scale", SMALL)

    # Then waves 1-4 are completed, wave 5 (EOHHS and its agencies) is in progress, and every
    # approved wave records its approver
    waves = {w.number: w for w in Wave.objects.all()}
    assert [waves[n].status for n in range(1, 6)] == ["completed"] * 4 + ["in_progress"]
    assert waves[1].planned_start == dt.date(2026, 2, 13)
    assert set(waves[5].cohorts.values_list("agency__code", flat=True)) == {
        "EOHHS",
        "DCF",
        "DPH",
        "DMH",
        "DDS",
    }
    for wave in waves.values():
        assert wave.approved_by.username == "eotss.rollout"
        assert wave.approved_at < end_of(AS_OF)
    assert not get_user_model().objects.get(username="eotss.rollout").has_usable_password()
    assert Agency.objects.filter(cohorts__isnull=True).exists()  # some agencies wait


def test_seed_demo__started_cohorts__gates_signed_and_staff_trained_before_onboarding():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then each cohort of an approved wave has its four signed gates met before the approval,
    # and most of its staff trained and acknowledged before the onboarding day
    for cohort in Cohort.objects.filter(onboarding_date__lte=AS_OF).select_related("wave"):
        checks = list(cohort.checks.all())
        assert {c.kind for c in checks} == {
            "privacy_review",
            "security_review",
            "union_notice",
            "help_desk_ready",
        }
        for check in checks:
            assert check.is_met
            assert check.signed_off_by.username == "eotss.rollout"
            assert check.met_at <= cohort.wave.approved_at
            assert check.evidence
        staff = Employee.objects.filter(agency=cohort.agency)
        trained = staff.filter(
            training_completed_on__lt=cohort.onboarding_date,
            policy_acknowledged_on__lt=cohort.onboarding_date,
        )
        assert trained.count() >= 0.8 * staff.count()
        assert not staff.filter(training_completed_on__gte=cohort.onboarding_date).exists()
        assert cohort.seat_quota <= cohort.agency.headcount
        assert cohort.seats.exclude(status="revoked").count() <= cohort.seat_quota


def test_seed_demo__contract__demo_terms_with_four_tiers():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then the contract carries the design's worked reference terms
    contract = Contract.objects.get(number="RFQ-26-04261")
    assert (contract.vendor, contract.reseller) == ("OpenAI", "Carahsoft Technology Corp.")
    assert (contract.start_date, contract.end_date) == (dt.date(2026, 2, 13), dt.date(2027, 2, 12))
    assert contract.floor_amount == Decimal("1560000.00")
    assert contract.ceiling_amount == Decimal("3360000.00")
    assert contract.min_billable_seats == 10_000
    assert (contract.tier_mode, contract.billing_basis) == ("volume", "assigned")
    tiers = list(contract.tiers.values_list("min_seats", "max_seats", "unit_price_monthly"))
    assert tiers == [
        (1, 10_000, Decimal("13")),
        (10_001, 20_000, Decimal("11")),
        (20_001, 30_000, Decimal("9")),
        (30_001, None, Decimal("7")),
    ]


def test_seed_demo__employees__unique_lowercase_emails_and_hr_numbers():
    # Given the seeded demo
    seed("--scale", SMALL)

    # Then every employee has an E+7-digit number and a lower-case first.last.N@mass.gov address
    rows = list(Employee.objects.values_list("employee_number", "email", "employment_status"))
    numbers = [n for n, _, _ in rows]
    emails = [e for _, e, _ in rows]
    assert len(set(numbers)) == len(numbers)
    assert len(set(emails)) == len(emails)
    for number, email, _ in rows:
        assert len(number) == 8
        assert number[0] == "E"
        assert number[1:].isdigit()
        assert email == email.lower()
        assert email.endswith("@mass.gov")
        assert email.count(".") == 3
    statuses = [s for _, _, s in rows]
    assert 0 < statuses.count("separated") < statuses.count("leave") < 0.05 * len(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scale", "0"), "--scale must be above 0"),
        (("--scale", "eleven"), "--scale must be a number"),
        (("--as-of", "29/11/2026"), "--as-of must be a date"),
        (("--as-of", "2027-03-01"), "after the contract's last day"),
    ],
)
def test_seed_demo__bad_arguments__refused_with_a_clear_message(args, message):
    # Given arguments the demo cannot be built from
    # When the command runs, Then it refuses and writes nothing
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert Employee.objects.count() == 0


def _total_if_active_seats_stay(contract: Contract, as_of: dt.date) -> Decimal:
    """The term's total on the assigned basis, with every seat active at the end of `as_of`
    kept active to the end of the term."""
    terms = pricing.Terms.build(
        [
            pricing.Tier(t.min_seats, t.max_seats, t.unit_price_monthly)
            for t in contract.tiers.all()
        ],
        contract.tier_mode,
        contract.min_billable_seats,
    )
    intervals = []
    for events in histories().values():
        opened = None
        for event in events:
            day = event.at.astimezone(TZ).date()
            if event.to_status == "active" and opened is None:
                opened = day
            elif event.to_status != "active" and opened is not None:
                intervals.append((opened, day))
                opened = None
        if opened is not None:
            intervals.append((opened, contract.end_date))
    total = Decimal(0)
    for period in pricing.billing_periods(contract.start_date, contract.end_date):
        billable = {
            i
            for i, (start, end) in enumerate(intervals)
            if start <= period.end and end >= period.start
        }
        total += pricing.period_charge(len(billable), terms)
    return total


@pytest.mark.slow
def test_seed_demo__full_scale__about_40000_employees_and_inside_the_band():
    # Given the full-scale demo
    seed()

    # Then it holds about 40,000 employees, NAGE about 15,000 of them, over 90% in a unit
    employees = Employee.objects.count()
    assert abs(employees - 40_000) <= 0.05 * 40_000
    nage = Employee.objects.filter(bargaining_unit__union="NAGE").count()
    assert abs(nage - 15_000) <= 0.10 * 15_000
    assert Employee.objects.filter(bargaining_unit__isnull=False).count() > 0.9 * employees
    eohhs_side = (
        Employee.objects.filter(agency__code="EOHHS").count()
        + Employee.objects.filter(agency__parent__code="EOHHS").count()
    )
    assert abs(eohhs_side - 20_000) <= 0.05 * 20_000

    # And the contract stays between floor and ceiling even if today's active seats stay on
    contract = Contract.objects.get(number="RFQ-26-04261")
    total = _total_if_active_seats_stay(contract, AS_OF)
    assert contract.floor_amount <= total <= contract.ceiling_amount


def test_seed_demo__past_as_of_projection__uses_the_plan_of_that_day():
    # Given the demo as of 29 November 2026 (waves 1–4 completed since, wave 5 running)
    seed("--scale", SMALL)
    contract = Contract.objects.get()
    from licensing.cost_report import build_report
    from licensing.selectors import contract_cost_inputs, planned_cohorts
    from licensing.services.cost import contract_cost_report

    # When the cost is computed as of 20 June 2026, in the middle of wave 3
    day = dt.date(2026, 6, 20)
    past = contract_cost_report(contract=contract, as_of=day)

    # Then the plan is the one of that day: waves 3 (running), 4 and 5 (planned or approved)
    # still count their unfilled quotas, though they are completed or running now
    waves = {c.wave_id for c in planned_cohorts(contract, day)}
    assert waves == set(Wave.objects.filter(number__in=(3, 4, 5)).values_list("id", flat=True))
    # And the projected counts exceed those with today's statuses, where waves 3 and 4 are
    # closed (at this scale every charge is the 10,000-seat minimum, so the counts tell them apart)
    todays = build_report(
        contract_cost_inputs(contract, day, cohorts=planned_cohorts(contract, AS_OF))
    )

    def projected(r):
        return sum(p.billable_persons for p in r.periods if p.kind == "projected")

    assert projected(past) > projected(todays)
