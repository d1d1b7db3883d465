"""The plan services: creating and editing waves and cohorts while a wave is planned, each change
recorded with who made it and why, and the cost recomputed on commit."""

import datetime as dt

import pytest

from config.errors import BusinessRuleError
from licensing.models import CostSnapshot
from rollout.models import Cohort, Wave
from rollout.services import (
    cohort_add,
    cohort_remove,
    cohort_update,
    wave_cancel,
    wave_create,
    wave_update,
)
from tests.factories import (
    AgencyFactory,
    CohortFactory,
    ContractFactory,
    SeatFactory,
    UserFactory,
    WaveFactory,
)

D = dt.date


@pytest.fixture
def contract(db):
    return ContractFactory()


@pytest.fixture
def wave(contract):
    return WaveFactory(
        contract=contract, number=1, planned_start=D(2026, 6, 1), planned_end=D(2026, 7, 31)
    )


@pytest.fixture
def agency(db):
    return AgencyFactory(code="DOR", headcount=2000)


def test_wave_create__after_two_waves__is_numbered_third_and_recorded(contract, rollout_manager):
    # Given a contract with waves 1 and 2
    WaveFactory(contract=contract, number=1)
    WaveFactory(contract=contract, number=2)

    # When a rollout manager plans another wave, with a reason
    wave = wave_create(
        contract=contract,
        name="Health and human services",
        planned_start=D(2026, 11, 2),
        planned_end=D(2027, 1, 29),
        actor=rollout_manager,
        reason="Board approved the HHS schedule",
    )

    # Then it is wave 3, planned, and its history says who created it and why
    assert (wave.number, wave.status) == (3, "planned")
    record = wave.history.get()
    assert record.history_type == "+"
    assert record.history_user == rollout_manager
    assert record.history_change_reason == "Board approved the HHS schedule"


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (D(2026, 7, 1), D(2026, 6, 1), "window_invalid"),
        (D(2026, 1, 1), D(2026, 3, 1), "window_outside_term"),
        (D(2027, 1, 1), D(2027, 3, 1), "window_outside_term"),
    ],
)
def test_wave_create__bad_window__refused_with_its_dates(
    contract, rollout_manager, start, end, code
):
    # Given the demo contract (13 Feb 2026 – 12 Feb 2027)
    # When a wave is planned with a window that ends first or leaves the term
    with pytest.raises(BusinessRuleError) as caught:
        wave_create(
            contract=contract,
            name="W",
            planned_start=start,
            planned_end=end,
            actor=rollout_manager,
            reason="r",
        )

    # Then it is refused with the code and the dates as fields
    assert caught.value.code == code
    assert caught.value.context["planned_start"] == start.isoformat()
    assert not Wave.objects.exists()


def test_plan_services__no_reason_or_no_role__refused(contract, wave, agency, rollout_manager):
    # Given a planned wave
    # When a manager gives no reason, or someone without the role acts
    with pytest.raises(BusinessRuleError) as blank:
        cohort_add(
            wave=wave,
            agency=agency,
            seat_quota=10,
            onboarding_date=D(2026, 6, 8),
            actor=rollout_manager,
            reason="  ",
        )
    with pytest.raises(BusinessRuleError) as no_role:
        wave_update(wave=wave, name="X", actor=UserFactory(), reason="because")

    # Then both are refused and nothing changed
    assert blank.value.code == "reason_required"
    assert no_role.value.code == "role_required"
    assert not Cohort.objects.exists()
    assert Wave.objects.get().name == wave.name


