"""Readiness sign-offs: a person vouches, with evidence, that a cohort's gate is met, or reopens
it when that stops being true."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from notifications.services.gates import watches_cohort_gates

from ..choices import GateKind, WaveStatus
from ..gates import LABELS
from ..models import Cohort, ReadinessCheck

_CLOSED_WAVES = (WaveStatus.COMPLETED, WaveStatus.CANCELLED)


def _check_request(cohort: Cohort, kind: str, actor) -> None:
    if kind not in GateKind.values:
        raise BusinessRuleError(
            "invalid_gate",
            f"'{kind}' is not a readiness gate; use one of {', '.join(GateKind.values)}.",
            kind=kind,
        )
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise BusinessRuleError(
            "signer_required", "A readiness gate is signed off or reopened by a person."
        )
    if cohort.wave.status in _CLOSED_WAVES:
        raise BusinessRuleError(
            "wave_closed",
            f"Wave {cohort.wave.number} is {cohort.wave.status}; its gates are no longer kept.",
            wave_status=cohort.wave.status,
        )


@transaction.atomic
@watches_cohort_gates
def readiness_sign_off(*, cohort: Cohort, kind: str, actor, evidence: str) -> ReadinessCheck:
    """A person signs off one gate of a cohort (privacy review, security review, union notice,
    help desk readiness), with the evidence they relied on: a ticket, a memo, a link. Creates
    the cohort's check of that kind or updates it; signing again replaces the evidence.

    Training readiness is computed live from the roster: a `training_threshold` sign-off is
    stored as a record of who looked at the figures, and the gate still follows the roster."""
    cohort = Cohort.objects.select_related("wave").get(pk=cohort.pk)
    _check_request(cohort, kind, actor)
    if not (evidence or "").strip():
        raise BusinessRuleError(
            "evidence_required",
            f"Signing off the {LABELS[kind]} of {cohort} needs the evidence it rests on.",
        )
    check, _ = ReadinessCheck.objects.update_or_create(
        cohort=cohort,
        kind=kind,
        defaults={
            "is_met": True,
            "met_at": timezone.now(),
            "signed_off_by": actor,
            "evidence": evidence.strip(),
        },
    )
    return check


@transaction.atomic
@watches_cohort_gates
def readiness_reopen(*, cohort: Cohort, kind: str, actor, reason: str) -> ReadinessCheck:
    """A person withdraws a sign-off (the review found something, the help desk lost its staff).
    The gate fails again until someone signs it off anew; the reason is appended to the
    evidence, so the history of the check stays readable. Reopening a gate does not stop a
    running wave: pausing it is a separate decision."""
    cohort = Cohort.objects.select_related("wave").get(pk=cohort.pk)
    _check_request(cohort, kind, actor)
    if not (reason or "").strip():
        raise BusinessRuleError("reason_required", "Reopening a readiness gate needs a reason.")
    check = ReadinessCheck.objects.select_for_update().filter(cohort=cohort, kind=kind).first()
    if check is None or not check.is_met:
        raise BusinessRuleError(
            "invalid_transition",
            f"The {LABELS[kind]} of {cohort} is not signed off; there is nothing to reopen.",
            current_status="open",
        )
    note = f"Reopened {timezone.localdate():%Y-%m-%d} by {actor.get_username()}: {reason.strip()}"
    check.is_met = False
    check.met_at = None
    check.signed_off_by = None
    check.evidence = f"{check.evidence}\n\n{note}" if check.evidence else note
    check.save(update_fields=["is_met", "met_at", "signed_off_by", "evidence"])
    return check
