"""The readiness gates as pure functions: no database."""

import datetime as dt
from decimal import Decimal as D

import pytest

from rollout.gates import (
    CohortReadiness,
    SignOff,
    failing_gates,
    percent,
    signed_gate,
    training_gate,
)

ALL_SIGNED = {
    kind: SignOff(True, "privacy.officer", dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC))
    for kind in ("privacy_review", "security_review", "union_notice", "help_desk_ready")
}


def test_training_gate__exactly_at_threshold__passes():
    # Given 80 of 100 active employees trained against an 80% threshold
    result = training_gate(active=100, trained=80, threshold=D("0.800"))

    # Then exactly reaching the threshold passes
    assert result.is_met
    assert result.figure == "80.0% ≥ 80.0% (80 of 100 active employees trained)"


def test_training_gate__one_person_short__fails():
    # Given 79 of 100 trained
    result = training_gate(active=100, trained=79, threshold=D("0.8"))

    # Then it fails, and the figure says by how much
    assert not result.is_met
    assert result.figure.startswith("79.0% < 80.0%")


def test_training_gate__share_just_under_threshold__never_shown_as_reached():
    # Given 7,997 of 10,000 trained (79.97%) against 80%
    result = training_gate(active=10_000, trained=7_997, threshold=D("0.8"))

    # Then the share is rounded down for display: 79.9%, not a misleading 80.0%
    assert not result.is_met
    assert result.figure.startswith("79.9% < 80.0%")


def test_training_gate__no_active_employees__fails():
    # Given an agency with nobody active on the roster
    result = training_gate(active=0, trained=0, threshold=D("0.8"))

    # Then the gate fails: nobody could be onboarded, and the roster is probably missing
    assert not result.is_met
    assert result.figure == "no active employees on the roster"


@pytest.mark.parametrize(
    ("threshold", "trained", "met"), [(D("0"), 0, True), (D("1"), 9, False), (D("1"), 10, True)]
)
def test_training_gate__extreme_thresholds__decided_exactly(threshold, trained, met):
    # Given 10 active employees
    # When the threshold is 0% or 100%
    result = training_gate(active=10, trained=trained, threshold=threshold)

    # Then the comparison is exact
    assert result.is_met is met


def test_signed_gate__missing_or_open__fails_and_signed__passes():
    # Given no row, an open row and a signed row
    # Then only the signed one passes, naming who signed and when
    assert signed_gate("privacy_review", None).figure == "not signed off"
    assert not signed_gate("privacy_review", SignOff(False)).is_met
    signed = signed_gate("privacy_review", ALL_SIGNED["privacy_review"])
    assert signed.is_met
    assert signed.figure == "signed off by privacy.officer on 2026-02-01"


def test_percent__rounds_down_to_one_decimal():
    assert percent(D("0.61")) == "61.0%"
    assert percent(D("0.8")) == "80.0%"
    assert percent(D("0.99999")) == "99.9%"


def test_failing_gates__several_cohorts__every_failure_listed_in_order():
    # Given EOHHS with 61% trained and no privacy review, and DOR ready but for the help desk
    eohhs = CohortReadiness(
        cohort_id=1,
        agency_code="EOHHS",
        active_employees=100,
        trained_employees=61,
        threshold=D("0.8"),
        sign_offs={k: v for k, v in ALL_SIGNED.items() if k != "privacy_review"},
    )
    dor = CohortReadiness(
        cohort_id=2,
        agency_code="DOR",
        active_employees=10,
        trained_employees=10,
        threshold=D("0.8"),
        sign_offs={k: v for k, v in ALL_SIGNED.items() if k != "help_desk_ready"},
    )

    # When the failing gates are listed
    failures = failing_gates([eohhs, dor])

    # Then each failing gate appears once, with its figure
    assert [f.line for f in failures] == [
        "EOHHS: privacy review not signed off",
        "EOHHS: training 61.0% < 80.0% (61 of 100 active employees trained)",
        "DOR: help desk readiness not signed off",
    ]
    assert failures[1].as_dict() == {
        "cohort": 1,
        "agency": "EOHHS",
        "gate": "training_threshold",
        "figure": "61.0% < 80.0% (61 of 100 active employees trained)",
    }
