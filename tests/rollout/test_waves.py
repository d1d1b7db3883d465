"""The wave lifecycle: every transition allowed and refused, the human in the loop, and the
readiness gates that approving, starting and resuming check."""

import datetime as dt
from decimal import Decimal as D

import pytest

from agencies.models import Employee
from config.errors import BusinessRuleError
from rollout.models import Cohort, Wave
from rollout.selectors import wave_readiness
from rollout.services import (
    TRANSITIONS,
    readiness_reopen,
    wave_approve,
    wave_cancel,
    wave_complete,
    wave_pause,
    wave_resume,
    wave_start,
)
from rollout.services.waves import ACTIONS
from tests.factories import (
    AgencyFactory,
    CohortFactory,
    ContractFactory,
    EmployeeFactory,
    WaveFactory,
)
from tests.rollout.builders import person, sign_all

SERVICES = {
    "approve": wave_approve,
    "start": wave_start,
    "pause": wave_pause,
    "resume": wave_resume,
    "complete": wave_complete,
    "cancel": wave_cancel,
}
ALLOWED = {
    ("planned", "approve"),
    ("approved", "start"),
    ("in_progress", "pause"),
    ("paused", "resume"),
    ("in_progress", "complete"),
    ("planned", "cancel"),
    ("approved", "cancel"),
    ("paused", "cancel"),
}
STATUSES = ["planned", "approved", "in_progress", "paused", "completed", "cancelled"]
REFUSED = [(s, a) for s in STATUSES for a in SERVICES if (s, a) not in ALLOWED]


def roster(agency, *, active: int, trained: int, **extra) -> None:
    """`active` active employees of whom `trained` have training and policy acknowledgement."""
    people = [
        EmployeeFactory.build(
            agency=agency,
            training_completed_on=dt.date(2026, 1, 5) if i < trained else None,
            policy_acknowledged_on=dt.date(2026, 1, 6) if i < trained else None,
            **extra,
        )
        for i in range(active)
    ]
    Employee.objects.bulk_create(people)


def ready_wave(status: str, signer, *, agency_code: str = "EOTSS") -> Wave:
    """A wave in `status` with one cohort whose every gate passes."""
    wave = WaveFactory(status=status)
    cohort = CohortFactory(wave=wave, agency=AgencyFactory(code=agency_code))
    roster(cohort.agency, active=5, trained=5)
    sign_all(cohort, signer)
    return wave


def test_transitions__table__matches_the_actions():
    # Then the state graph is the documented one
    assert {
        "planned": {"approved", "cancelled"},
        "approved": {"in_progress", "cancelled"},
        "in_progress": {"paused", "completed"},
        "paused": {"in_progress", "cancelled"},
        "completed": set(),
        "cancelled": set(),
    } == TRANSITIONS
    assert {(s, a) for a, (froms, _, _) in ACTIONS.items() for s in froms} == ALLOWED


@pytest.mark.parametrize(("status", "action"), sorted(ALLOWED))
def test_wave_transition__allowed__moves_the_wave(rollout_manager, status, action):
    # Given a wave in `status` whose gates pass
    wave = ready_wave(status, rollout_manager)

    # When a rollout manager takes the action
    result = SERVICES[action](wave=wave, actor=rollout_manager, reason="plan")

    # Then the wave is in the action's target state, in the database too
    wave.refresh_from_db()
    assert wave.status == result.status == ACTIONS[action][1]
    # And the change is on record: from, to, who and why
    (change,) = wave.events.all()
    assert (change.from_status, change.to_status) == (status, ACTIONS[action][1])
    assert (change.actor, change.reason) == (rollout_manager, "plan")


@pytest.mark.parametrize(("status", "action"), REFUSED)
def test_wave_transition__not_allowed__refused_naming_the_current_state(
    rollout_manager, status, action
):
    # Given a wave in `status`
    wave = ready_wave(status, rollout_manager)

    # When a rollout manager tries an action not allowed from there
    with pytest.raises(BusinessRuleError) as refused:
        SERVICES[action](wave=wave, actor=rollout_manager)

    # Then it is refused, the message naming where the wave is, and nothing changes
    label = dict(Wave._meta.get_field("status").choices)[status].lower()
    assert refused.value.code == "invalid_transition"
    assert refused.value.detail == (
        f"Wave {wave.number} is {label}; it cannot be {ACTIONS[action][2]}."
    )
    assert refused.value.context["current_status"] == status
    wave.refresh_from_db()
    assert wave.status == status
    assert not wave.events.exists()


