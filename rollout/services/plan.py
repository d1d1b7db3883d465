"""Writing the plan: waves and their cohorts, while a wave is still planned.

A rollout manager creates a wave (its number is the next under the contract), names it, sets
its planned window, and adds, edits or removes the agencies onboarded in it (a cohort: the
agency, its seat quota and its onboarding day). Each change needs a written reason, and is
recorded with who made it and why in the wave's and the cohort's history
(django-simple-history: `Wave.history`, `Cohort.history`); the cost projection of a past day
reads the plan of that day from it (cost rule 5).

Once a wave is approved its plan is frozen: the approval is the record of who checked the gates
for these agencies on these dates, so a wave that must change after it is cancelled and planned
afresh (docs/rollout.md, "Editing the plan"). Every service locks the contract row first, then
the wave — the order the wave lifecycle and seat activations take — and asks for the coalesced
cost recompute once the change commits: quotas and onboarding days move the projected total.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from agencies.models import Agency
from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER, has_role
from licensing.models import Contract
from licensing.services.cost import contract_lock
from licensing.services.scheduling import cost_recompute_request

from ..choices import WaveStatus
from ..models import Cohort, Wave


def _require(actor, reason: str, what: str) -> str:
    if not has_role(actor, ROLLOUT_MANAGER):
        who = "A job" if actor is None else f"{actor}"
        raise BusinessRuleError(
            "role_required",
            f"{who} may not {what}: only a rollout manager may.",
            role=ROLLOUT_MANAGER,
        )
    reason = (reason or "").strip()
    if not reason:
        raise BusinessRuleError(
            "reason_required", f"Say why you {what}: a change of the plan needs a written reason."
        )
    return reason


def _stamp(obj, actor, reason: str) -> None:
    """Tell simple-history who makes this change and why (read when the row is saved)."""
    obj._history_user = actor
    obj._change_reason = reason


def _locked_wave(wave: Wave) -> Wave:
    contract_lock(contract_id=wave.contract_id)
    return Wave.objects.select_for_update(of=("self",)).select_related("contract").get(pk=wave.pk)


def _assert_planned(wave: Wave) -> None:
    if wave.status != WaveStatus.PLANNED:
        raise BusinessRuleError(
            "wave_not_planned",
            f"Wave {wave.number} is {wave.get_status_display().lower()}; its plan can only "
            "change while it is planned (an approved wave is cancelled and planned afresh).",
            wave=wave.pk,
            wave_status=wave.status,
        )


def _check_window(contract: Contract, start: dt.date, end: dt.date) -> None:
    if end < start:
        raise BusinessRuleError(
            "window_invalid",
            f"The planned window ends ({end}) before it starts ({start}).",
            planned_start=start.isoformat(),
            planned_end=end.isoformat(),
        )
    if start < contract.start_date or end > contract.end_date:
        raise BusinessRuleError(
            "window_outside_term",
            f"The planned window {start} – {end} must lie inside the contract's term "
            f"({contract.start_date} – {contract.end_date}).",
            planned_start=start.isoformat(),
            planned_end=end.isoformat(),
            term_start=contract.start_date.isoformat(),
            term_end=contract.end_date.isoformat(),
        )


def _check_onboarding(wave: Wave, agency: Agency, day: dt.date) -> None:
    if not wave.planned_start <= day <= wave.planned_end:
        raise BusinessRuleError(
            "onboarding_outside_window",
            f"{agency.code}'s onboarding day {day} is outside wave {wave.number}'s window "
            f"({wave.planned_start} – {wave.planned_end}).",
            onboarding_date=day.isoformat(),
            planned_start=wave.planned_start.isoformat(),
            planned_end=wave.planned_end.isoformat(),
        )


def _check_quota(agency: Agency, quota: int) -> None:
    if quota < 0:
        raise BusinessRuleError(
            "quota_negative",
            f"A seat quota cannot be negative ({quota:,}).",
            seat_quota=quota,
        )
    if quota > agency.headcount:
        raise BusinessRuleError(
            "quota_above_headcount",
            f"{agency.code}'s quota of {quota:,} seats is above its headcount of "
            f"{agency.headcount:,} eligible employees.",
            seat_quota=quota,
            headcount=agency.headcount,
        )


@transaction.atomic
def wave_create(
    *,
    contract: Contract,
    name: str,
    planned_start: dt.date,
    planned_end: dt.date,
    actor,
    reason: str,
) -> Wave:
    """A rollout manager adds a planned wave to the contract, numbered next after its last
    wave, with its name and planned window (inside the contract's term). Recorded in the wave's
    history with the manager and the reason; it has no cohort yet, so no figure moves."""
    reason = _require(actor, reason, "plan a wave")
    contract = contract_lock(contract_id=contract.pk)
    name = (name or "").strip()
    if not name:
        raise BusinessRuleError("name_required", "A wave needs a name.")
    _check_window(contract, planned_start, planned_end)
    last = Wave.objects.filter(contract=contract).aggregate(n=Max("number"))["n"] or 0
    wave = Wave(
        contract=contract,
        number=last + 1,
        name=name,
        status=WaveStatus.PLANNED,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    _stamp(wave, actor, reason)
    wave.save()
    return wave


@transaction.atomic
def wave_update(
    *,
    wave: Wave,
    actor,
    reason: str,
    name: str | None = None,
    planned_start: dt.date | None = None,
    planned_end: dt.date | None = None,
) -> Wave:
    """A rollout manager renames a planned wave or moves its window (arguments left out keep
    their value). The window must stay inside the term and keep every cohort's onboarding day
    inside it; the refusal names the cohorts that would fall out."""
    reason = _require(actor, reason, "change a wave")
    wave = _locked_wave(wave)
    _assert_planned(wave)
    start = planned_start or wave.planned_start
    end = planned_end or wave.planned_end
    _check_window(wave.contract, start, end)
    outside = [
        c
        for c in wave.cohorts.select_related("agency").order_by("agency__code")
        if not start <= c.onboarding_date <= end
    ]
    if outside:
        raise BusinessRuleError(
            "onboarding_outside_window",
            f"Wave {wave.number}'s window {start} – {end} would leave out the onboarding day of "
            + ", ".join(f"{c.agency.code} ({c.onboarding_date})" for c in outside)
            + ": move those first.",
            planned_start=start.isoformat(),
            planned_end=end.isoformat(),
            cohorts=[c.pk for c in outside],
        )
    if name is not None:
        name = name.strip()
        if not name:
            raise BusinessRuleError("name_required", "A wave needs a name.")
        wave.name = name
    wave.planned_start, wave.planned_end = start, end
    _stamp(wave, actor, reason)
    wave.save(update_fields=["name", "planned_start", "planned_end"])
    return wave


@transaction.atomic
def cohort_add(
    *,
    wave: Wave,
    agency: Agency,
    seat_quota: int,
    onboarding_date: dt.date,
    actor,
    reason: str,
) -> Cohort:
    """A rollout manager schedules an agency in a planned wave: its seat quota (0 to the
    agency's headcount) and onboarding day (inside the wave's window). An agency is in a wave
    at most once. The unfilled quota counts as planned seats from the period of that day on, so
    the cost is recomputed once this commits."""
    reason = _require(actor, reason, "add an agency to a wave")
    wave = _locked_wave(wave)
    _assert_planned(wave)
    if not agency.is_active:
        raise BusinessRuleError(
            "agency_inactive", f"{agency.code} is not an active agency.", agency=agency.code
        )
    if Cohort.objects.filter(wave=wave, agency=agency).exists():
        raise BusinessRuleError(
            "agency_in_wave",
            f"{agency.code} is already in wave {wave.number}: change its cohort instead.",
            agency=agency.code,
            wave=wave.pk,
        )
    _check_quota(agency, seat_quota)
    _check_onboarding(wave, agency, onboarding_date)
    cohort = Cohort(
        wave=wave, agency=agency, seat_quota=seat_quota, onboarding_date=onboarding_date
    )
    _stamp(cohort, actor, reason)
    cohort.save()
    cost_recompute_request(contract_id=wave.contract_id)
    return cohort


@transaction.atomic
def cohort_update(
    *,
    cohort: Cohort,
    actor,
    reason: str,
    seat_quota: int | None = None,
    onboarding_date: dt.date | None = None,
) -> Cohort:
    """A rollout manager changes a cohort's seat quota and/or onboarding day while its wave is
    planned, under the same checks as adding it. Both move the projected total, so the cost is
    recomputed once this commits."""
    reason = _require(actor, reason, "change a cohort")
    wave = _locked_wave(cohort.wave)
    _assert_planned(wave)
    cohort = (
        Cohort.objects.select_for_update(of=("self",)).select_related("agency").get(pk=cohort.pk)
    )
    if seat_quota is None and onboarding_date is None:
        raise BusinessRuleError(
            "nothing_to_change", "Give a new seat quota, a new onboarding day, or both."
        )
    if seat_quota is not None:
        _check_quota(cohort.agency, seat_quota)
        cohort.seat_quota = seat_quota
    if onboarding_date is not None:
        _check_onboarding(wave, cohort.agency, onboarding_date)
        cohort.onboarding_date = onboarding_date
    _stamp(cohort, actor, reason)
    cohort.save(update_fields=["seat_quota", "onboarding_date"])
    cost_recompute_request(contract_id=wave.contract_id)
    return cohort


@transaction.atomic
def cohort_remove(*, cohort: Cohort, actor, reason: str) -> None:
    """A rollout manager takes an agency out of a planned wave. Its readiness sign-offs go with
    it; the history keeps the cohort as it was and who removed it, and why. A cohort that
    already has seats (requested for it ahead of the wave) cannot be removed: move or revoke
    them first."""
    reason = _require(actor, reason, "remove an agency from a wave")
    wave = _locked_wave(cohort.wave)
    _assert_planned(wave)
    cohort = (
        Cohort.objects.select_for_update(of=("self",)).select_related("agency").get(pk=cohort.pk)
    )
    seats = cohort.seats.count()
    if seats:
        raise BusinessRuleError(
            "cohort_has_seats",
            f"{cohort.agency.code}'s cohort in wave {wave.number} has {seats:,} seat(s): "
            "revoke or move them before removing it.",
            seats=seats,
        )
    _stamp(cohort, actor, reason)
    cohort.delete()
    cost_recompute_request(contract_id=wave.contract_id)
