"""Readiness sign-offs: a person, with evidence; reopened with a reason."""

import pytest

from config.errors import BusinessRuleError
from rollout.models import ReadinessCheck
from rollout.services import readiness_reopen, readiness_sign_off
from tests.factories import CohortFactory, WaveFactory


@pytest.fixture
def cohort(db):
    return CohortFactory(wave=WaveFactory(status="planned"))


def test_readiness_sign_off__with_evidence__check_met_and_signed(cohort, rollout_manager):
    # When a person signs off the privacy review with evidence
    check = readiness_sign_off(
        cohort=cohort, kind="privacy_review", actor=rollout_manager, evidence=" PIA-2026-014 "
    )

    # Then the check is met, by them, now, with the evidence
    check.refresh_from_db()
    assert check.is_met
    assert check.signed_off_by == rollout_manager
    assert check.met_at is not None
    assert check.evidence == "PIA-2026-014"


def test_readiness_sign_off__twice__one_row_updated(cohort, rollout_manager):
    # Given a signed privacy review
    readiness_sign_off(cohort=cohort, kind="privacy_review", actor=rollout_manager, evidence="a")

    # When it is signed again with new evidence
    readiness_sign_off(cohort=cohort, kind="privacy_review", actor=rollout_manager, evidence="b")

    # Then there is still one row, with the new evidence
    rows = ReadinessCheck.objects.filter(cohort=cohort, kind="privacy_review")
    assert [r.evidence for r in rows] == ["b"]


@pytest.mark.parametrize("evidence", ["", "   "])
def test_readiness_sign_off__no_evidence__refused(cohort, rollout_manager, evidence):
    with pytest.raises(BusinessRuleError) as refused:
        readiness_sign_off(
            cohort=cohort, kind="security_review", actor=rollout_manager, evidence=evidence
        )
    assert refused.value.code == "evidence_required"
    assert not ReadinessCheck.objects.exists()


def test_readiness_sign_off__by_a_job__refused(cohort):
    with pytest.raises(BusinessRuleError) as refused:
        readiness_sign_off(cohort=cohort, kind="union_notice", actor=None, evidence="letter")
    assert refused.value.code == "signer_required"


def test_readiness_sign_off__unknown_gate__refused(cohort, rollout_manager):
    with pytest.raises(BusinessRuleError) as refused:
        readiness_sign_off(cohort=cohort, kind="vibes", actor=rollout_manager, evidence="x")
    assert refused.value.code == "invalid_gate"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_readiness_sign_off__closed_wave__refused(rollout_manager, status):
    cohort = CohortFactory(wave=WaveFactory(status=status))
    with pytest.raises(BusinessRuleError) as refused:
        readiness_sign_off(
            cohort=cohort, kind="privacy_review", actor=rollout_manager, evidence="x"
        )
    assert refused.value.code == "wave_closed"


def test_readiness_reopen__signed_gate__open_again_with_the_reason_kept(cohort, rollout_manager):
    # Given a signed security review
    readiness_sign_off(
        cohort=cohort, kind="security_review", actor=rollout_manager, evidence="SR-77"
    )

    # When it is reopened with a reason
    check = readiness_reopen(
        cohort=cohort, kind="security_review", actor=rollout_manager, reason="new finding"
    )

    # Then it is open again, and the evidence keeps the history
    check.refresh_from_db()
    assert (check.is_met, check.met_at, check.signed_off_by) == (False, None, None)
    assert check.evidence.startswith("SR-77\n\nReopened ")
    assert check.evidence.endswith("by manager: new finding")


def test_readiness_reopen__no_reason__refused(cohort, rollout_manager):
    readiness_sign_off(cohort=cohort, kind="privacy_review", actor=rollout_manager, evidence="x")
    with pytest.raises(BusinessRuleError) as refused:
        readiness_reopen(cohort=cohort, kind="privacy_review", actor=rollout_manager, reason=" ")
    assert refused.value.code == "reason_required"


def test_readiness_reopen__gate_not_signed__refused(cohort, rollout_manager):
    with pytest.raises(BusinessRuleError) as refused:
        readiness_reopen(cohort=cohort, kind="privacy_review", actor=rollout_manager, reason="x")
    assert refused.value.code == "invalid_transition"