def test_wave_start__completed_wave__message_reads_plainly(rollout_manager):
    # Given wave 3, completed
    wave = ready_wave("completed", rollout_manager)
    Wave.objects.filter(pk=wave.pk).update(number=3)
    wave.refresh_from_db()

    # When it is started again
    with pytest.raises(BusinessRuleError) as refused:
        wave_start(wave=wave, actor=rollout_manager)

    # Then the refusal says so in words
    assert refused.value.detail == "Wave 3 is completed; it cannot be started."


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("planned", "approve"),
        ("approved", "start"),
        ("paused", "resume"),
        ("in_progress", "complete"),
        ("planned", "cancel"),
    ],
)
@pytest.mark.parametrize("who", ["job", "finance", "coordinator"])
def test_wave_transition__not_a_rollout_manager__refused(rollout_manager, status, action, who):
    # Given a wave whose gates pass, and a job (no actor) or a person without the role
    wave = ready_wave(status, rollout_manager)
    actor = None if who == "job" else person(who, who if who == "finance" else "agency_coordinator")

    # When they take the action
    with pytest.raises(BusinessRuleError) as refused:
        SERVICES[action](wave=wave, actor=actor)

    # Then only a rollout manager may: a human in the loop
    assert refused.value.code == "role_required"
    wave.refresh_from_db()
    assert wave.status == status
    assert wave.approved_by is None


def test_wave_pause__by_a_job__allowed_but_not_by_a_person_without_the_role(rollout_manager):
    # Given a running wave
    wave = ready_wave("in_progress", rollout_manager)

    # When a finance user tries to pause it, it is refused
    with pytest.raises(BusinessRuleError) as refused:
        wave_pause(wave=wave, actor=person("fin", "finance"))
    assert refused.value.code == "role_required"

    # When a job (no actor) pauses it, it is paused: stopping is the safe direction
    assert wave_pause(wave=wave, actor=None, reason="ceiling alarm").status == "paused"
    # And the record says no person did it, and why
    (change,) = wave.events.all()
    assert (change.actor, change.reason) == (None, "ceiling alarm")


def test_wave_approve__gates_pass__records_who_and_when_and_readies_cohorts(rollout_manager):
    # Given a planned wave whose gates pass
    wave = ready_wave("planned", rollout_manager)

    # When a rollout manager approves it
    wave_approve(wave=wave, actor=rollout_manager, reason="CAB 2026-02-01")

    # Then the approval is recorded and the cohorts are ready
    wave.refresh_from_db()
    assert wave.approved_by == rollout_manager
    assert wave.approved_at is not None
    assert set(wave.cohorts.values_list("status", flat=True)) == {"ready"}


@pytest.mark.parametrize(
    ("status", "action", "cohort_status"),
    [
        ("approved", "start", "onboarding"),
        ("in_progress", "complete", "onboarded"),
        ("paused", "cancel", "cancelled"),
        ("planned", "cancel", "cancelled"),
    ],
)
def test_wave_transition__cohorts__follow_the_wave(rollout_manager, status, action, cohort_status):
    # Given a wave with a live cohort and one cancelled earlier
    wave = ready_wave(status, rollout_manager)
    dropped = CohortFactory(wave=wave, status="cancelled")

    # When the wave moves
    SERVICES[action](wave=wave, actor=rollout_manager)

    # Then the live cohort follows it, and the cancelled one stays cancelled
    assert set(wave.cohorts.exclude(pk=dropped.pk).values_list("status", flat=True)) == {
        cohort_status
    }
    dropped.refresh_from_db()
    assert dropped.status == "cancelled"


def test_wave_approve__gates_failing__refusal_lists_every_failing_gate(rollout_manager):
    # Given wave 5 with two cohorts:
    #   EOHHS: 61 of 100 active employees trained (plus trained people on leave, who do not
    #          count), privacy review and union notice not signed off
    #   DOR:   fully trained, help desk not signed off
    wave = WaveFactory(status="planned", number=5)
    eohhs = CohortFactory(wave=wave, agency=AgencyFactory(code="EOHHS"))
    dor = CohortFactory(wave=wave, agency=AgencyFactory(code="DOR"))
    roster(eohhs.agency, active=100, trained=61)
    roster(eohhs.agency, active=20, trained=20, employment_status="leave")
    roster(eohhs.agency, active=20, trained=20, employment_status="separated")
    roster(dor.agency, active=10, trained=10)
    sign_all(eohhs, rollout_manager, kinds=["security_review", "help_desk_ready"])
    sign_all(dor, rollout_manager, kinds=["privacy_review", "security_review", "union_notice"])

    # When a rollout manager approves it
    with pytest.raises(BusinessRuleError) as refused:
        wave_approve(wave=wave, actor=rollout_manager)

    # Then the refusal names every failing gate, with its figure, cohort by cohort
    assert refused.value.code == "gates_failing"
    assert refused.value.detail == (
        "Wave 5 cannot be approved: "
        "DOR: help desk readiness not signed off; "
        "EOHHS: privacy review not signed off; "
        "EOHHS: union notice not signed off; "
        "EOHHS: training 61.0% < 80.0% (61 of 100 active employees trained)."
    )
    unsigned = "not signed off"
    assert refused.value.context["failing"] == [
        {"cohort": dor.pk, "agency": "DOR", "gate": "help_desk_ready", "figure": unsigned},
        {"cohort": eohhs.pk, "agency": "EOHHS", "gate": "privacy_review", "figure": unsigned},
        {"cohort": eohhs.pk, "agency": "EOHHS", "gate": "union_notice", "figure": unsigned},
        {
            "cohort": eohhs.pk,
            "agency": "EOHHS",
            "gate": "training_threshold",
            "figure": "61.0% < 80.0% (61 of 100 active employees trained)",
        },
    ]
    # And nothing was written
    wave.refresh_from_db()
    assert (wave.status, wave.approved_by) == ("planned", None)