def test_cohort_add__valid__recorded_and_recomputes_on_commit(
    contract, wave, agency, rollout_manager, django_capture_on_commit_callbacks
):
    # Given a planned wave and no cost snapshot yet
    # When a manager adds DOR with a quota and an onboarding day inside the window
    with django_capture_on_commit_callbacks(execute=True):
        cohort = cohort_add(
            wave=wave,
            agency=agency,
            seat_quota=1960,
            onboarding_date=D(2026, 6, 15),
            actor=rollout_manager,
            reason="DOR ready in June",
        )

    # Then the cohort exists, its history names the manager and the reason
    assert (cohort.seat_quota, cohort.onboarding_date) == (1960, D(2026, 6, 15))
    record = cohort.history.get()
    assert (record.history_user, record.history_change_reason) == (
        rollout_manager,
        "DOR ready in June",
    )
    # And the cost was recomputed once the change committed (eager Celery)
    assert CostSnapshot.objects.filter(contract=contract).count() == 1


@pytest.mark.parametrize(
    ("quota", "day", "code", "field"),
    [
        (-1, D(2026, 6, 8), "quota_negative", "seat_quota"),
        (2001, D(2026, 6, 8), "quota_above_headcount", "headcount"),
        (10, D(2026, 5, 31), "onboarding_outside_window", "onboarding_date"),
        (10, D(2026, 8, 1), "onboarding_outside_window", "planned_end"),
    ],
)
def test_cohort_add__invalid__refused_with_figures(
    wave, agency, rollout_manager, quota, day, code, field
):
    # Given a planned wave (1 Jun – 31 Jul) and DOR (headcount 2,000)
    # When a cohort is added with a bad quota or day
    with pytest.raises(BusinessRuleError) as caught:
        cohort_add(
            wave=wave,
            agency=agency,
            seat_quota=quota,
            onboarding_date=day,
            actor=rollout_manager,
            reason="r",
        )

    # Then the refusal has its code and carries the figure as a field
    assert caught.value.code == code
    assert field in caught.value.context
    assert not Cohort.objects.exists()


def test_cohort_add__agency_already_in_wave__refused(wave, agency, rollout_manager):
    # Given DOR already in the wave
    CohortFactory(wave=wave, agency=agency, onboarding_date=D(2026, 6, 8))

    # When it is added again
    with pytest.raises(BusinessRuleError) as caught:
        cohort_add(
            wave=wave,
            agency=agency,
            seat_quota=5,
            onboarding_date=D(2026, 6, 9),
            actor=rollout_manager,
            reason="r",
        )

    # Then it is refused
    assert caught.value.code == "agency_in_wave"
    assert Cohort.objects.count() == 1


def test_cohort_update__quota_and_day__history_keeps_both_states(wave, agency, rollout_manager):
    # Given a cohort added through the service
    cohort = cohort_add(
        wave=wave,
        agency=agency,
        seat_quota=100,
        onboarding_date=D(2026, 6, 8),
        actor=rollout_manager,
        reason="first plan",
    )

    # When its quota and day change
    cohort_update(
        cohort=cohort,
        seat_quota=150,
        onboarding_date=D(2026, 6, 22),
        actor=rollout_manager,
        reason="training slipped two weeks",
    )

    # Then the row has the new values and the history both states, newest first
    cohort.refresh_from_db()
    assert (cohort.seat_quota, cohort.onboarding_date) == (150, D(2026, 6, 22))
    states = list(
        cohort.history.values_list("seat_quota", "onboarding_date", "history_change_reason")
    )
    assert states == [
        (150, D(2026, 6, 22), "training slipped two weeks"),
        (100, D(2026, 6, 8), "first plan"),
    ]


def test_cohort_update__nothing_given__refused(wave, agency, rollout_manager):
    cohort = CohortFactory(wave=wave, agency=agency, onboarding_date=D(2026, 6, 8))
    with pytest.raises(BusinessRuleError) as caught:
        cohort_update(cohort=cohort, actor=rollout_manager, reason="r")
    assert caught.value.code == "nothing_to_change"


