"""Worked examples of the amended cost rules (issue 12), each test named after its rule, with the
arithmetic in the comments: persons billed once (rule 2), the plan as of a past day (rule 5), the
ceiling on the engaged basis and after the term (rules 7–8), the billing lines and the central
fund (rule 10), and every input change making the snapshot stale until it is recomputed
(rule 11)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.utils import timezone

from config.errors import BusinessRuleError
from licensing.models import BillingPeriod, PriceTier, Seat, UsageDay
from licensing.services.cost import (
    billing_periods_close,
    contract_cost_answer,
    contract_cost_report,
    contract_cost_snapshot,
)
from licensing.services.seats import seat_activate, seat_approve, seat_request
from licensing.usage_import import usage_import
from rollout.models import Cohort, WaveEvent
from rollout.services import cohort_add, cohort_update, wave_cancel
from tests.factories import (
    AgencyFactory,
    CohortFactory,
    ContractFactory,
    EmployeeFactory,
    WaveFactory,
)
from tests.licensing.history import at, seat_with_history, usage
from tests.rollout.builders import manager, running_cohort

SMALL_TIERS = [(1, 2, "10"), (3, 4, "8"), (5, None, "5")]


@pytest.fixture
def small(db):
    """1 Jan – 30 Jun 2026, volume tiers 1–2 at $10, 3–4 at $8, 5+ at $5, no minimum."""
    return ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        floor_amount=D("0"),
        ceiling_amount=D("1000"),
        min_billable_seats=0,
        tiers=SMALL_TIERS,
    )


def report(contract, day):
    return contract_cost_report(contract=contract, as_of=day).as_json()


# --- rule 2: persons, not seats ---------------------------------------------------------------


def test_rule2__replacement_seat_in_one_period__billed_once_to_the_newer_seats_agency(small):
    # Given Pat, active under ANF from 5 Jan, revoked on 20 Jan and given a new seat under
    # EOTSS (a transfer) active from 21 Jan; and Lee, an ANF seat active from 5 Jan
    anf, eotss = AgencyFactory(code="ANF"), AgencyFactory(code="EOTSS")
    old = seat_with_history(
        small, anf, [(dt.date(2026, 1, 5), "active"), (dt.date(2026, 1, 20), "revoked")]
    )
    new = seat_with_history(small, eotss, [(dt.date(2026, 1, 21), "active")], employee=old.employee)
    seat_with_history(small, anf, [(dt.date(2026, 1, 5), "active")])
    assert new.pk > old.pk

    r = report(small, dt.date(2026, 2, 10))

    # Then January has 3 billable seats but 2 persons: Pat once, under EOTSS (the billable
    # seat with the highest id), and Lee under ANF: c(2) = 2 x $10 = $20, not c(3) = $24.
    january, february = r["periods"][0], r["periods"][1]
    assert (january["billable_seats"], january["billable_persons"]) == (3, 2)
    assert (january["charged_seats"], january["amount"]) == (2, "20.00")
    assert january["by_agency"] == [
        {"agency": "ANF", "amount": "10.00"},
        {"agency": "EOTSS", "amount": "10.00"},
    ]
    # And February bills Pat's new seat and Lee: 2 persons, $20
    assert (february["billable_seats"], february["billable_persons"]) == (2, 2)
    assert r["spend_to_date"] == "40.00"


def test_rule2__replacement_seat_engaged_basis__billed_once(small):
    # Given the engaged basis: Pat used an ANF seat on 6 Jan, then, after its revocation, an
    # EOTSS seat on 25 Jan
    small.billing_basis = "engaged"
    small.save()
    anf, eotss = AgencyFactory(code="ANF"), AgencyFactory(code="EOTSS")
    old = seat_with_history(
        small, anf, [(dt.date(2026, 1, 5), "active"), (dt.date(2026, 1, 20), "revoked")]
    )
    new = seat_with_history(small, eotss, [(dt.date(2026, 1, 21), "active")], employee=old.employee)
    usage(old, dt.date(2026, 1, 6))
    usage(new, dt.date(2026, 1, 25))

    r = report(small, dt.date(2026, 1, 31))

    # Then January bills one person, under EOTSS: $10 (not 2 x $10 = $20)
    assert (r["periods"][0]["billable_seats"], r["periods"][0]["billable_persons"]) == (2, 1)
    assert r["by_agency"] == [{"agency": "EOTSS", "amount": "10.00"}]
    # And the headroom counts Pat once in January too (engaged or holding an active seat)
    assert r["headroom_current_count"] == 1


# --- rules 7 and 8: the ceiling on the engaged basis, and after the term ----------------------


def test_rule7_rule8__twenty_activations_engaged_last_period__refused_after_the_fifth(db):
    # Given an engaged contract in its last (only) period: $10 a seat, ceiling $50, no minimum
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - dt.timedelta(days=3),
        end_date=today + dt.timedelta(days=20),
        floor_amount=D("0"),
        ceiling_amount=D("50"),
        min_billable_seats=0,
        billing_basis="engaged",
        tiers=[(1, None, "10")],
    )
    cohort = running_cohort(contract=contract, seat_quota=100)
    seats = [
        seat_approve(
            seat=seat_request(
                employee=EmployeeFactory(agency=cohort.agency), contract=contract, cohort=cohort
            )
        )
        for _ in range(20)
    ]

    # When 20 activations are tried, none of them having sent a message yet
    activated, refusals = [], []
    for seat in seats:
        try:
            activated.append(seat_activate(seat=seat))
        except BusinessRuleError as exc:
            refusals.append(exc)

    # Then each active seat may still send a message this period, so it counts: 5 x $10 = $50
    # is the ceiling, and the 6th to 20th are refused with the figures as fields
    assert len(activated) == 5
    assert len(refusals) == 15
    first = refusals[0]
    assert first.code == "ceiling_reached"
    assert first.context["headroom_seats"] == 0
    assert first.context["ceiling_amount"] == "50.00"
    assert first.context["current_period_count"] == 5
    # And after one message each, the spend is the ceiling, not over it
    for seat in activated:
        UsageDay.objects.create(seat=seat, date=today, messages=1)
    r = report(contract, today)
    assert (r["spend_to_date"], r["over_ceiling"]) == ("50.00", False)


def test_rule8__activation_after_the_term__refused_as_contract_ended(db):
    # Given a contract that ended yesterday, with room to spare
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - dt.timedelta(days=60),
        end_date=today - dt.timedelta(days=1),
        floor_amount=D("0"),
        ceiling_amount=D("100000"),
        min_billable_seats=0,
        tiers=[(1, None, "10")],
    )
    cohort = running_cohort(contract=contract)
    seat = seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)

    # When a seat is activated
    with pytest.raises(BusinessRuleError) as refused:
        seat_activate(seat=seat)

    # Then it is refused as contract_ended (not ceiling_reached), with the end date as a field
    assert refused.value.code == "contract_ended"
    assert refused.value.context["end_date"] == contract.end_date.isoformat()
    assert Seat.objects.get(pk=seat.pk).status == "requested"


def test_rule8__quota_full__carries_the_quota_as_a_field(db):
    # Given a running cohort with a quota of 1, already used
    cohort = running_cohort(seat_quota=1)
    contract = cohort.wave.contract
    first, second = (
        seat_request(employee=EmployeeFactory(agency=cohort.agency), contract=contract)
        for _ in range(2)
    )
    seat_activate(seat=first)

    # When a second seat is activated
    with pytest.raises(BusinessRuleError) as refused:
        seat_activate(seat=second)

    # Then the refusal names the quota as a field
    assert (refused.value.code, refused.value.context["seat_quota"]) == ("quota_full", 1)


# --- rule 10 and the billing lines ------------------------------------------------------------


@pytest.mark.parametrize(
    ("allocation", "unallocated", "explanation"),
    [
        (
            "central",
            D("7.00"),
            "3 billable persons, charged at the 10-seat minimum × $1.00 each (volume) = $10.00; "
            "$7.00 unallocated (central fund).",
        ),
        (
            "pro_rata",
            D("0.00"),
            "3 billable persons, charged at the 10-seat minimum × $1.00 each (volume) = $10.00.",
        ),
    ],
)
def test_rule10__billing_line__persons_charged_seats_price_and_the_central_fund(
    db, allocation, unallocated, explanation
):
    # Given a contract billing at least 10 seats at $1, and 3 persons active in January
    contract = ContractFactory(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 2, 28),
        min_billable_seats=10,
        floor_amount=D("0"),
        ceiling_amount=D("1000"),
        tiers=[(1, None, "1")],
        shortfall_allocation=allocation,
    )
    agency = AgencyFactory(code="ANF")
    for _ in range(3):
        seat_with_history(contract, agency, [(dt.date(2026, 1, 3), "active")])

    # When January closes
    (line, *_) = billing_periods_close(contract=contract, as_of=dt.date(2026, 2, 10))

    # Then its line reconciles: 3 persons, 10 seats charged (the minimum) x $1 = $10; under
    # central the agencies pay for 3 persons ($3) and $7 is the central fund's
    assert (line.billable_persons, line.charged_seats, line.unit_price, line.amount) == (
        3,
        10,
        D("1"),
        D("10.00"),
    )
    assert line.unallocated_amount == unallocated
    assert line.explanation == explanation


def test_rule10__graduated_line__unit_price_is_graduated(small):
    # Given graduated pricing and 3 persons in January: 2 x $10 + 1 x $8 = $28
    small.tier_mode = "graduated"
    small.save()
    for _ in range(3):
        seat_with_history(small, AgencyFactory(), [(dt.date(2026, 1, 3), "active")])

    (line, *_) = billing_periods_close(contract=small, as_of=dt.date(2026, 2, 2))

    assert (line.unit_price, line.amount) == (None, D("28.00"))
    assert "graduated tiers" in line.explanation
    assert report(small, dt.date(2026, 2, 2))["periods"][0]["unit_price"] == "graduated"


def test_billing_lines__any_recompute__writes_every_closed_period(small):
    # Given a seat active since January (today is after the term)
    seat_with_history(small, AgencyFactory(), [(dt.date(2026, 1, 3), "active")])

    # When one recompute runs (not the nightly job)
    contract_cost_snapshot(contract=small)

    # Then every period of the term has its line
    assert BillingPeriod.objects.filter(contract=small).count() == 6


# --- rule 5: the plan as of a past day --------------------------------------------------------


def _history_at(cohort, when):
    """Date the cohort's latest history row (the services stamp now)."""
    row = cohort.history.first()
    type(row).objects.filter(pk=row.pk).update(history_date=when)