@pytest.mark.parametrize(("trained", "passes"), [(8, True), (7, False)])
def test_wave_approve__training_exactly_at_threshold__passes(rollout_manager, trained, passes):
    # Given a cohort with 8 (exactly 80%) or 7 of 10 active employees trained, other gates signed
    wave = WaveFactory(status="planned", contract=ContractFactory(readiness_threshold=D("0.8")))
    cohort = CohortFactory(wave=wave)
    roster(cohort.agency, active=10, trained=trained)
    sign_all(cohort, rollout_manager)

    # When a rollout manager approves the wave
    if passes:
        wave_approve(wave=wave, actor=rollout_manager)
        # Then exactly 80% is enough
        assert Wave.objects.get(pk=wave.pk).status == "approved"
    else:
        with pytest.raises(BusinessRuleError) as refused:
            wave_approve(wave=wave, actor=rollout_manager)
        # Then 70% is not
        assert refused.value.code == "gates_failing"
        assert "training 70.0% < 80.0%" in refused.value.detail


def test_wave_approve__gate_counted_over_active_employees_only(rollout_manager):
    # Given 8 trained of 10 active, and 10 untrained people on leave
    wave = WaveFactory(status="planned")
    cohort = CohortFactory(wave=wave)
    roster(cohort.agency, active=10, trained=8)
    roster(cohort.agency, active=10, trained=0, employment_status="leave")
    sign_all(cohort, rollout_manager)

    # When approved, people on leave do not drag the share down
    assert wave_approve(wave=wave, actor=rollout_manager).status == "approved"


def test_wave_approve__cancelled_cohort_failing__does_not_block(rollout_manager):
    # Given a ready wave and a cancelled cohort with no gates at all
    wave = ready_wave("planned", rollout_manager)
    CohortFactory(wave=wave, status="cancelled")

    # When it is approved, the cancelled cohort is not in the way
    assert wave_approve(wave=wave, actor=rollout_manager).status == "approved"


def test_wave_start__gate_reopened_after_approval__refused(rollout_manager):
    # Given an approved wave whose security review is then reopened
    wave = ready_wave("approved", rollout_manager)
    cohort = Cohort.objects.get(wave=wave)
    readiness_reopen(
        cohort=cohort, kind="security_review", actor=rollout_manager, reason="pen test finding"
    )

    # When it is started
    with pytest.raises(BusinessRuleError) as refused:
        wave_start(wave=wave, actor=rollout_manager)

    # Then the gates are checked again
    assert refused.value.code == "gates_failing"
    assert "EOTSS: security review not signed off" in refused.value.detail


def test_wave_resume__gate_reopened_while_paused__refused_until_signed_again(rollout_manager):
    # Given a running wave, paused, and its help desk gate reopened
    wave = ready_wave("in_progress", rollout_manager)
    wave_pause(wave=wave, actor=rollout_manager, reason="help desk outage")
    cohort = Cohort.objects.get(wave=wave)
    readiness_reopen(cohort=cohort, kind="help_desk_ready", actor=rollout_manager, reason="outage")

    # When it is resumed, it is refused
    with pytest.raises(BusinessRuleError) as refused:
        wave_resume(wave=wave, actor=rollout_manager)
    assert refused.value.code == "gates_failing"

    # When the gate is signed off again, it resumes
    sign_all(cohort, rollout_manager, kinds=["help_desk_ready"])
    assert wave_resume(wave=wave, actor=rollout_manager).status == "in_progress"


def test_wave_approve__no_active_employees__refused(rollout_manager):
    # Given a cohort whose agency has no roster yet, every signed gate met
    wave = WaveFactory(status="planned")
    cohort = CohortFactory(wave=wave, agency=AgencyFactory(code="MASSDOT"))
    sign_all(cohort, rollout_manager)

    # When approved
    with pytest.raises(BusinessRuleError) as refused:
        wave_approve(wave=wave, actor=rollout_manager)

    # Then training readiness fails with the reason
    assert "MASSDOT: training no active employees on the roster" in refused.value.detail


def test_wave_readiness__many_cohorts__constant_queries(rollout_manager, django_assert_num_queries):
    # Given a wave of six cohorts
    wave = WaveFactory(status="planned")
    for _ in range(6):
        cohort = CohortFactory(wave=wave)
        roster(cohort.agency, active=3, trained=3)
        sign_all(cohort, rollout_manager)

    # Then the figures of all of them take two queries: training counts, sign-offs
    with django_assert_num_queries(2):
        assert len(wave_readiness(wave)) == 6
