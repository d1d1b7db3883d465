"""What-if forecasts: the cost curve under a changed plan, computed without writing anything.

A scenario is a list of changes to the open cohorts (shift a wave's onboarding dates, change a
cohort's quota, cancel a wave); the counts from the database stay as they are, so the forecast
is the same report as the snapshot's with only the plan edited."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from .cost_report import CostInputs, CostReport, PlannedCohort, build_report


@dataclass(frozen=True)
class ShiftWave:
    wave_id: int
    days: int


@dataclass(frozen=True)
class SetQuota:
    cohort_id: int
    seat_quota: int


@dataclass(frozen=True)
class CancelWave:
    wave_id: int


Change = ShiftWave | SetQuota | CancelWave


def apply_changes(
    cohorts: tuple[PlannedCohort, ...], changes: list[Change]
) -> tuple[PlannedCohort, ...]:
    """The open cohorts as the scenario would have them, changes applied in order."""
    result = list(cohorts)
    for change in changes:
        if isinstance(change, CancelWave):
            result = [c for c in result if c.wave_id != change.wave_id]
        elif isinstance(change, ShiftWave):
            result = [
                dataclasses.replace(
                    c, onboarding_date=c.onboarding_date + dt.timedelta(days=change.days)
                )
                if c.wave_id == change.wave_id
                else c
                for c in result
            ]
        elif isinstance(change, SetQuota):
            result = [
                dataclasses.replace(c, seat_quota=change.seat_quota)
                if c.cohort_id == change.cohort_id
                else c
                for c in result
            ]
    return tuple(result)


def forecast(inputs: CostInputs, changes: list[Change]) -> CostReport:
    """The cost report with the plan changed by `changes`."""
    planned = apply_changes(inputs.planned_cohorts, changes)
    return build_report(dataclasses.replace(inputs, planned_cohorts=planned))