def test_rule5__past_day__wave_status_from_its_recorded_changes(small):
    # Given a wave planned with a cohort of quota 3 onboarding on 1 May, cancelled on 1 April
    wave = WaveFactory(contract=small, status="cancelled")
    CohortFactory(wave=wave, seat_quota=3, onboarding_date=dt.date(2026, 5, 1))
    WaveEvent.objects.create(
        wave=wave, from_status="planned", to_status="cancelled", at=at(dt.date(2026, 4, 1))
    )

    # When the cost is computed as of 15 March (the wave was still planned) and 15 April
    before = report(small, dt.date(2026, 3, 15))
    after = report(small, dt.date(2026, 4, 15))

    # Then on 15 March May and June count the 3 planned seats: 2 x c(3) = 2 x $24 = $48 of
    # projection (no seat is active); on 15 April the wave is cancelled: nothing is projected
    assert [p["billable_persons"] for p in before["periods"]] == [0, 0, 0, 0, 3, 3]
    assert before["projected_total"] == "48.00"
    assert after["projected_total"] == "0.00"


def test_rule5__past_day__cohort_quota_and_day_from_their_history(small):
    # Given a planned wave; its cohort added on 1 Feb (quota 1, onboarding 1 May) and changed
    # on 1 April to quota 4, onboarding 1 June
    boss = manager()
    wave = WaveFactory(
        contract=small,
        status="planned",
        planned_start=dt.date(2026, 4, 1),
        planned_end=dt.date(2026, 6, 30),
    )
    agency = AgencyFactory(headcount=50)
    cohort = cohort_add(
        wave=wave,
        agency=agency,
        seat_quota=1,
        onboarding_date=dt.date(2026, 5, 1),
        actor=boss,
        reason="first plan",
    )
    _history_at(cohort, at(dt.date(2026, 2, 1)))
    cohort_update(
        cohort=cohort,
        seat_quota=4,
        onboarding_date=dt.date(2026, 6, 1),
        actor=boss,
        reason="more people, later",
    )
    _history_at(cohort, at(dt.date(2026, 4, 1)))

    # Then as of 15 March the plan had 1 seat from May: May c(1) + June c(1) = $20
    assert report(small, dt.date(2026, 3, 15))["projected_total"] == "20.00"
    # And as of 15 April, 4 seats from June: c(4) = $32
    assert report(small, dt.date(2026, 4, 15))["projected_total"] == "32.00"
    # And as of 15 January, before anything was recorded, the earliest recorded state counts
    assert report(small, dt.date(2026, 1, 15))["projected_total"] == "20.00"


