"""The wave lifecycle: approve, start, pause, resume, complete, cancel.

A wave moves only along `TRANSITIONS`. Approving, starting and resuming open the way to seat
activations, so each needs a person holding the rollout manager role (a job is refused) and every
readiness gate of every cohort passing. Each transition locks the contract row, then the wave
row, the order seat activations take the contract lock in: an activation that began before a
pause finishes first, and none that begins after it sees the wave running.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER, has_role
from licensing.services.cost import contract_lock
from licensing.services.scheduling import cost_recompute_request

from ..choices import CohortStatus, WaveStatus
from ..gates import failing_gates
from ..models import Cohort, Wave, WaveEvent
from ..selectors import wave_readiness
from .announce import wave_change_announce

logger = logging.getLogger(__name__)

W = WaveStatus

# Each action moves a wave from the states listed to one state. An approved wave does not go
# back to planned: the approval is the record of who looked at the gates and when, and starting
# checks every gate again anyway; a plan that changes after approval is cancelled and planned
# afresh. Completed and cancelled are final. Resume is its own action (not a second start) so
# the log tells a restart after a pause from a first start.
ACTIONS: dict[str, tuple[frozenset[str], str, str]] = {
    # action: (from, to, past participle for messages)
    "approve": (frozenset({W.PLANNED}), W.APPROVED, "approved"),
    "start": (frozenset({W.APPROVED}), W.IN_PROGRESS, "started"),
    "pause": (frozenset({W.IN_PROGRESS}), W.PAUSED, "paused"),
    "resume": (frozenset({W.PAUSED}), W.IN_PROGRESS, "resumed"),
    "complete": (frozenset({W.IN_PROGRESS}), W.COMPLETED, "completed"),
    "cancel": (frozenset({W.PLANNED, W.APPROVED, W.PAUSED}), W.CANCELLED, "cancelled"),
}

# The actions that open the way to activations (or approve doing so) check every readiness gate
# of every cohort, each time: a gate reopened after the approval blocks the start.
GATED_ACTIONS = frozenset({"approve", "start", "resume"})

# The same rules as a state graph, for docs, the admin and the API.
TRANSITIONS: dict[str, frozenset[str]] = {
    state: frozenset(to for froms, to, _ in ACTIONS.values() if state in froms)
    for state in W.values
}


def _lock(wave: Wave) -> Wave:
    contract_lock(contract_id=wave.contract_id)
    return Wave.objects.select_for_update(of=("self",)).select_related("contract").get(pk=wave.pk)


def _require_manager(actor, wave: Wave, verb: str) -> None:
    if not has_role(actor, ROLLOUT_MANAGER):
        who = "A job" if actor is None else f"{actor}"
        raise BusinessRuleError(
            "role_required",
            f"{who} may not {verb} wave {wave.number}: only a rollout manager may.",
            role=ROLLOUT_MANAGER,
        )


def _check_transition(wave: Wave, action: str) -> str:
    """The state the action moves the wave to, or the refusal naming the state it is in (or,
    for a gated action, every failing gate)."""
    froms, to_status, done = ACTIONS[action]
    if wave.status not in froms:
        raise BusinessRuleError(
            "invalid_transition",
            f"Wave {wave.number} is {wave.get_status_display().lower()}; it cannot be {done}.",
            current_status=wave.status,
            requested_status=to_status,
        )
    if action in GATED_ACTIONS:
        _check_gates(wave, done)
    return to_status


def _check_gates(wave: Wave, verb: str) -> None:
    failures = failing_gates(wave_readiness(wave))
    if failures:
        raise BusinessRuleError(
            "gates_failing",
            f"Wave {wave.number} cannot be {verb}: " + "; ".join(f.line for f in failures) + ".",
            failing=[f.as_dict() for f in failures],
        )


def _move(
    wave: Wave, to_status: str, *, actor, reason: str, verb: str, cohorts_to: str | None
) -> Wave:
    """Write the wave's new status and carry its cohorts along (cancelled ones stay so)."""
    previous = wave.status
    wave.status = to_status
    wave._history_user = actor if getattr(actor, "pk", None) else None
    wave._change_reason = reason or f"Wave {verb}"
    wave.save(update_fields=["status", "approved_by", "approved_at"])
    change = WaveEvent.objects.create(
        wave=wave,
        from_status=previous,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    wave_change_announce(change)
    if cohorts_to is not None:
        Cohort.objects.filter(wave=wave).exclude(status=CohortStatus.CANCELLED).update(
            status=cohorts_to
        )
    # Whether a wave is open decides whether its cohorts count as planned seats (cost rule 5).
    cost_recompute_request(contract_id=wave.contract_id)
    logger.info(
        "wave %s %s: %s -> %s by %s (%s)",
        wave.pk,
        verb,
        previous,
        to_status,
        getattr(actor, "username", None) or "job",
        reason or "no reason given",
    )
    return wave


@transaction.atomic
def wave_approve(*, wave: Wave, actor, reason: str = "") -> Wave:
    """A rollout manager approves a planned wave once every readiness gate of every cohort
    passes. Records who approved it and when; its cohorts become `ready`. A refusal on the
    gates lists every failing gate with its figure."""
    _require_manager(actor, wave, "approve")
    wave = _lock(wave)
    _check_transition(wave, "approve")
    wave.approved_by = actor
    wave.approved_at = timezone.now()
    return _move(
        wave, W.APPROVED, actor=actor, reason=reason, verb="approved", cohorts_to=CohortStatus.READY
    )


@transaction.atomic
def wave_start(*, wave: Wave, actor, reason: str = "") -> Wave:
    """A rollout manager starts an approved wave, the gates checked again (a gate may have been
    reopened since the approval). From now on its cohorts' seats can be activated; its cohorts
    become `onboarding`."""
    _require_manager(actor, wave, "start")
    wave = _lock(wave)
    _check_transition(wave, "start")
    return _move(
        wave,
        W.IN_PROGRESS,
        actor=actor,
        reason=reason,
        verb="started",
        cohorts_to=CohortStatus.ONBOARDING,
    )


@transaction.atomic
def wave_pause(*, wave: Wave, actor, reason: str = "") -> Wave:
    """Stop activations in a running wave (an incident, a union demand, the ceiling). A rollout
    manager or a job (no actor) may pause: stopping is always the safe direction. Seats already
    active stay active."""
    if actor is not None:
        _require_manager(actor, wave, "pause")
    wave = _lock(wave)
    _check_transition(wave, "pause")
    return _move(wave, W.PAUSED, actor=actor, reason=reason, verb="paused", cohorts_to=None)


@transaction.atomic
def wave_resume(*, wave: Wave, actor, reason: str = "") -> Wave:
    """A rollout manager resumes a paused wave. Resuming opens activations again, so it asks
    what starting asks: a person with the role, and every gate passing."""
    _require_manager(actor, wave, "resume")
    wave = _lock(wave)
    _check_transition(wave, "resume")
    return _move(wave, W.IN_PROGRESS, actor=actor, reason=reason, verb="resumed", cohorts_to=None)


@transaction.atomic
def wave_complete(*, wave: Wave, actor, reason: str = "") -> Wave:
    """A rollout manager closes a running wave: its cohorts become `onboarded`, and their
    unfilled quota stops counting as planned seats in the cost projection (rule 5)."""
    _require_manager(actor, wave, "complete")
    wave = _lock(wave)
    _check_transition(wave, "complete")
    return _move(
        wave,
        W.COMPLETED,
        actor=actor,
        reason=reason,
        verb="completed",
        cohorts_to=CohortStatus.ONBOARDED,
    )


@transaction.atomic
def wave_cancel(*, wave: Wave, actor, reason: str = "") -> Wave:
    """A rollout manager cancels a wave that is planned, approved or paused: its cohorts become
    `cancelled` and drop out of the projection. Seats already active (a paused wave may have
    some) are not revoked here: taking access away is a separate, per-seat decision."""
    _require_manager(actor, wave, "cancel")
    wave = _lock(wave)
    _check_transition(wave, "cancel")
    return _move(
        wave,
        W.CANCELLED,
        actor=actor,
        reason=reason,
        verb="cancelled",
        cohorts_to=CohortStatus.CANCELLED,
    )