def test_wave_update__window_leaves_out_a_cohort__refused_naming_it(wave, agency, rollout_manager):
    # Given DOR onboarding on 22 June in a wave of 1 Jun – 31 Jul
    cohort = CohortFactory(wave=wave, agency=agency, onboarding_date=D(2026, 6, 22))

    # When the window is moved to start on 1 July
    with pytest.raises(BusinessRuleError) as caught:
        wave_update(wave=wave, planned_start=D(2026, 7, 1), actor=rollout_manager, reason="r")

    # Then it is refused, naming DOR
    assert caught.value.code == "onboarding_outside_window"
    assert "DOR (2026-06-22)" in caught.value.detail
    assert caught.value.context["cohorts"] == [cohort.pk]


def test_wave_update__rename_and_move__recorded(wave, rollout_manager):
    # When a planned wave is renamed and its end moved
    wave_update(
        wave=wave,
        name="Environment and safety",
        planned_end=D(2026, 8, 14),
        actor=rollout_manager,
        reason="two more weeks",
    )

    # Then the wave and its latest history row say so
    wave.refresh_from_db()
    assert (wave.name, wave.planned_start, wave.planned_end) == (
        "Environment and safety",
        D(2026, 6, 1),
        D(2026, 8, 14),
    )
    assert wave.history.first().history_change_reason == "two more weeks"


def test_plan_services__wave_no_longer_planned__refused(wave, agency, rollout_manager):
    # Given a wave that was cancelled (the same holds for approved, running, completed)
    cohort = CohortFactory(wave=wave, agency=agency, onboarding_date=D(2026, 6, 8))
    wave_cancel(wave=wave, actor=rollout_manager, reason="budget")

    # When any plan service is called on it
    calls = [
        lambda: wave_update(wave=wave, name="X", actor=rollout_manager, reason="r"),
        lambda: cohort_add(
            wave=wave,
            agency=AgencyFactory(),
            seat_quota=1,
            onboarding_date=D(2026, 6, 8),
            actor=rollout_manager,
            reason="r",
        ),
        lambda: cohort_update(cohort=cohort, seat_quota=5, actor=rollout_manager, reason="r"),
        lambda: cohort_remove(cohort=cohort, actor=rollout_manager, reason="r"),
    ]

    # Then each is refused with wave_not_planned and the wave's status as a field
    for call in calls:
        with pytest.raises(BusinessRuleError) as caught:
            call()
        assert caught.value.code == "wave_not_planned"
        assert caught.value.context["wave_status"] == "cancelled"


def test_cohort_remove__planned__deleted_with_history(
    contract, wave, agency, rollout_manager, django_capture_on_commit_callbacks
):
    # Given a cohort in a planned wave
    cohort = cohort_add(
        wave=wave,
        agency=agency,
        seat_quota=10,
        onboarding_date=D(2026, 6, 8),
        actor=rollout_manager,
        reason="plan",
    )
    pk = cohort.pk

    # When a manager removes it
    with django_capture_on_commit_callbacks(execute=True):
        cohort_remove(cohort=cohort, actor=rollout_manager, reason="DOR moves to wave 4")

    # Then it is gone, and its history ends with the removal, who and why
    assert not Cohort.objects.filter(pk=pk).exists()
    last = Cohort.history.filter(id=pk).first()
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "-",
        rollout_manager,
        "DOR moves to wave 4",
    )
    assert CostSnapshot.objects.filter(contract=contract).exists()


def test_cohort_remove__has_seats__refused(contract, wave, agency, rollout_manager):
    # Given a cohort that already has a requested seat
    cohort = CohortFactory(wave=wave, agency=agency, onboarding_date=D(2026, 6, 8))
    SeatFactory(contract=contract, cohort=cohort, employee__agency=agency)

    # When it is removed
    with pytest.raises(BusinessRuleError) as caught:
        cohort_remove(cohort=cohort, actor=rollout_manager, reason="r")

    # Then it is refused with the seat count
    assert (caught.value.code, caught.value.context["seats"]) == ("cohort_has_seats", 1)