def test_rule5__removed_cohort__counts_until_its_removal(small):
    # Given a cohort (quota 2, onboarding 1 May) recorded on 1 Feb and removed on 1 April
    boss = manager()
    wave = WaveFactory(
        contract=small,
        status="planned",
        planned_start=dt.date(2026, 4, 1),
        planned_end=dt.date(2026, 6, 30),
    )
    cohort = cohort_add(
        wave=wave,
        agency=AgencyFactory(headcount=10),
        seat_quota=2,
        onboarding_date=dt.date(2026, 5, 1),
        actor=boss,
        reason="plan",
    )
    _history_at(cohort, at(dt.date(2026, 2, 1)))
    pk = cohort.pk
    from rollout.services import cohort_remove

    cohort_remove(cohort=cohort, actor=boss, reason="not this year")
    Cohort.history.filter(id=pk, history_type="-").update(history_date=at(dt.date(2026, 4, 1)))

    # Then as of 15 March May and June count 2 planned seats (2 x $20); as of 15 April none
    assert report(small, dt.date(2026, 3, 15))["projected_total"] == "40.00"
    assert report(small, dt.date(2026, 4, 15))["projected_total"] == "0.00"


# --- rule 11: every input change makes the figures stale until recomputed ----------------------


@pytest.fixture
def live(db):
    """A contract running today: one period a month from 60 days ago for a year, $10 a seat,
    no minimum, and a running cohort of ANF with one active seat and one approved."""
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=300),
        floor_amount=D("0"),
        ceiling_amount=D("1000000"),
        min_billable_seats=0,
        tiers=[(1, None, "10")],
    )
    cohort = running_cohort(
        contract=contract,
        agency=AgencyFactory(code="ANF", headcount=100),
        seat_quota=10,
        planned_start=today - dt.timedelta(days=10),
        planned_end=today + dt.timedelta(days=100),
    )
    Cohort.objects.filter(pk=cohort.pk).update(onboarding_date=today - dt.timedelta(days=5))
    staff = EmployeeFactory.create_batch(2, agency=cohort.agency)
    active = seat_activate(seat=seat_request(employee=staff[0], contract=contract))
    approved = seat_approve(seat=seat_request(employee=staff[1], contract=contract))
    planned = WaveFactory(
        contract=contract,
        status="planned",
        planned_start=today + dt.timedelta(days=30),
        planned_end=today + dt.timedelta(days=90),
    )
    later = CohortFactory(
        wave=planned,
        agency=AgencyFactory(code="DOR", headcount=100),
        seat_quota=20,
        onboarding_date=today + dt.timedelta(days=40),
    )
    return {
        "contract": contract,
        "cohort": cohort,
        "active": active,
        "approved": approved,
        "planned": planned,
        "later": later,
    }


def _answer(contract):
    """The API's answer as a setup with a broker gives it: a stale snapshot is served marked
    stale (its recompute asked for, not run)."""
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        return contract_cost_answer(contract=contract)


def _change_then_check(contract, change, django_capture_on_commit_callbacks, figure):
    contract_cost_snapshot(contract=contract)
    before = _answer(contract)
    assert before["stale"] is False
    # When the input changes (its recompute queued on commit, not yet run)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        change()
    # Then the served figures are stale until the recompute runs, and a recompute was asked
    stale = _answer(contract)
    assert stale["stale"] is True
    assert stale[figure] == before[figure]
    assert queued, "the change asked for no recompute"
    for callback in queued:
        callback()
    fresh = _answer(contract)
    assert fresh["stale"] is False
    assert fresh[figure] != before[figure]
    return before, fresh


def test_rule11__seat_activation__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    _change_then_check(
        live["contract"],
        lambda: seat_activate(seat=live["approved"]),
        django_capture_on_commit_callbacks,
        "active_seats",
    )


def test_rule11__wave_cancel__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    # The planned wave's 20 seats leave the projection
    _change_then_check(
        live["contract"],
        lambda: wave_cancel(wave=live["planned"], actor=manager(), reason="budget"),
        django_capture_on_commit_callbacks,
        "projected_total",
    )


def test_rule11__cohort_quota__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    _change_then_check(
        live["contract"],
        lambda: cohort_update(
            cohort=live["later"], seat_quota=5, actor=manager(), reason="smaller start"
        ),
        django_capture_on_commit_callbacks,
        "projected_total",
    )


def test_rule11__cohort_onboarding_day__stale_then_recomputed(
    live, django_capture_on_commit_callbacks
):
    # Moving DOR's onboarding a month later takes its quota out of one period
    later = live["later"]
    _change_then_check(
        live["contract"],
        lambda: cohort_update(
            cohort=later,
            onboarding_date=later.onboarding_date + dt.timedelta(days=45),
            actor=manager(),
            reason="training slipped",
        ),
        django_capture_on_commit_callbacks,
        "projected_total",
    )


def test_rule11__tier_price__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    # Terms and tiers are staff edits in the admin, which asks for the recompute on save
    from django.contrib import admin
    from django.test import RequestFactory

    from licensing.admin import ContractAdmin
    from licensing.models import Contract

    contract = live["contract"]

    class _Form:
        instance = contract

        def save_m2m(self):
            pass

    def change():
        PriceTier.objects.filter(contract=contract).update(unit_price_monthly=D("12"))
        request = RequestFactory().post("/")
        ContractAdmin(Contract, admin.site).save_related(request, _Form(), [], True)

    _change_then_check(contract, change, django_capture_on_commit_callbacks, "spend_to_date")


def test_rule11__contract_terms__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    contract = live["contract"]

    def change():
        contract.ceiling_amount = D("500000")
        contract.save()
        from licensing.services.scheduling import cost_recompute_request

        cost_recompute_request(contract_id=contract.pk)

    _change_then_check(contract, change, django_capture_on_commit_callbacks, "ceiling_amount")


def test_rule11__usage_import__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    # Given the engaged basis: the active seat has not sent a message yet
    contract = live["contract"]
    contract.billing_basis = "engaged"
    contract.save()
    email = live["active"].employee.email
    day = timezone.localdate().isoformat()
    data = f"email,date,messages\r\n{email},{day},3\r\n".encode()

    _change_then_check(
        contract,
        lambda: usage_import(file=data, filename="usage.csv", contract=contract),
        django_capture_on_commit_callbacks,
        "spend_to_date",
    )


def test_rule11__roster_separation__stale_then_recomputed(live, django_capture_on_commit_callbacks):
    from agencies.imports.separation import revoke_separated_seats

    employee = live["active"].employee
    _change_then_check(
        live["contract"],
        lambda: revoke_separated_seats(
            employee_ids=[employee.pk], actor=None, reason="Employee separated", job=None
        ),
        django_capture_on_commit_callbacks,
        "active_seats",
    )


def test_rule11__embedded_default__stale_read_recomputes(live):
    # Given a snapshot, then a change whose recompute never ran (no worker)
    contract = live["contract"]
    old = contract_cost_snapshot(contract=contract)
    Seat.objects.filter(pk=live["approved"].pk).update(status="approved")
    contract.ceiling_amount = D("400000")
    contract.save()

    # When the cost is read on the embedded default (eager, no broker)
    answer = contract_cost_answer(contract=contract)

    # Then it was recomputed on the spot: current, with the new ceiling
    assert answer["stale"] is False
    assert answer["ceiling_amount"] == "400000.00"
    assert answer["computed_at"] > old.computed_at.isoformat()
